// What the reviewer pages share: filling a text's {placeholders}, and an API refusal said in one line per kind of
// problem (a return's twelve values refused alike say it once, with a count).
(function () {
  "use strict";
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (m, k) { return values[k] !== undefined ? values[k] : m; });
  }
  function message(t, body, status) {
    var e = (body && body.error) || {};
    var kinds = {}, order = [];
    (e.issues || []).forEach(function (i) {
      if (!kinds[i.code]) { kinds[i.code] = { text: t.lang === "en" ? i.message_en : i.message_zh, n: 0 }; order.push(i.code); }
      kinds[i.code].n += 1;
    });
    var texts = order.map(function (c) { return kinds[c].text + (kinds[c].n > 1 ? fill(t.rv_more, { n: kinds[c].n }) : ""); });
    return texts.join("；") || (t.lang === "en" ? e.message_en : e.message_zh) || ("HTTP " + status);
  }
  window.YangfanRefusal = { fill: fill, message: message };
})();
