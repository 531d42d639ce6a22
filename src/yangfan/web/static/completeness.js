// The provinces coloured by their reporting rate for one form and period: the boundaries the map page uses
// (/api/v1/boundaries/100000), the rates from the page's JSON; grey where nothing was due yet.
(function () {
  "use strict";
  var el = document.getElementById("completeness-map");
  if (!el) { return; }
  var d = JSON.parse(document.getElementById("completeness-data").textContent);
  var t = JSON.parse(document.getElementById("completeness-texts").textContent);
  var font = '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", sans-serif';
  var colon = t.lang === "zh" ? "：" : ": ";
  var rows = {};
  d.rows.forEach(function (r) { rows[r.code] = r; });

  fetch("/api/v1/boundaries/100000").then(function (r) { return r.json(); }).then(function (geo) {
    geo.features.forEach(function (f) {  // as the map page keys them: the code, or a fixed name for the sea
      f.properties.key = f.properties.code || ("sea-" + (f.properties.kind || "other"));
    });
    echarts.registerMap("completeness-100000", geo);
    var chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({
      animation: false,
      textStyle: { fontFamily: font },
      tooltip: {
        trigger: "item", textStyle: { fontFamily: font },
        formatter: function (p) {
          var r = rows[p.name];
          if (!r) { return ""; }
          if (r.value === null) { return r.name + "<br>" + t.no_due + (r.open ? colon + r.open : ""); }
          return r.name + "<br>" + t.reporting_rate + colon + r.text +
            "<br>" + t.received + " " + r.received + " / " + t.expected + " " + r.expected +
            "<br>" + t.on_time + " " + r.on_time + " · " + t.late + " " + r.late + " · " + t.missing + " " + r.missing +
            (r.rank_text ? "<br>" + t.rank + colon + r.rank_text : "");
        }
      },
      visualMap: {
        type: "piecewise", left: 10, bottom: 10, textStyle: { fontFamily: font },
        pieces: [
          { min: 100, max: 100, label: "100%", color: "#2e7d32" },
          { min: 80, lt: 100, label: "80–99%", color: "#7cb342" },
          { min: 50, lt: 80, label: "50–79%", color: "#f2b233" },
          { min: 0, lt: 50, label: "< 50%", color: "#d9534f" }
        ],
        outOfRange: { color: "#eef1f5" }
      },
      series: [{
        type: "map", map: "completeness-100000", nameProperty: "key", roam: true, selectedMode: false,
        label: { show: false },
        emphasis: { label: { show: true, fontFamily: font,
                             formatter: function (p) { return rows[p.name] ? rows[p.name].name : ""; } } },
        itemStyle: { areaColor: "#eef1f5", borderColor: "#fff", borderWidth: 0.6 },
        data: d.rows.map(function (r) { return { name: r.code, value: r.value }; })
      }]
    });
    window.addEventListener("resize", function () { chart.resize(); });
    window.yangfanCompletenessMap = chart;  // for the browser tests
    el.classList.add("ready");
  });
})();
