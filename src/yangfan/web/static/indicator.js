// The indicator's series on a time axis with its target lines; data from the JSON block (CSP: no inline script).
// A missing period is a gap (the server puts an empty point in it); real and demo figures are two lines.
(function () {
  "use strict";
  var el = document.getElementById("series-chart");
  if (!el) { return; }
  var d = JSON.parse(document.getElementById("chart-data").textContent);
  var t = JSON.parse(document.getElementById("chart-texts").textContent);
  var font = '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", sans-serif';
  var locale = t.lang === "zh" ? "zh-CN" : "en";
  var colon = t.lang === "zh" ? "：" : ": ";
  var day = 864e5;

  function num(v) {  // as the table writes it: thousands separators, the same decimals
    return Number(v).toLocaleString(locale, { minimumFractionDigits: d.decimals, maximumFractionDigits: d.decimals });
  }
  var lines = d.targets.map(function (x) {
    return { yAxis: x.value, name: x.label, label: { formatter: x.label, position: "insideEndTop" },
             lineStyle: { color: "#c62828", type: "dashed" } };
  });
  var deadlines = [], seen = {};
  d.targets.forEach(function (x) {  // one marker per deadline, however many targets share it
    if (!x.at || seen[x.at]) { return; }
    seen[x.at] = true;
    deadlines.push({ xAxis: x.at, label: { formatter: t.deadline + " " + x.deadline },
                     lineStyle: { color: "#8a94a3", type: "dotted" } });
  });
  // Where the coverage of the figures changes (2024: 中国广电 joins the user counts), a marked line; the figure
  // before it restated on the new coverage is its own point, so that a comparison across it is like for like.
  var breaks = (d.breaks || []).map(function (b) {
    return { xAxis: b.at, label: { formatter: b.label, position: "insideEndBottom" },
             lineStyle: { color: "#6a1b9a", type: "solid", width: 1 } };
  });
  var top = Math.max.apply(null, [0].concat(d.targets.map(function (x) { return x.value; })));
  // A demo figure never joins a real one: each kind is its own line, demo drawn dashed in the demo colour.
  var kinds = [
    { name: d.name, data: d.real, color: "#1f4e8c", line: "solid", symbol: "circle" },
    { name: t.demo, data: d.demo, color: "#c77700", line: "dashed", symbol: "emptyCircle" }
  ].filter(function (k) { return k.data.length; });
  // Periods sit at their start: a quarter's axis label is its code, a year's its number.
  var labels = {
    quarter: function (v) { var at = new Date(v); return at.getFullYear() + "Q" + (Math.floor(at.getMonth() / 3) + 1); },
    year: "{yyyy}"
  };
  var chart = echarts.init(el, null, { renderer: "canvas" });
  chart.setOption({
    animation: false,
    textStyle: { fontFamily: font },
    legend: d.demo.length || (d.restated || []).length ? { right: 30, top: 4, textStyle: { fontFamily: font } } : undefined,
    grid: { left: 70, right: 70, top: 40, bottom: 40 },
    tooltip: {
      trigger: "axis", textStyle: { fontFamily: font },
      formatter: function (ps) {
        return ps.filter(function (p) { return p.value[1] !== null && p.value[1] !== undefined; }).map(function (p) {
          return p.name + "<br>" + p.seriesName + colon + num(p.value[1]) + (d.unit ? " " + d.unit : "");
        }).join("<br>");
      }
    },
    // the axis runs on to the last deadline, so that each deadline shows where it is due
    xAxis: { type: "time", min: "dataMin", max: d.end,
             minInterval: { quarter: 89 * day, year: 365 * day }[d.freq],
             axisLabel: { formatter: labels[d.freq], hideOverlap: true } },
    // the axis reaches the highest target, so that every target line shows
    yAxis: { type: "value", name: d.unit, max: function (v) { return Math.max(v.max, top) > v.max ? Math.ceil(top * 1.05) : null; } },
    series: kinds.map(function (k, i) {
      return {
        type: "line", name: k.name, data: k.data, connectNulls: false, showAllSymbol: true,
        symbol: k.symbol, symbolSize: 5,
        lineStyle: { width: 2, color: k.color, type: k.line }, itemStyle: { color: k.color },
        markLine: i === 0 ? { symbol: "none", silent: true, data: lines.concat(deadlines, breaks) } : undefined
      };
    }).concat((d.restated || []).length ? [{
      type: "scatter", name: t.restated, data: d.restated, symbol: "diamond", symbolSize: 9,
      itemStyle: { color: "#6a1b9a" }
    }] : [])
  });
  el.classList.add("ready");
  window.addEventListener("resize", function () { chart.resize(); });
})();
