// The resident's report form (CSP forbids inline scripts): "Use my location" fills the hidden
// latitude and longitude from the browser, which gives WGS-84 (a map SDK in a native app would
// post GCJ-02 with crs=gcj02; the server converts).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    const button = document.getElementById("use-location");
    const status = document.getElementById("location-status");
    if (!button) return;
    if (!navigator.geolocation) { button.hidden = true; return; }
    button.addEventListener("click", function () {
      status.textContent = button.dataset.wait;
      navigator.geolocation.getCurrentPosition(function (pos) {
        document.getElementById("id_lat").value = pos.coords.latitude.toFixed(6);
        document.getElementById("id_lng").value = pos.coords.longitude.toFixed(6);
        document.getElementById("id_crs").value = "wgs84";
        status.textContent = button.dataset.done + " (±" + Math.round(pos.coords.accuracy) + " m)";
      }, function () {
        status.textContent = button.dataset.fail;
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    });
  });
})();
