// A form posts once: a second tap or click while the first submit is on its way is ignored
// (a double tap on "Renew" must not use two renewals). Forms that answer in place (the desk)
// handle their own submits (they cancel the browser's submit first) or are marked
// data-no-submit-guard.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (event.defaultPrevented) return; // handled in place by the page's own script (the desk)
  if (!(form instanceof HTMLFormElement) || form.hasAttribute("data-no-submit-guard")) return;
  if (form.dataset.submitting === "1") {
    event.preventDefault();
    return;
  }
  form.dataset.submitting = "1";
  // Let the browser go back to the page (bfcache) with the form usable again.
  window.addEventListener("pageshow", () => { delete form.dataset.submitting; }, { once: true });
});
