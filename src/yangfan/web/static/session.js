// Logout from any page: a POST with the session's CSRF token from the page's meta tag (no inline script).
(function () {
  "use strict";
  var button = document.getElementById("logout");
  if (!button) { return; }
  button.addEventListener("click", function () {
    var meta = document.querySelector('meta[name="csrf-token"]');
    fetch("/api/v1/auth/logout", {
      method: "POST", credentials: "same-origin",
      headers: { "X-CSRF-Token": meta ? meta.content : "" }
    }).then(function () { window.location.assign("/login" + window.location.search.replace(/&?(section|page)=[^&]*/g, "")); });
  });
})();
