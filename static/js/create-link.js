// "Create link" in the admin's confirm dialog (docs/PRODUCT.md §3). Without JavaScript the
// button posts the dialog's form to its formaction and the page comes back with the dialog
// open and the link filled in. With it, the same address is asked in place (it answers
// JSON when asked for JSON) and the link goes into the field; nothing is saved until the
// admin presses "Confirm & Send Link".
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-create-link]").forEach((button) => {
    button.addEventListener("click", async (event) => {
      const form = button.form;
      const field = form.querySelector("input[name=meeting_link]");
      const status = form.querySelector("[data-create-link-status]");
      if (!button.formAction || !field || !status) return;
      event.preventDefault();
      button.disabled = true;
      status.classList.remove("error");
      status.textContent = "Creating a link…";
      try {
        const response = await fetch(button.formAction, {
          method: "POST",
          body: new FormData(form),
          headers: { Accept: "application/json" },
          credentials: "same-origin",
        });
        const body = await response.json().catch(() => ({}));
        if (response.ok && body.meeting_link) {
          field.value = body.meeting_link;
          field.removeAttribute("aria-invalid");
          status.textContent = "A new link is in the field. Confirm & Send Link to send it.";
          field.focus();
        } else {
          status.classList.add("error");
          status.textContent =
            body.error || "The link could not be created. Try again, or paste a link.";
        }
      } catch {
        status.classList.add("error");
        status.textContent = "The link could not be created. Try again, or paste a link.";
      } finally {
        button.disabled = false;
      }
    });
  });
});
