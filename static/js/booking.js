// Progressive enhancement for the booking page: choosing a session length reloads the free
// times at once (without JavaScript, the "Show free times" button does the same), and
// choosing a time inside the cancel cut-off shows the note about it.
document.addEventListener("DOMContentLoaded", () => {
  document.documentElement.classList.add("js");
  document.querySelectorAll("form[data-auto-submit]").forEach((form) => {
    form.addEventListener("change", () => form.submit());
  });
  // A chosen time inside the mentee's cancel cut-off says so next to "Request booking"
  // (the server does the same when the page comes back with a time chosen).
  const note = document.querySelector("[data-cutoff-note]");
  if (note) {
    document.querySelectorAll("input[name=start]").forEach((slot) => {
      slot.addEventListener("change", () => {
        note.textContent = slot.hasAttribute("data-within-cutoff") ? note.dataset.text : "";
      });
    });
  }
});
