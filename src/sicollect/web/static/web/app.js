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

// Every table of the page in a box of its own that scrolls sideways, so the page itself never does
// (also tables that HTMX swaps in).
function wrapTables(root) {
  root.querySelectorAll("main table").forEach((t) => {
    if (t.parentElement && t.parentElement.classList.contains("table-wrap")) return;
    const box = document.createElement("div");
    box.className = "table-wrap";
    t.parentNode.insertBefore(box, t);
    box.appendChild(t);
  });
}
document.addEventListener("DOMContentLoaded", () => wrapTables(document));
document.addEventListener("htmx:afterSettle", () => wrapTables(document));
