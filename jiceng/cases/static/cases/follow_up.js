// The case page's follow-up call form: an unanswered call carries no rating, an answered one needs
// one, so the form says so before the server has to (CSP forbids inline scripts).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    const form = document.getElementById("follow-up-form");
    if (!form) return;
    const rating = form.querySelector("[name=rating]");
    const resolved = form.querySelector("[name=resolved]");
    function sync() {
      const reached = form.querySelector("[name=reached]:checked").value === "1";
      rating.disabled = resolved.disabled = !reached;
      rating.required = reached;
      if (!reached) { rating.value = ""; resolved.value = ""; }
    }
    form.querySelectorAll("[name=reached]").forEach(function (r) { r.addEventListener("change", sync); });
    sync();
  });
})();
