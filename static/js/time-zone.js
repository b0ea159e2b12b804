// Sign-up: select the browser's own time zone instead of UTC, when the list offers it.
// The server still validates whatever is posted; a zone the list lacks leaves UTC chosen.
document.addEventListener("DOMContentLoaded", () => {
  const select = document.querySelector("select[data-browser-time-zone]");
  if (!select) return;
  let zone = "";
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch {
    return;
  }
  const option = Array.from(select.options).find((candidate) => candidate.value === zone);
  if (option) select.value = zone;
});
