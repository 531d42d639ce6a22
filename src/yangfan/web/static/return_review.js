// One return's actions: approve, return (a message, the cells concerned ticked), accept, publish, unlock (cells and
// a reason). Each asks for confirmation in the page, then POSTs with the session's CSRF token; the result shows
// above the figures after the page reloads with the new state and history.
(function () {
  "use strict";
  var t = JSON.parse(document.getElementById("review-texts").textContent);
  var result = document.getElementById("result");
  var KEY = "yangfan-return-result-" + t.id;
  var kept = window.sessionStorage.getItem(KEY);
  if (kept) {
    var r = JSON.parse(kept);
    result.textContent = r.text;
    result.dataset.step = r.step;
    result.hidden = false;
    window.sessionStorage.removeItem(KEY);
  }
  var buttons = document.getElementById("step-buttons");
  if (!buttons) { return; }
  var error = document.getElementById("step-error");
  var confirmBox = document.getElementById("step-confirm");
  var confirmButton = document.getElementById("step-confirm-button");
  var messageBox = document.getElementById("step-message");
  var csrf = document.querySelector('meta[name="csrf-token"]');
  var colon = t.lang === "en" ? ": " : "：";
  var pending = null;

  var fill = window.YangfanRefusal.fill;
  function ticked() {
    return Array.prototype.filter.call(document.querySelectorAll('#items-table input[name="cell"]'),
                                       function (b) { return b.checked; });
  }
  function message(body, status) { return window.YangfanRefusal.message(t, body, status); }
  function nameOf(box) { return box.getAttribute("aria-label"); }
  function refuse(text) { error.textContent = text; error.hidden = false; }
  function allButtons(disabled) {
    buttons.querySelectorAll("button").forEach(function (b) { b.disabled = disabled; });
  }

  buttons.querySelectorAll("button[data-step]").forEach(function (button) {
    button.addEventListener("click", function () {
      var step = button.dataset.step;
      var message = messageBox.value.trim();
      var cells = ticked();
      error.hidden = true;
      if ((step === "return" || step === "unlock") && !message) { refuse(t.rv_message_required); messageBox.focus(); return; }
      if (step === "unlock" && !cells.length) { refuse(t.rv_cells_required); return; }
      pending = { step: step, message: message,
                  indicators: (step === "return" || step === "unlock") ? cells.map(function (b) { return b.value; }) : [] };
      document.getElementById("step-question").textContent = fill(t.rv_ask_step, { action: t["rv_step_" + step], what: t.label });
      document.getElementById("step-question-message").textContent = message ? t.rv_ask_message + colon + message : "";
      document.getElementById("step-question-cells").textContent = pending.indicators.length ?
        t.rv_ask_cells + colon + cells.map(nameOf).join("、") : "";
      confirmButton.textContent = t.confirm_do + colon + t["rv_step_" + step];
      confirmBox.hidden = false;
      allButtons(true);
      confirmButton.focus();
    });
  });

  document.getElementById("step-cancel").addEventListener("click", function () {
    confirmBox.hidden = true;
    pending = null;
    allButtons(false);
  });

  confirmButton.addEventListener("click", function () {
    if (!pending) { return; }
    var step = pending.step;
    confirmButton.disabled = true;
    fetch("/api/v1/returns/" + t.id + "/" + step, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf ? csrf.content : "" },
      body: JSON.stringify({ message: pending.message, indicators: pending.indicators })
    }).then(function (r) {
      return r.json().then(function (body) { return { ok: r.ok, status: r.status, body: body }; },
                           function () { return { ok: false, status: r.status, body: {} }; });
    }).then(function (res) {
      confirmButton.disabled = false;
      confirmBox.hidden = true;
      if (res.ok) {
        var text = fill(t.rv_result_ok, { action: t["rv_step_" + step], state: t["rv_state_" + res.body.state] || res.body.state });
        window.sessionStorage.setItem(KEY, JSON.stringify({ step: step, text: text }));
        window.location.reload();
        return;
      }
      refuse(t.refused + colon + message(res.body, res.status));
      allButtons(false);
      pending = null;
    }, function (err) {
      confirmButton.disabled = false;
      confirmBox.hidden = true;
      refuse(t.refused + colon + String(err));
      allButtons(false);
    });
  });
})();
