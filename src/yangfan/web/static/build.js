// Tell the reader when a newer analytics build is serving than the one this page was computed from.
(function () {
  "use strict";
  const footer = document.getElementById("build");
  if (!footer || !window.fetch) return;
  const shown = footer.dataset.build;
  const notice = document.getElementById("build-new");
  async function check() {
    try {
      const r = await fetch("/api/v1/build", { credentials: "same-origin", cache: "no-store" });
      if (!r.ok) return;
      const now = await r.json();
      if (now.build && now.build !== shown) {
        notice.hidden = false;
        return;  // one notice is enough: stop asking
      }
    } catch (e) {
      // offline for a moment: ask again later
    }
    setTimeout(check, 15000);
  }
  setTimeout(check, 15000);
})();
