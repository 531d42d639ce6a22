// The registry import page (批量导入): check the chosen file first (POST /api/v1/registry/imports?dry_run=true,
// nothing written) and say what it would add, update and leave alone, or list every problem by row and field;
// then import the same file (dry_run=false). The file stays chosen in the page between the two.
(function () {
  "use strict";
  var holder = document.getElementById("import-data");
  if (!holder) { return; }
  var T = JSON.parse(holder.textContent);
  var form = document.getElementById("import-form");
  var file = document.getElementById("import-file");
  var confirm = document.getElementById("import-confirm");
  var check = document.getElementById("import-check");
  var status = document.getElementById("import-status");
  var table = document.getElementById("import-problems");
  var tbody = table.querySelector("tbody");
  var URL = "/api/v1/registry/imports";

  function format(template, values) {
    return template.replace(/\{(\w+)\}/g, function (m, k) { return k in values ? values[k] : m; });
  }
  function csrf() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }
  function chosen() { return file.files && file.files.length ? file.files[0] : null; }
  function tell(kind, text) {
    status.textContent = text;
    status.className = "banner rg-" + kind;
    status.hidden = false;
  }
  function reset() {
    status.hidden = true;
    table.hidden = true;
    tbody.textContent = "";
    confirm.hidden = true;
  }
  function cell(row, text) {
    var td = document.createElement("td");
    td.textContent = text === null || text === undefined || text === "" ? "—" : String(text);
    row.appendChild(td);
    return td;
  }
  function problems(issues) {
    tbody.textContent = "";
    issues.forEach(function (i) {
      var tr = document.createElement("tr");
      tr.setAttribute("data-row", i.row === null ? "" : String(i.row));
      tr.setAttribute("data-field", i.field || "");
      cell(tr, i.row).className = "num";
      cell(tr, i.field);
      cell(tr, i.message_zh);
      cell(tr, i.message_en);
      tbody.appendChild(tr);
    });
    table.hidden = issues.length === 0;
  }
  function send(dryRun) {
    var body = new FormData();
    body.append("file", chosen());
    check.disabled = confirm.disabled = true;
    tell("working", dryRun ? T.rg_import_checking : T.rg_import_importing);
    return fetch(URL + "?dry_run=" + (dryRun ? "true" : "false"), {
      method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": csrf() }, body: body
    }).then(function (r) {
      return r.json().then(function (b) { return { ok: r.ok, body: b }; },
                           function () { return { ok: r.ok, body: {} }; });
    }).then(function (answer) {
      check.disabled = confirm.disabled = false;
      var b = answer.body || {};
      if (!answer.ok) {
        var e = b.error || {};
        var issues = e.issues || [];
        tell("error", format(T.rg_import_rejected, { n: issues.length || 1 }) + " " +
             ((T.lang === "en" ? e.message_en : e.message_zh) || ""));
        problems(issues.filter(function (i) { return i.row !== null || i.field; }));
        confirm.hidden = true;
        return;
      }
      table.hidden = true;
      if (b.repeated) {
        tell("ok", T.rg_import_repeated);
        confirm.hidden = true;
      } else if (dryRun) {
        tell("ok", format(T.rg_import_plan, b));
        confirm.hidden = false;
      } else {
        tell("ok", format(T.rg_import_done, b));
        confirm.hidden = true;
      }
    }, function () {
      check.disabled = confirm.disabled = false;
      tell("error", T.rg_import_network);
    });
  }

  file.addEventListener("change", reset);
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    reset();
    if (!chosen()) { tell("error", T.rg_import_choose); return; }
    send(true);
  });
  confirm.addEventListener("click", function () {
    if (!chosen()) { tell("error", T.rg_import_choose); return; }
    send(false);
  });
})();
