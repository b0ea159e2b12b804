// Progressive enhancement for native <dialog>s. Without JavaScript the "open" links reload
// the page with the dialog rendered open by the server; with it, they open a modal in place.
//
// A page may hold one dialog per kind for all its rows (the sessions dashboard): the opener
// says "<kind>-<id>", the dialog is #<kind>-dialog, and its form's action is its
// data-action-template with the session's id in place of the 0. The session's line and
// current link are read from the opener's row.
function fillSharedDialog(dialog, opener, id) {
  const form = dialog.querySelector("form[data-action-template]");
  if (!form) return;
  form.action = form.dataset.actionTemplate.replace("/0/", `/${id}/`);
  dialog.querySelectorAll("[data-formaction-template]").forEach((button) => {
    button.formAction = button.dataset.formactionTemplate.replace("/0/", `/${id}/`);
  });
  dialog.querySelectorAll("[data-create-link-status]").forEach((status) => {
    status.textContent = "";
  });
  const row = opener.closest("tr");
  const line = dialog.querySelector("[data-session-line]");
  if (row && line) {
    const zone = row.closest("table")?.dataset.zone || "";
    const text = (selector) => row.querySelector(selector)?.textContent.trim() || "";
    line.textContent = `${text("[data-people]")}, ${text("[data-date]")} ${text("[data-time]")} ${zone}`;
  }
  // A refused link shown for one session must not appear on another's dialog.
  dialog.querySelectorAll("[data-dialog-error]").forEach((error) => error.remove());
  dialog.querySelectorAll("[aria-invalid]").forEach((input) => {
    input.removeAttribute("aria-invalid");
    input.removeAttribute("aria-describedby");
  });
  const link = dialog.querySelector("input[type=url]");
  if (link) {
    link.value = link.hasAttribute("data-current-link")
      ? row?.querySelector("[data-link]")?.getAttribute("href") || ""
      : "";
  }
  const reason = dialog.querySelector("textarea");
  if (reason) reason.value = "";
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-open-dialog]").forEach((opener) => {
    opener.addEventListener("click", (event) => {
      const target = opener.dataset.openDialog;
      let dialog = document.getElementById(target);
      const shared = /^([a-z]+)-([0-9]+)$/.exec(target);
      if (!dialog && shared) {
        dialog = document.getElementById(`${shared[1]}-dialog`);
        if (dialog) fillSharedDialog(dialog, opener, shared[2]);
      }
      if (!dialog || typeof dialog.showModal !== "function") return;
      event.preventDefault();
      if (dialog.open) dialog.close();
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
