// Progressive enhancement for the booking page: choosing a session length reloads the free
// times at once (without JavaScript, the "Show free times" button does the same).
document.addEventListener("DOMContentLoaded", () => {
  document.documentElement.classList.add("js");
  document.querySelectorAll("form[data-auto-submit]").forEach((form) => {
    form.addEventListener("change", () => form.submit());
  });
});
