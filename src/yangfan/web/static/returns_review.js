// Bulk actions on returns: tick, confirm in the page, then one POST per return with the session's CSRF token,
// each return's result (done, or the refusal: four eyes, someone acted first) listed as it comes back.
(function () {
  "use strict";
  var form = document.getElementById("bulk-form");
  if (!form || !form.dataset.action) { return; }
  var t = JSON.parse(document.getElementById("review-texts").textContent);
  var action = form.dataset.action;
  var error = document.getElementById("bulk-error");
  var confirmBox = document.getElementById("bulk-confirm");
  var results = document.getElementById("bulk-results");
  var resultList = document.getElementById("bulk-result-list");
  var button = document.getElementById("bulk-button");
  var csrf = document.querySelector('meta[name="csrf-token"]');
  var chosen = [];

  var fill = window.YangfanRefusal.fill;
  function message(body, status) { return window.YangfanRefusal.message(t, body, status); }
  function boxes() { return form.querySelectorAll('input[name="id"]'); }

  document.getElementById("select-all").addEventListener("change", function (e) {
    boxes().forEach(function (box) { if (!box.disabled) { box.checked = e.target.checked; } });
  });

  button.addEventListener("click", function () {
    chosen = Array.prototype.filter.call(boxes(), function (b) { return b.checked && !b.disabled; })
      .map(function (b) { var row = b.closest("tr"); return { id: Number(b.value), label: row.dataset.label }; });
    error.hidden = true;
    if (!chosen.length) { error.textContent = t.rv_bulk_none; error.hidden = false; return; }
    document.getElementById("bulk-question").textContent =
      fill(t.rv_ask_bulk, { n: chosen.length, action: t["rv_step_" + action] });
    var list = document.getElementById("bulk-list");
    list.textContent = "";
    chosen.forEach(function (c) { var li = document.createElement("li"); li.textContent = c.label; list.appendChild(li); });
    confirmBox.hidden = false;
    button.disabled = true;
    document.getElementById("bulk-confirm-button").focus();
  });

  document.getElementById("bulk-cancel").addEventListener("click", function () {
    confirmBox.hidden = true;
    button.disabled = false;
  });

  function one(c) {
    return fetch("/api/v1/returns/" + c.id + "/" + action, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf ? csrf.content : "" },
      body: JSON.stringify({ message: form.note ? form.note.value : "", indicators: [] })
    }).then(function (r) {
      return r.json().then(function (body) {
        return r.ok ? { ok: true, text: t["rv_state_" + body.state] || body.state } : { ok: false, text: message(body, r.status) };
      }, function () { return { ok: false, text: "HTTP " + r.status }; });
    }, function (e) { return { ok: false, text: String(e) }; });
  }

  document.getElementById("bulk-confirm-button").addEventListener("click", function () {
    var confirmButton = this;
    confirmButton.disabled = true;
    confirmButton.textContent = t.rv_working;
    resultList.textContent = "";
    results.hidden = false;
    var ok = 0, failed = 0;
    // One after another: each return is its own transaction, and its result stands on its own.
    chosen.reduce(function (done, c) {
      return done.then(function () {
        return one(c).then(function (res) {
          var li = document.createElement("li");
          li.className = res.ok ? "ok" : "refused";
          li.dataset.id = c.id;
          li.textContent = (res.ok ? "✓ " : "✗ " + t.refused + " · ") + c.label + (t.lang === "en" ? ": " : "：") + res.text;
          resultList.appendChild(li);
          var row = form.querySelector('tr[data-id="' + c.id + '"]');
          if (row) {
            row.dataset.result = res.ok ? "ok" : "refused";
            var box = row.querySelector('input[name="id"]');
            box.checked = false;
            if (res.ok) { box.disabled = true; }
          }
          if (res.ok) { ok += 1; } else { failed += 1; }
        });
      });
    }, Promise.resolve()).then(function () {
      document.getElementById("bulk-summary").textContent = fill(t.rv_bulk_done, { ok: ok, failed: failed });
      results.dataset.done = "true";
      confirmBox.hidden = true;
      confirmButton.disabled = false;
      confirmButton.textContent = t.confirm_do;
      button.disabled = false;
    });
  });
})();
