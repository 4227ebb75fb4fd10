/* Dashboard charts: Chart.js (shipped in static/web) fed from the JSON the page embeds. */
(function () {
  "use strict";
  var el = document.getElementById("charts-data");
  if (!el || typeof Chart === "undefined") { return; }
  var d = JSON.parse(el.textContent);
  var t = JSON.parse(document.getElementById("chart-labels").textContent);
  var vnd = function (v) { return v === null || v === undefined ? "" : Math.round(v).toLocaleString("vi-VN"); };
  var short = function (v) {
    var a = Math.abs(v), f = function (x) { return x.toLocaleString("vi-VN", { maximumFractionDigits: 1 }); };
    if (a >= 1e9) { return f(v / 1e9) + " tỷ"; }
    if (a >= 1e6) { return f(v / 1e6) + " tr"; }
    return vnd(v);
  };
  var money = { ticks: { callback: short }, beginAtZero: true };
  // percents the Vietnamese way, as the tables print them: "2,20 %"
  var pctText = function (v) { return v === null || v === undefined ? "" : Number(v).toLocaleString("vi-VN", { minimumFractionDigits: 2, maximumFractionDigits: 2 }) + " %"; };
  var pct = { ticks: { callback: pctText }, beginAtZero: true };
  Chart.defaults.locale = "vi-VN";
  function chart(id, config) {
    var canvas = document.getElementById(id);
    if (canvas) { config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false }, config.options || {}); new Chart(canvas, config); }
  }
  var r = d.revenue;
  var revenueSets = [
    { label: t.this_year + " " + r.year, data: r.this_year, borderColor: "#0b5cad", backgroundColor: "#0b5cad" },
    { label: t.last_year + " " + (r.year - 1), data: r.last_year, borderColor: "#9aa7b4", backgroundColor: "#9aa7b4", borderDash: [4, 3] }
  ];
  if (r.plan.length) { revenueSets.push({ label: t.plan, data: r.plan, borderColor: "#e08a00", backgroundColor: "#e08a00", pointRadius: 0 }); }
  chart("chart-revenue", { type: "line", data: { labels: r.labels, datasets: revenueSets }, options: { scales: { y: money } } });
  var dr = d.debt_ratio;
  var debtSets = [{ label: t.debt_ratio, data: dr.values, borderColor: "#b42318", backgroundColor: "#b42318" }];
  if (dr.target !== null) { debtSets.push({ label: t.target, data: dr.labels.map(function () { return dr.target; }), borderColor: "#1a7f37", borderDash: [6, 4], pointRadius: 0 }); }
  chart("chart-debt", { type: "line", data: { labels: dr.labels, datasets: debtSets }, options: { scales: { y: pct } } });
  chart("chart-aging", { type: "bar", data: { labels: d.aging.labels, datasets: [{ label: t.late_amount, data: d.aging.amounts, backgroundColor: ["#f2c94c", "#f2994a", "#eb5757", "#b42318", "#6d1a12"] }] }, options: { scales: { y: money }, plugins: { legend: { display: false } } } });
  chart("chart-participants", { type: "bar", data: { labels: d.participants.labels, datasets: [
    { label: t.participants, data: d.participants.counts, backgroundColor: "#0b5cad" },
    { label: t.plan, data: d.participants.plans, backgroundColor: "#e0b050" }] } });
  if (d.ranking) {
    chart("chart-ranking", { type: "bar", data: { labels: d.ranking.labels, datasets: [
      { label: t.debt_ratio, data: d.ranking.debt, backgroundColor: "#b42318" },
      { label: t.pct_plan, data: d.ranking.plan, backgroundColor: "#0b5cad" }] }, options: { indexAxis: "y", scales: { x: pct } } });
  }
})();
