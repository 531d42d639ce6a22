// The entry grid of a return (填报): each number checked as it is typed (a debounced POST .../validate whose
// answer marks the cells: red blocks, amber needs an explanation), a draft saved (PUT), the return submitted or
// withdrawn. The server decides; this script only reads numbers as people write them and shows the answers.
(function () {
  "use strict";
  var holder = document.getElementById("entry-data");
  if (!holder) { return; }
  var data = JSON.parse(holder.textContent);
  var T = data.texts;
  var lang = data.lang;
  var rows = {};
  data.rows.forEach(function (r) { rows[r.code] = r; });
  var form = document.getElementById("entry-form");
  var inputs = Array.prototype.slice.call(document.querySelectorAll("input.rp-value"));
  var status = document.getElementById("check-status");
  var feedback = document.getElementById("feedback");
  var submitButton = document.getElementById("submit");
  var saveButton = document.getElementById("save");
  var withdrawButton = document.getElementById("withdraw");
  var touched = {};
  var attempted = false;
  var timer = null;
  var sequence = 0;
  // Full-width digits and punctuation (Chinese input methods): refused with a message saying so.
  var FULL_WIDTH = /[\uFF10-\uFF19\uFF0C\uFF0E\uFF0D\u3002\uFF0B]/;
  // 1234, 1,234, -5, 12.5, 1,234.56: ASCII digits, thousands commas in their places.
  var NUMBER = /^-?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$/;

  function format(template, values) {
    return template.replace(/\{(\w+)\}/g, function (m, k) { return k in values ? values[k] : m; });
  }
  function csrf() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }
  function said(issue) { return (lang === "en" ? issue.message_en : issue.message_zh) || ""; }
  function explanation(code) { return document.getElementById("x-" + code); }

  function parse(text) {
    var s = text.trim();
    if (s === "") { return { value: null }; }
    if (FULL_WIDTH.test(s)) { return { error: T.rp_fullwidth }; }
    if (!NUMBER.test(s)) { return { error: T.rp_not_number }; }
    return { value: Number(s.replace(/,/g, "")) };
  }

  function percent(now, before) {
    if (now === null || before === null || before === undefined || before === 0) { return ""; }
    var c = (now / before - 1) * 100;
    return (c > 0 ? "+" : "") + c.toFixed(1) + "%";
  }

  function grouped(value, places) {
    if (Math.abs(value) < 0.5 * Math.pow(10, -places)) { value = 0; }  // no "-0.0"
    return value.toLocaleString(lang === "en" ? "en" : "zh-CN",
                                { minimumFractionDigits: places, maximumFractionDigits: places });
  }

  // What the figure reads as in the display unit (the base unit is what is entered): 425,100 → 42.5 万个.
  function hint(row, value) {
    if (value === null || row.divisor <= 1) { return ""; }
    if (lang === "zh") { return "= " + grouped(value / row.divisor, row.display_decimals) + " " + row.display_unit; }
    if (Math.abs(value) >= 1e9) { return "= " + grouped(value / 1e9, 3) + " billion"; }
    if (Math.abs(value) >= 1e6) { return "= " + grouped(value / 1e6, 3) + " million"; }
    return "";
  }

  function redraw(input) {
    var code = input.dataset.indicator;
    var row = rows[code];
    var parsed = parse(input.value);
    var value = parsed.error ? null : parsed.value;
    document.getElementById("hint-" + code).textContent = hint(row, value);
    var cell = document.getElementById("c-" + code);
    cell.textContent = "";
    [[T.rp_mom, row.previous], [T.rp_yoy, row.year_before]].forEach(function (pair) {
      var text = percent(value, pair[1]);
      if (!text) { return; }
      var line = document.createElement("div");
      line.textContent = pair[0] + " " + text;
      cell.appendChild(line);
    });
    return parsed;
  }

  // A number that cannot be read is marked at once, before the server is asked about the others.
  function local(input, parsed) {
    if (!parsed.error) { return; }
    var code = input.dataset.indicator;
    var list = document.getElementById("p-" + code);
    list.textContent = "";
    var li = document.createElement("li");
    li.className = "hard";
    li.textContent = parsed.error;
    list.appendChild(li);
    document.getElementById("row-" + code).classList.add("has-hard");
  }

  function cells() {
    var out = [];
    var bad = 0;
    inputs.forEach(function (input) {
      var code = input.dataset.indicator;
      if (rows[code].locked) { return; }
      var parsed = parse(input.value);
      if (parsed.error) { bad += 1; return; }
      out.push({ indicator: code, value: parsed.value, explanation: explanation(code).value });
    });
    return { cells: out, bad: bad };
  }

  function say(kind, text, issues) {
    feedback.textContent = "";
    feedback.className = "rp-feedback " + kind;
    var head = document.createElement("p");
    head.textContent = text;
    feedback.appendChild(head);
    if (issues && issues.length) {
      var list = document.createElement("ul");
      issues.forEach(function (i) {
        var li = document.createElement("li");
        li.textContent = said(i);
        list.appendChild(li);
      });
      feedback.appendChild(list);
    }
    feedback.hidden = false;
  }

  function refused(body) {
    var e = (body && body.error) || {};
    var issues = e.issues || [];
    say("error", T.rp_failed + "：" + (issues.length > 1 ? "" : said(e)), issues.length > 1 ? issues : []);
  }

  function send(url, method, body) {
    return fetch(url, {
      method: method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
      body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().then(function (b) { return { ok: r.ok, body: b }; },
                           function () { return { ok: r.ok, body: {} }; });
    });
  }

  function offline() { say("error", T.rp_network); }

  function setSubmit(ok) { if (submitButton) { submitButton.disabled = !ok; } }

  function show(problems, bad) {
    var byCell = {};
    var elsewhere = [];
    problems.forEach(function (p) {
      if (rows[p.indicator]) { (byCell[p.indicator] = byCell[p.indicator] || []).push(p); } else { elsewhere.push(p); }
    });
    var hard = bad;
    var soft = 0;
    var empty = 0;
    inputs.forEach(function (input) {
      var code = input.dataset.indicator;
      var list = document.getElementById("p-" + code);
      var row = document.getElementById("row-" + code);
      var box = explanation(code);
      var parsed = parse(input.value);
      var found = parsed.error ? [{ severity: "hard", local: parsed.error }] : (byCell[code] || []);
      list.textContent = "";
      var hardHere = false;
      var softHere = false;
      var unexplained = false;
      found.forEach(function (p) {
        if (p.rule === "required") {
          empty += 1;
          hard += 1;
          if (!touched[code] && !attempted) { return; }
        } else if (p.severity === "hard" && !p.local) {
          hard += 1;
        } else if (p.severity === "soft" && !p.explained) {
          soft += 1;
          unexplained = true;
        }
        var li = document.createElement("li");
        li.className = p.severity + (p.explained ? " explained" : "");
        li.textContent = p.local || said(p);
        list.appendChild(li);
        hardHere = hardHere || p.severity === "hard";
        softHere = softHere || p.severity === "soft";
      });
      if (unexplained) {
        var need = document.createElement("li");
        need.className = "soft need";
        need.textContent = T.rp_need_explanation;
        list.appendChild(need);
      }
      if (softHere) { box.hidden = false; }
      box.classList.toggle("needed", unexplained);
      row.classList.toggle("has-hard", hardHere);
      row.classList.toggle("has-soft", softHere && !hardHere);
    });
    elsewhere.forEach(function (p) { if (p.severity === "hard" || !p.explained) { hard += 1; } });
    var ok = hard === 0 && soft === 0;
    status.textContent = ok ? T.rp_check_ok : format(T.rp_check_blocked, { hard: hard, soft: soft }) +
      (empty ? (lang === "en" ? " " : "") + format(T.rp_empty_cells, { n: empty }) : "");
    status.className = "rp-status " + (ok ? "ok" : hard ? "error" : "warn");
    if (elsewhere.length) {
      var more = document.createElement("ul");
      elsewhere.forEach(function (p) {
        var li = document.createElement("li");
        li.className = p.severity;
        li.textContent = said(p);
        more.appendChild(li);
      });
      status.appendChild(more);
    }
    setSubmit(ok);
  }

  function validate() {
    var mine = ++sequence;
    var batch = cells();
    status.textContent = T.rp_checking;
    status.className = "rp-status";
    return send(data.api + "/validate" + data.query, "POST", { cells: batch.cells }).then(function (answer) {
      if (mine !== sequence) { return; }
      if (!answer.ok) { refused(answer.body); setSubmit(false); return; }
      show(answer.body.problems || [], batch.bad);
    }, offline);
  }

  function later() {
    sequence += 1;  // an answer to a request sent before this change is stale
    setSubmit(false);
    clearTimeout(timer);
    timer = setTimeout(validate, 400);
  }

  function reload(done) { window.location.assign(data.reload + "&done=" + done); }

  inputs.forEach(function (input) {
    redraw(input);
    if (!data.editable || input.readOnly) { return; }
    input.addEventListener("input", function () {
      touched[input.dataset.indicator] = true;
      local(input, redraw(input));
      later();
    });
  });
  document.querySelectorAll("textarea.rp-explanation").forEach(function (box) {
    if (data.editable && !box.readOnly) { box.addEventListener("input", later); }
  });
  form.addEventListener("submit", function (event) { event.preventDefault(); });

  if (saveButton) {
    saveButton.addEventListener("click", function () {
      var batch = cells();
      if (batch.bad) { say("error", T.rp_fix_format); return; }
      saveButton.disabled = true;
      send(data.api + data.query, "PUT", { cells: batch.cells }).then(function (answer) {
        saveButton.disabled = false;
        if (answer.ok) { reload("saved"); } else { refused(answer.body); }
      }, function () { saveButton.disabled = false; offline(); });
    });
  }
  if (submitButton) {
    submitButton.addEventListener("click", function () {
      attempted = true;
      var batch = cells();
      if (batch.bad) { say("error", T.rp_fix_format); return; }
      setSubmit(false);
      send(data.api + "/submit" + data.query, "POST", { cells: batch.cells }).then(function (answer) {
        if (answer.ok) { reload("submitted"); return; }
        refused(answer.body);
        validate();
      }, offline);
    });
  }
  if (withdrawButton) {
    withdrawButton.addEventListener("click", function () {
      withdrawButton.disabled = true;
      send("/api/v1/returns/" + data.submission_id + "/withdraw", "POST", { message: "", indicators: [] })
        .then(function (answer) {
          withdrawButton.disabled = false;
          if (answer.ok) { reload("withdrawn"); } else { refused(answer.body); }
        }, function () { withdrawButton.disabled = false; offline(); });
    });
  }
  if (data.editable && status) { validate(); }
})();
