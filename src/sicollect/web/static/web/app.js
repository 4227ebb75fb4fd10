// Behaviour that would otherwise be inline handlers (the Content-Security-Policy forbids those):
//   <select data-autosubmit> submits its form on change;
//   <input type="checkbox" data-check-all="NAME"> ticks every checkbox named NAME.
document.addEventListener("change", (event) => {
  const el = event.target;
  if (el.matches("select[data-autosubmit]") && el.form) el.form.submit();
});
document.addEventListener("click", (event) => {
  const el = event.target;
  if (el.matches("input[data-check-all]")) {
    document.querySelectorAll(`input[name="${el.dataset.checkAll}"]`).forEach((c) => { c.checked = el.checked; });
  }
});
