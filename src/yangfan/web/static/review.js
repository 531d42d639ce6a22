// Approve, return or publish the checked values: one POST with the session's CSRF token.
(function () {
  "use strict";
  var form = document.getElementById("review-form");
  if (!form) { return; }
  var error = document.getElementById("review-error");
  var lang = form.dataset.lang;
  document.getElementById("select-all").addEventListener("change", function (e) {
    form.querySelectorAll('input[name="id"]').forEach(function (box) { box.checked = e.target.checked; });
  });
  form.querySelectorAll("button[data-action]").forEach(function (button) {
    button.addEventListener("click", function () {
      var ids = Array.prototype.map.call(form.querySelectorAll('input[name="id"]:checked'),
                                         function (box) { return Number(box.value); });
      if (!ids.length) { return; }
      var meta = document.querySelector('meta[name="csrf-token"]');
      fetch("/api/v1/reviews", {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": meta ? meta.content : "" },
        body: JSON.stringify({ ids: ids, action: button.dataset.action, note: form.note.value })
      }).then(function (r) {
        if (r.ok) { window.location.reload(); return null; }
        return r.json().then(function (body) {
          var issues = (body.error && body.error.issues) || [];
          error.textContent = issues.map(function (i) { return lang === "en" ? i.message_en : i.message_zh; }).join("；");
          error.hidden = false;
        });
      });
    });
  });
})();
