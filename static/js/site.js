// Progressive enhancement for native <dialog>s. Without JavaScript the "open" links reload
// the page with the dialog rendered open by the server; with it, they open a modal in place.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-open-dialog]").forEach((opener) => {
    opener.addEventListener("click", (event) => {
      const dialog = document.getElementById(opener.dataset.openDialog);
      if (!dialog || typeof dialog.showModal !== "function") return;
      event.preventDefault();
      dialog.showModal();
      const input = dialog.querySelector("input[type=url], input[type=text], textarea");
      if (input) input.focus();
    });
  });
  // A dialog the server rendered open (e.g. a refused link) becomes a real modal.
  document.querySelectorAll("dialog[data-show-modal]").forEach((dialog) => {
    if (typeof dialog.showModal !== "function") return;
    dialog.close();
    dialog.showModal();
    const input = dialog.querySelector("[aria-invalid=true]");
    if (input) input.select();
  });
});
