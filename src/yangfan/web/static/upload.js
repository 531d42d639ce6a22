// The upload page: check the chosen file first (POST /uploads/check, nothing written) and list its problems;
// download the workbook with its problem cells marked; submit it (POST /uploads) once nothing blocks it.
(function () {
  "use strict";
  var holder = document.getElementById("upload-data");
  if (!holder) { return; }
  var data = JSON.parse(holder.textContent);
  var T = data.texts;
  var lang = data.lang;
  var form = document.getElementById("upload-form");
  var file = document.getElementById("file");
  var status = document.getElementById("upload-status");
  var table = document.getElementById("problems");
  var tbody = table.querySelector("tbody");
  var annotated = document.getElementById("annotated");
  var submit = document.getElementById("upload-submit");
  var result = document.getElementById("upload-result");

  function format(template, values) {
    return template.replace(/\{(\w+)\}/g, function (m, k) { return k in values ? values[k] : m; });
  }
  function said(issue) { return (lang === "en" ? issue.message_en : issue.message_zh) || ""; }
  function csrf() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }
  function unit(code) { return code ? data.units[code] || code : ""; }
  function chosen() { return file.files && file.files.length ? file.files[0] : null; }
  function isWorkbook(name) { return /\.xls[xm]$/i.test(name); }

  function post(url) {
    var body = new FormData();
    body.append("file", chosen());
    return fetch(url, { method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": csrf() }, body: body });
  }
  function json(r) {
    return r.json().then(function (b) { return { ok: r.ok, body: b }; }, function () { return { ok: r.ok, body: {} }; });
  }

  function tell(kind, text) {
    status.textContent = text;
    status.className = "rp-status " + kind;
    status.hidden = false;
  }
  function report(kind, text, link) {
    result.textContent = "";
    result.className = "rp-feedback " + kind;
    var p = document.createElement("p");
    p.textContent = text;
    if (link) {
      var a = document.createElement("a");
      a.href = link;
      a.id = "result-link";
      a.textContent = T.rp_open_return;
      p.appendChild(document.createTextNode(" "));
      p.appendChild(a);
    }
    result.appendChild(p);
    result.hidden = false;
  }
  function refused(body) {
    var e = (body && body.error) || {};
    var issues = e.issues || [];
    report("error", T.rp_failed + "：" + (issues.length > 1 ? issues.map(said).join("；") : said(e)));
  }
  function offline() { report("error", T.rp_network); }

  function reset() {
    status.hidden = true;
    table.hidden = true;
    tbody.textContent = "";
    annotated.hidden = true;
    submit.hidden = true;
    result.hidden = true;
  }

  function where(p) {
    if (p.sheet) { return p.sheet + "!" + (p.column || "") + (p.row || ""); }
    if (p.row) { return format(T.rp_row_col, { row: p.row, col: p.column || "—" }); }
    return "—";
  }

  function cell(tr, text, className) {
    var td = document.createElement("td");
    td.textContent = text;
    if (className) { td.className = className; }
    tr.appendChild(td);
  }

  function show(answer) {
    var problems = answer.problems || [];
    var hard = problems.filter(function (p) { return p.severity === "hard"; }).length;
    var soft = problems.filter(function (p) { return p.severity === "soft" && !p.explained; }).length;
    problems.forEach(function (p) {
      var tr = document.createElement("tr");
      var kind = p.severity === "hard" ? "hard" : p.explained ? "explained" : "soft";
      tr.className = "problem " + kind;
      cell(tr, T["rp_sev_" + kind], "severity");
      cell(tr, where(p), "where nowrap");
      cell(tr, p.indicator ? (data.names[p.indicator] || p.indicator) + " (" + p.indicator + ")" : "—");
      cell(tr, [unit(p.org_unit), p.period, unit(p.disaggregation.replace(/^operator=/, ""))]
        .filter(Boolean).join(" · ") || "—", "nowrap");
      cell(tr, said(p));
      tbody.appendChild(tr);
    });
    table.hidden = problems.length === 0;
    // A workbook's problems name their sheet: it can come back with them marked (a CSV cannot).
    annotated.hidden = !problems.some(function (p) { return p.sheet; }) && !(problems.length && isWorkbook(answer.file || ""));
    if (answer.ok) {
      var explained = problems.length - hard - soft;
      tell("ok", explained ? format(T.rp_upload_ok_explained, { n: explained }) : T.rp_upload_ok);
      submit.hidden = false;
    } else {
      tell(hard ? "error" : "warn", format(T.rp_upload_blocked, { hard: hard, soft: soft }));
    }
  }

  file.addEventListener("change", reset);

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    reset();
    if (!chosen()) { tell("error", T.rp_choose_file); return; }
    tell("", T.rp_checking);
    post("/api/v1/uploads/check").then(json).then(function (answer) {
      if (!answer.ok) { status.hidden = true; refused(answer.body); return; }
      show(answer.body);
    }, offline);
  });

  annotated.addEventListener("click", function () {
    var f = chosen();
    if (!f) { tell("error", T.rp_choose_file); return; }
    annotated.disabled = true;
    post("/api/v1/uploads/annotated").then(function (r) {
      annotated.disabled = false;
      if (!r.ok) { return json(r).then(function (a) { refused(a.body); }); }
      return r.blob().then(function (blob) {
        var url = URL.createObjectURL(blob);
        var a = document.createElement("a");
        a.href = url;
        a.download = f.name.replace(/\.[^.]*$/, "") + (lang === "en" ? "_problems.xlsx" : "_问题.xlsx");
        document.body.appendChild(a);
        a.click();
        a.remove();
        setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
        report("ok", T.rp_annotated_done);
      });
    }, function () { annotated.disabled = false; offline(); });
  });

  submit.addEventListener("click", function () {
    if (!chosen()) { tell("error", T.rp_choose_file); return; }
    submit.disabled = true;
    post("/api/v1/uploads").then(json).then(function (answer) {
      submit.disabled = false;
      if (!answer.ok) { refused(answer.body); return; }
      var b = answer.body;
      submit.hidden = true;
      status.hidden = true;
      if (b.kind === "template") {
        var what = [b.form, unit(b.org_unit), unit(b.reporter), b.period].filter(Boolean).join(" / ");
        var link = "/reporting/" + b.form + "/" + b.org_unit + "/" + b.period + "?" +
          (b.reporter ? "reporter=" + encodeURIComponent(b.reporter) + "&" : "") + "lang=" + lang;
        report("ok", format(T.rp_upload_template_done, {
          what: what, state: lang === "en" ? b.state : b.state_zh, inserted: b.inserted, revised: b.revised
        }), link);
      } else {
        report("ok", format(T.rp_upload_values_done, {
          batch: b.batch_id, inserted: b.inserted, revised: b.revised, unchanged: b.unchanged,
          status: T["status_" + b.status] || b.status
        }));
      }
    }, function () { submit.disabled = false; offline(); });
  });
})();
