// Sparklines of the cockpit: data comes from the JSON block, never from inline scripts (CSP).
// Periods on a time axis: a missing period is a gap (the server puts an empty point in it).
(function () {
  "use strict";
  var trends = JSON.parse(document.getElementById("trends").textContent);
  var font = '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", sans-serif';
  var locale = document.documentElement.lang || "zh-CN";
  function has(p) { return p !== undefined && p.value[1] !== null; }
  function dotIfAlone(p, i, all) {  // a figure between two gaps has no line to show it: a dot does
    return has(p) && !has(all[i - 1]) && !has(all[i + 1]) ? Object.assign({ symbol: "circle", symbolSize: 3 }, p) : p;
  }
  document.querySelectorAll(".spark").forEach(function (el) {
    var trend = trends[el.dataset.target];
    if (!trend) { return; }
    var chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({
      animation: false,
      textStyle: { fontFamily: font },
      grid: { left: 2, right: 2, top: 4, bottom: 4 },
      xAxis: { type: "time", show: false, min: "dataMin", max: "dataMax" },
      yAxis: { type: "value", show: false, scale: true },
      tooltip: {
        trigger: "axis", confine: true, textStyle: { fontFamily: font, fontSize: 11 },
        formatter: function (ps) {
          var p = ps.filter(function (q) { return q.value[1] !== null && q.value[1] !== undefined; })[0];
          if (!p) { return ""; }
          var v = Number(p.value[1]).toLocaleString(locale, { minimumFractionDigits: trend.decimals,
                                                              maximumFractionDigits: trend.decimals });
          return p.name + "<br>" + v + (trend.unit ? " " + trend.unit : "");
        }
      },
      // no area, which gaps would cut into bars
      series: [{ type: "line", data: trend.points.map(dotIfAlone), connectNulls: false, symbol: "none",
                 lineStyle: { width: 1.5, color: "#1f4e8c" }, itemStyle: { color: "#1f4e8c" } }]
    });
    el.classList.add("ready");
  });
})();
