// Copy buttons: <button data-copy="#element-id">Copy</button> copies that element's text.
document.addEventListener("click", function (event) {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const source = document.querySelector(button.dataset.copy);
  if (!source) return;
  navigator.clipboard.writeText(source.textContent.trim()).then(function () {
    button.textContent = "Copied";
    setTimeout(function () { button.textContent = "Copy"; }, 1500);
  });
});

// Request form: offer only the key sizes and signature algorithms tagged with the chosen
// key algorithm (data-algorithm, from the menu in acme_orders/choices.py; the server
// checks the pair either way).
function syncKeyChoices() {
  const algorithm = document.getElementById("id_key_algorithm");
  if (!algorithm) return;
  for (const id of ["id_key_size", "id_signature_algorithm"]) {
    const select = document.getElementById(id);
    if (!select) continue;
    let firstFitting = null;
    for (const option of select.options) {
      const fits = option.dataset.algorithm === algorithm.value;
      option.hidden = !fits;
      option.disabled = !fits;
      if (fits && firstFitting === null) firstFitting = option;
    }
    if (select.selectedOptions[0] && select.selectedOptions[0].disabled && firstFitting) {
      select.value = firstFitting.value;
    }
  }
}
document.addEventListener("DOMContentLoaded", syncKeyChoices);
document.addEventListener("change", function (event) {
  if (event.target.id === "id_key_algorithm") syncKeyChoices();
});

// htmx POSTs (reading a CA's directory for a form) carry Django's CSRF token, taken
// from the form on the page.
document.addEventListener("htmx:configRequest", function (event) {
  const token = document.querySelector("input[name=csrfmiddlewaretoken]");
  if (token) event.detail.headers["X-CSRFToken"] = token.value;
});

// Dialogs filled by htmx: a button with data-opens-dialog="<id>" opens that <dialog>
// once its content has arrived; a button with data-close-dialog closes its dialog.
document.addEventListener("htmx:afterSwap", function (event) {
  const opener = event.detail.requestConfig && event.detail.requestConfig.elt;
  const dialogId = opener && opener.dataset && opener.dataset.opensDialog;
  const dialog = dialogId && document.getElementById(dialogId);
  if (dialog && !dialog.open) dialog.showModal();
});
document.addEventListener("click", function (event) {
  const closer = event.target.closest("[data-close-dialog]");
  const dialog = closer && closer.closest("dialog");
  if (dialog) dialog.close();
});
