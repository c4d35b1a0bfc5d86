// Case pages (CSP forbids inline scripts, so everything they need is here).
// - #case-map: a small map of the case's point, from the JSON in #case-point (WGS-84; optional tiles).
// - #use-location: fills latitude and longitude from the phone's location (WGS-84 from the browser).
// - #category-suggest: the categories the description suggests (htmx); the first is preselected while
//   no category is chosen, a click on another picks it. Either way the select changes, so the
//   duplicate suggestions below follow.
(function () {
  "use strict";

  function showPoint() {
    const el = document.getElementById("case-map");
    const data = document.getElementById("case-point");
    if (!el || !data || typeof L === "undefined") return;
    const p = JSON.parse(data.textContent);
    const map = L.map(el, { zoomSnap: 0.25 });
    if (p.tiles) L.tileLayer(p.tiles, { maxZoom: 19 }).addTo(map);
    map.setView([p.lat, p.lng], 16);
    L.circleMarker([p.lat, p.lng], { radius: 8, color: "#c8161d", fillOpacity: 0.6 })
      .addTo(map)
      .bindTooltip(p.label);
  }

  function locate() {
    const button = document.getElementById("use-location");
    if (!button || !navigator.geolocation) return;
    button.addEventListener("click", function () {
      navigator.geolocation.getCurrentPosition(function (pos) {
        document.getElementById("id_lat").value = pos.coords.latitude.toFixed(6);
        document.getElementById("id_lng").value = pos.coords.longitude.toFixed(6);
        document.getElementById("id_crs").value = "wgs84";
      });
    });
  }

  function suggestCategory() {
    const select = document.getElementById("id_category");
    if (!select || !document.getElementById("category-suggest")) return;
    function pick(value) {
      select.value = value;
      select.dispatchEvent(new Event("change", { bubbles: true }));
    }
    document.addEventListener("click", function (event) {
      const button = event.target.closest("[data-pick-category]");
      if (button) pick(button.dataset.pickCategory);
    });
    document.body.addEventListener("htmx:afterSwap", function (event) {
      if (event.target.id !== "category-suggest") return;
      const first = event.target.querySelector("[data-preselect]");
      if (first && !select.value) pick(first.dataset.pickCategory);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    showPoint();
    locate();
    suggestCategory();
  });
})();
