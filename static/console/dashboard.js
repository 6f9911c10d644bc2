// Draws the KPI dashboard's charts with the local Chart.js from the JSON the page carries.
(function () {
  const data = JSON.parse(document.getElementById("kpi-chart-data").textContent);
  const palette = ["#1f4e79", "#e07a1f", "#2e8b57", "#8e44ad", "#c0392b", "#16a085", "#7f8c8d", "#d4ac0d"];
  const sets = (chart, extra) => chart.series.map((s, i) => Object.assign({
    label: s.label, data: s.data, borderColor: palette[i % palette.length],
    backgroundColor: palette[i % palette.length] + (extra.fill ? "cc" : "33"), tension: 0.3, spanGaps: true,
  }, extra));
  window.waypostCharts = [];
  const draw = (id, type, chart, extra, options) => {
    const canvas = document.getElementById(id);
    if (!canvas || typeof Chart === "undefined") return;
    window.waypostCharts.push(new Chart(canvas, {
      type, data: {labels: chart.labels, datasets: sets(chart, extra)},
      options: Object.assign({responsive: true, animation: false, plugins: {legend: {position: "bottom"}}}, options),
    }));
  };
  draw("chart-rate", "line", data.rate, {fill: false},
       {scales: {y: {suggestedMin: 90, suggestedMax: 100, title: {display: true, text: "%"}}}});
  draw("chart-volume", "bar", data.volume, {fill: true}, {scales: {x: {stacked: true}, y: {stacked: true}}});
  draw("chart-failures", "bar", data.failures, {fill: true}, {scales: {x: {stacked: true}, y: {stacked: true}}});
  document.body.dataset.chartsDrawn = String(window.waypostCharts.length);
})();
