// Sparklines of the cockpit: data comes from the JSON block, never from inline scripts (CSP).
(function () {
  "use strict";
  var trends = JSON.parse(document.getElementById("trends").textContent);
  var font = '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", sans-serif';
  document.querySelectorAll(".spark").forEach(function (el) {
    var series = trends[el.dataset.target] || [];
    if (series.length < 2) { return; }
    var chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({
      animation: false,
      textStyle: { fontFamily: font },
      grid: { left: 2, right: 2, top: 4, bottom: 4 },
      xAxis: { type: "category", show: false, data: series.map(function (p) { return p[0]; }) },
      yAxis: { type: "value", show: false, scale: true },
      tooltip: { trigger: "axis", confine: true, textStyle: { fontFamily: font, fontSize: 11 } },
      series: [{ type: "line", data: series.map(function (p) { return p[1]; }), symbol: "none",
                 lineStyle: { width: 1.5, color: "#1f4e8c" }, areaStyle: { color: "rgba(31,78,140,0.08)" } }]
    });
    el.classList.add("ready");
  });
})();
