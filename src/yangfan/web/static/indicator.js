// The indicator's series with its target lines; data from the JSON block (CSP: no inline script).
(function () {
  "use strict";
  var el = document.getElementById("series-chart");
  if (!el) { return; }
  var d = JSON.parse(document.getElementById("chart-data").textContent);
  var t = JSON.parse(document.getElementById("chart-texts").textContent);
  var font = '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", sans-serif';
  var demo = {};
  d.demo.forEach(function (p) { demo[p] = true; });
  var lines = d.targets.map(function (x) {
    return { yAxis: x.value, name: x.label, label: { formatter: x.label, position: "insideEndTop" },
             lineStyle: { color: "#c62828", type: "dashed" } };
  });
  var deadlines = d.targets.filter(function (x) { return x.deadline && d.periods.indexOf(x.deadline) >= 0; })
    .map(function (x) {
      return { xAxis: x.deadline, label: { formatter: t.deadline + " " + x.deadline },
               lineStyle: { color: "#8a94a3", type: "dotted" } };
    });
  var top = Math.max.apply(null, [0].concat(d.targets.map(function (x) { return x.value; })));
  var chart = echarts.init(el, null, { renderer: "canvas" });
  chart.setOption({
    animation: false,
    textStyle: { fontFamily: font },
    title: d.demo.length ? { text: t.demo, right: 30, top: 4, textStyle: { color: "#c77700", fontSize: 13, fontFamily: font } } : undefined,
    grid: { left: 60, right: 70, top: 40, bottom: 40 },
    tooltip: {
      trigger: "axis", textStyle: { fontFamily: font },
      formatter: function (ps) {
        var p = ps[0];
        if (p.value === null || p.value === undefined) { return p.name; }
        return p.name + "<br>" + d.name + "：" + Number(p.value).toLocaleString() + " " + d.unit +
          (demo[p.name] ? "<br>【" + t.demo + "】" : "");
      }
    },
    xAxis: { type: "category", data: d.periods },
    // the axis reaches the highest target, so that every target line shows
    yAxis: { type: "value", name: d.unit, max: function (v) { return Math.max(v.max, top) > v.max ? Math.ceil(top * 1.05) : null; } },
    series: [{
      type: "line", name: d.name, data: d.values, connectNulls: true, symbolSize: 5,
      lineStyle: { width: 2, color: "#1f4e8c" }, itemStyle: { color: "#1f4e8c" },
      markLine: { symbol: "none", silent: true, data: lines.concat(deadlines) }
    }]
  });
  el.classList.add("ready");
  window.addEventListener("resize", function () { chart.resize(); });
})();
