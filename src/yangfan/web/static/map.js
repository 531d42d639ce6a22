// Choropleth of one indicator under one parent: boundaries from /api/v1/boundaries, values from the page's JSON.
(function () {
  "use strict";
  var el = document.getElementById("china-map");
  var d = JSON.parse(document.getElementById("map-data").textContent);
  var t = JSON.parse(document.getElementById("map-texts").textContent);
  var font = '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", sans-serif';
  var rows = {};
  d.rows.forEach(function (r) { rows[r.code] = r; });
  var values = d.rows.filter(function (r) { return r.value !== null; }).map(function (r) { return r.value; });
  var anyDemo = d.rows.some(function (r) { return r.demo; });
  var colon = t.lang === "zh" ? "：" : ": ";

  fetch("/api/v1/boundaries/" + d.parent).then(function (r) { return r.json(); }).then(function (geo) {
    geo.features.forEach(function (f) {  // ECharts names regions by a property: the code, or a fixed name for the sea
      f.properties.key = f.properties.code || ("sea-" + (f.properties.kind || "other"));
    });
    echarts.registerMap(d.parent, geo);
    var chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({
      animation: false,
      textStyle: { fontFamily: font },
      title: anyDemo ? { text: t.demo, right: 10, top: 6, textStyle: { color: "#c77700", fontSize: 14, fontFamily: font } } : undefined,
      tooltip: {
        trigger: "item", textStyle: { fontFamily: font },
        formatter: function (p) {
          var r = rows[p.name];
          if (!r) { return ""; }
          var v = r.value === null ? t.no_data : r.text + (d.unit ? " " + d.unit : "");  // as the table writes it
          return r.name + "<br>" + d.name + colon + v + (r.rank ? "<br>" + t.rank + colon + r.rank + "/" + values.length : "") +
            (r.demo ? "<br>【" + t.demo + "】" : "");
        }
      },
      visualMap: values.length ? {
        type: "continuous", min: Math.min.apply(null, values), max: Math.max.apply(null, values),
        left: 10, bottom: 10, calculable: true, text: [d.unit, ""], textStyle: { fontFamily: font },
        formatter: function (v) {  // as the table writes it
          return Number(v).toLocaleString(t.lang === "zh" ? "zh-CN" : "en",
                                          { minimumFractionDigits: d.decimals, maximumFractionDigits: d.decimals });
        },
        inRange: { color: ["#e3edf7", "#9ec3e6", "#4a8fcf", "#1f4e8c", "#0d2a52"] }
      } : undefined,
      series: [{
        type: "map", map: d.parent, nameProperty: "key", roam: true, selectedMode: false,
        center: d.focus ? d.focus.center : undefined, zoom: d.focus ? d.focus.zoom : 1,
        label: { show: false },
        emphasis: { label: { show: true, fontFamily: font,  // the unit's name, not the code the map keys it by
                             formatter: function (p) { return rows[p.name] ? rows[p.name].name : ""; } } },
        itemStyle: { areaColor: "#eef1f5", borderColor: "#fff", borderWidth: 0.6 },
        data: d.rows.map(function (r) { return { name: r.code, value: r.value }; })
      }]
    });
    chart.on("click", function (p) {
      if (!d.drill || !rows[p.name]) { return; }
      var q = new URLSearchParams({ lang: t.lang, indicator: d.indicator, period: d.period, parent: p.name });
      window.location.assign("/map?" + q.toString());
    });
    window.addEventListener("resize", function () { chart.resize(); });
    window.yangfanMap = chart;  // for the browser tests: where a region is on the canvas
    el.classList.add("ready");
  });
})();
