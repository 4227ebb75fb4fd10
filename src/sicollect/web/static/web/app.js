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
// A box that scrolls is reached by the keyboard too (WCAG 2.1.1): focusable, a region named as its table.
function wrapTables(root) {
  root.querySelectorAll("main table").forEach((t) => {
    let box = t.parentElement;
    if (!box || !box.classList.contains("table-wrap")) {
      box = document.createElement("div");
      box.className = "table-wrap";
      t.parentNode.insertBefore(box, t);
      box.appendChild(t);
    }
    if (box.hasAttribute("tabindex")) return;
    box.tabIndex = 0;
    box.setAttribute("role", "region");
    box.setAttribute("aria-label", tableName(t, box));
  });
}

function tableName(table, box) {
  const own = table.getAttribute("aria-label") || (table.caption && table.caption.textContent.trim());
  if (own) return own;
  for (let el = box.previousElementSibling, i = 0; el && i < 4; el = el.previousElementSibling, i++) {
    if (/^H[1-4]$/.test(el.tagName)) return el.textContent.trim();
  }
  return document.title;
}
document.addEventListener("DOMContentLoaded", () => wrapTables(document));
document.addEventListener("htmx:afterSettle", () => wrapTables(document));
