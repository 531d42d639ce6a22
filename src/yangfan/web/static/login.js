// The login form posts JSON to the API; the session cookie comes back HttpOnly.
(function () {
  "use strict";
  var form = document.getElementById("login-form");
  var error = document.getElementById("login-error");
  var lang = form.dataset.lang;
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    error.hidden = true;
    fetch("/api/v1/auth/login", {
      method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username: form.username.value, password: form.password.value })
    }).then(function (r) {
      if (r.ok) { window.location.assign("/?lang=" + lang); return null; }
      return r.json().then(function (body) {
        var e = body.error || {};
        error.textContent = form.dataset.failed + "：" + ((lang === "en" ? e.message_en : e.message_zh) || r.status);
        error.hidden = false;
      });
    });
  });
})();
