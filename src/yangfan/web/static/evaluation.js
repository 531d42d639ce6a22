// 扬帆之城评价: the score map of every city, a city's pillars, the audit's weights and correlations, the key cities'
// pillars. Data from the page's JSON blocks (CSP: no inline script); each chart is drawn when its element is there.
(function () {
  "use strict";
  var d = JSON.parse(document.getElementById("evaluation-data").textContent);
  var t = JSON.parse(document.getElementById("evaluation-texts").textContent);
  var font = '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", sans-serif';
  var colon = t.lang === "zh" ? "：" : ": ";
  var charts = [];

  function init(el) {
    var chart = echarts.init(el, null, { renderer: "canvas" });
    charts.push(chart);
    return chart;
  }

  function one(v) { return v === null || v === undefined ? "—" : Number(v).toFixed(1); }

  function scoreMap(el) {
    var rows = {};
    d.rows.forEach(function (r) { rows[r.code] = r; });
    var scores = d.rows.map(function (r) { return r.score; });
    fetch("/api/v1/evaluate/boundaries").then(function (r) { return r.json(); }).then(function (geo) {
      geo.features.forEach(function (f) {  // keyed by code; the dashed line has none
        f.properties.key = f.properties.code || ("sea-" + (f.properties.kind || "other"));
      });
      echarts.registerMap("evaluation-cities", geo);
      var chart = init(el);
      chart.setOption({
        animation: false,
        textStyle: { fontFamily: font },
        tooltip: {
          trigger: "item", textStyle: { fontFamily: font },
          formatter: function (p) {
            var r = rows[p.name];
            if (!r) { return ""; }
            return r.name + (r.designated ? " 【" + t.designated + "】" : "") + "<br>" +
              t.score + colon + one(r.score) + "<br>" + t.rank + colon + r.rank + " / " + d.n + "<br>" +
              t.interval + colon + r.p5 + "–" + r.p95 + " · " + t.median + " " + r.median;
          }
        },
        visualMap: scores.length ? {
          type: "continuous", min: Math.floor(Math.min.apply(null, scores)), max: Math.ceil(Math.max.apply(null, scores)),
          left: 10, bottom: 10, calculable: true, text: [t.high, t.low], textStyle: { fontFamily: font },
          inRange: { color: ["#e3edf7", "#9ec3e6", "#4a8fcf", "#1f4e8c", "#0d2a52"] }
        } : undefined,
        series: [{
          type: "map", map: "evaluation-cities", nameProperty: "key", roam: true, selectedMode: false,
          label: { show: false },
          emphasis: { label: { show: true, fontFamily: font,
                               formatter: function (p) { return rows[p.name] ? rows[p.name].name : ""; } } },
          itemStyle: { areaColor: "#eef1f5", borderColor: "#fff", borderWidth: 0.3 },
          data: d.rows.map(function (r) { return { name: r.code, value: r.score }; })
        }]
      });
      chart.on("click", function (p) {
        if (!rows[p.name]) { return; }
        window.location.assign("/evaluate/cities/" + p.name + "?lang=" + t.lang);
      });
      window.yangfanEvaluationMap = chart;  // for the browser tests: where a city is on the canvas
      el.classList.add("ready");
    });
  }

  function pillarRadar(el) {
    var chart = init(el);
    chart.setOption({
      animation: false,
      textStyle: { fontFamily: font },
      legend: { bottom: 6, textStyle: { fontFamily: font } },
      tooltip: { trigger: "item", textStyle: { fontFamily: font } },
      radar: { radius: "62%", indicator: d.pillars.map(function (p) { return { name: p.name, max: 100 }; }),
               axisName: { color: "#1c2430", fontFamily: font, fontSize: 13 } },
      series: [{
        type: "radar",
        data: [
          { name: d.name, value: d.pillars.map(function (p) { return p.score; }),
            areaStyle: { opacity: 0.25 }, lineStyle: { color: "#1f4e8c" }, itemStyle: { color: "#1f4e8c" } },
          { name: t.median, value: d.pillars.map(function (p) { return p.median; }),
            lineStyle: { color: "#c77700", type: "dashed" }, itemStyle: { color: "#c77700" } }
        ]
      }]
    });
    el.classList.add("ready");
  }

  function weightBars(el) {
    var w = d.weights.slice().reverse();  // the first indicator at the top
    var chart = init(el);
    chart.setOption({
      animation: false,
      textStyle: { fontFamily: font },
      legend: { top: 4, textStyle: { fontFamily: font } },
      grid: { left: 230, right: 40, top: 36, bottom: 30 },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, textStyle: { fontFamily: font },
                 valueFormatter: function (v) { return v === null || v === undefined ? t.no_data : v.toFixed(1) + "%"; } },
      xAxis: { type: "value", axisLabel: { formatter: "{value}%" } },
      yAxis: { type: "category", data: w.map(function (x) { return x.name; }),
               axisLabel: { fontFamily: font, width: 220, overflow: "truncate" } },
      series: [
        { name: t.nominal, type: "bar", data: w.map(function (x) { return x.nominal; }), itemStyle: { color: "#9ec3e6" } },
        { name: t.effective, type: "bar", data: w.map(function (x) { return x.effective; }), itemStyle: { color: "#1f4e8c" } }
      ]
    });
    el.classList.add("ready");
  }

  function heatmap(el) {
    var cells = [];
    d.matrix.forEach(function (row, i) {
      row.forEach(function (v, j) { cells.push([j, i, v === null ? "-" : v]); });
    });
    var chart = init(el);
    chart.setOption({
      animation: false,
      textStyle: { fontFamily: font },
      grid: { left: 230, right: 90, top: 10, bottom: 150 },
      tooltip: { textStyle: { fontFamily: font }, formatter: function (p) {
        var v = p.value[2];
        return d.names[p.value[1]] + "<br>" + d.names[p.value[0]] + "<br>r = " + (v === "-" ? t.no_data : v.toFixed(2));
      } },
      xAxis: { type: "category", data: d.names, splitArea: { show: true },
               axisLabel: { rotate: 40, fontFamily: font, width: 150, overflow: "truncate", interval: 0 } },
      yAxis: { type: "category", data: d.names, inverse: true, splitArea: { show: true },
               axisLabel: { fontFamily: font, width: 220, overflow: "truncate", interval: 0 } },
      visualMap: { min: -1, max: 1, calculable: true, orient: "vertical", right: 10, top: "middle",
                   inRange: { color: ["#c62828", "#f7f7f7", "#1f4e8c"] } },
      series: [{ type: "heatmap", data: cells,
                 label: { show: true, fontSize: 10, formatter: function (p) {
                   return p.value[2] === "-" ? "" : p.value[2].toFixed(2);
                 } } }]
    });
    el.classList.add("ready");
  }

  function groupBars(el) {
    var chart = init(el);
    chart.setOption({
      animation: false,
      textStyle: { fontFamily: font },
      legend: { top: 4, textStyle: { fontFamily: font } },
      grid: { left: 50, right: 20, top: 40, bottom: 40 },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, textStyle: { fontFamily: font },
                 valueFormatter: one },
      xAxis: { type: "category", data: d.pillars.map(function (p) { return p.name; }), axisLabel: { fontFamily: font } },
      yAxis: { type: "value", max: 100 },
      series: [
        { name: t.group, type: "bar", data: d.pillars.map(function (p) { return p.group; }), itemStyle: { color: "#1f4e8c" },
          label: { show: true, position: "top", formatter: function (p) { return one(p.value); } } },
        { name: t.all, type: "bar", data: d.pillars.map(function (p) { return p.all; }), itemStyle: { color: "#c77700" },
          label: { show: true, position: "top", formatter: function (p) { return one(p.value); } } }
      ]
    });
    el.classList.add("ready");
  }

  var draw = { "evaluation-map": scoreMap, "city-pillars": pillarRadar, "weights-chart": weightBars,
               "correlation-chart": heatmap, "designated-pillars": groupBars };
  Object.keys(draw).forEach(function (id) {
    var el = document.getElementById(id);
    if (el) { draw[id](el); }
  });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
