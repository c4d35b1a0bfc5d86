// Maps of the area pages (CSP forbids inline scripts, so everything the pages need is here).
// - #map: the grid map, configured by the JSON in #map-config (API URLs, labels, optional tiles).
// - #area-map: an area's own boundary (#area-geometry) and its children's polygons.
// - [data-confirm] buttons ask before submitting (the delete form).
(function () {
  "use strict";

  function readJSON(id) {
    const el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  // A stable colour per community, spread round the hue circle by the golden angle.
  function colour(id) {
    if (id === null || id === undefined) return "#c8161d";
    return "hsl(" + Math.round((id * 137.508) % 360) + ", 65%, 42%)";
  }

  function baseMap(el, tiles) {
    const map = L.map(el, { preferCanvas: true, zoomSnap: 0.25 });
    if (tiles) L.tileLayer(tiles, { maxZoom: 19 }).addTo(map);
    map.setView([26.08, 119.3], 12);
    return map;
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
  }

  // Popups are built from DOM nodes and textContent: names come from users, never as HTML.
  function popup(props, labels, detailUrl) {
    const box = document.createElement("div");
    const title = document.createElement("strong");
    title.textContent = props.name;
    box.appendChild(title);
    const rows = [
      [labels.code, props.code],
      [labels.community, props.community_name || "—"],
      [labels.population, props.population],
      [labels.households, props.households],
    ];
    for (const [label, value] of rows) {
      const line = document.createElement("div");
      line.textContent = label + ": " + value;
      box.appendChild(line);
    }
    const link = document.createElement("a");
    link.href = detailUrl.replace(/\/0\/$/, "/" + props.id + "/");
    link.textContent = labels.open;
    box.appendChild(link);
    return box;
  }

  // The communities on the map with their colours (a map coloured by community needs a key).
  function legend(map, features, labels) {
    const seen = new Map();
    for (const f of features) {
      const id = f.properties.community_id;
      if (id !== null && !seen.has(id)) seen.set(id, f.properties.community_name);
    }
    if (seen.size < 2) return;
    const control = L.control({ position: "bottomleft" });
    control.onAdd = () => {
      const box = L.DomUtil.create("div", "map-legend");
      const title = document.createElement("strong");
      title.textContent = labels.community;
      box.appendChild(title);
      for (const [id, name] of seen) {
        const row = document.createElement("div");
        const swatch = document.createElement("span");
        swatch.className = "swatch";
        swatch.style.background = colour(id);
        row.appendChild(swatch);
        row.appendChild(document.createTextNode(name));
        box.appendChild(row);
      }
      L.DomEvent.disableScrollPropagation(box);
      return box;
    };
    control.addTo(map);
  }

  function gridMap(el) {
    const config = readJSON("map-config");
    const labels = config.labels;
    const map = baseMap(el, config.tiles);
    const layers = new Map();
    let highlighted = null;
    let marker = null;
    const result = document.getElementById("locate-result");

    const styleOf = (feature) => ({
      color: colour(feature.properties.community_id),
      weight: 1,
      fillOpacity: 0.3,
    });

    getJSON(config.geojson)
      .then((r) => (r.ok ? r.json() : Promise.reject(r.status)))
      .then((data) => {
        const layer = L.geoJSON(data, {
          style: styleOf,
          onEachFeature: (feature, lyr) => {
            layers.set(feature.properties.id, lyr);
            lyr.bindPopup(() => popup(feature.properties, labels, config.detail));
          },
        }).addTo(map);
        if (data.features.length) {
          map.fitBounds(layer.getBounds(), { padding: [10, 10] });
          legend(map, data.features, labels);
        } else if (result) {
          result.textContent = labels.noGrids;
        }
      })
      .catch(() => { if (result) result.textContent = labels.noGrids; });

    const form = document.getElementById("locate-form");
    if (!form) return;
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const data = new FormData(form);
      if (!data.get("lat") || !data.get("lng")) { result.textContent = labels.bad; return; }
      const url = config.locate + "?" + new URLSearchParams(data).toString();
      getJSON(url).then((r) => {
        if (r.status === 404) { result.textContent = labels.notFound; return null; }
        if (!r.ok) { result.textContent = labels.bad; return null; }
        return r.json();
      }).then((found) => {
        if (!found) return;
        if (highlighted) highlighted.setStyle(styleOf(highlighted.feature));
        if (marker) marker.remove();
        marker = L.circleMarker([found.lat, found.lng], { radius: 6, color: "#000", weight: 2 }).addTo(map);
        const parts = [found.community && found.community.name, found.grid.name].filter(Boolean);
        result.textContent = labels.found + ": " + parts.join(" · ");
        const lyr = layers.get(found.grid.id);
        if (lyr) {
          highlighted = lyr;
          lyr.setStyle({
            color: "#000",
            weight: 4,
            fillColor: colour(lyr.feature.properties.community_id),
            fillOpacity: 0.6,
          });
          lyr.bringToFront();
          map.fitBounds(lyr.getBounds().pad(1.5), { maxZoom: 16 });
          lyr.openPopup();
        } else {
          map.setView([found.lat, found.lng], 16);
        }
      });
    });
  }

  function areaMap(el) {
    const geometry = readJSON("area-geometry");
    const map = baseMap(el, el.dataset.tiles);
    const group = L.featureGroup().addTo(map);
    if (geometry) {
      L.geoJSON(geometry, { style: { color: "#c8161d", weight: 3, fillOpacity: 0.08 } }).addTo(group);
    }
    const fit = () => {
      if (group.getLayers().length) map.fitBounds(group.getBounds(), { padding: [8, 8] });
      else el.textContent = el.dataset.empty;
    };
    getJSON(el.dataset.children)
      .then((r) => (r.ok ? r.json() : { features: [] }))
      .then((data) => {
        if (data.features.length) {
          L.geoJSON(data, {
            style: (f) => ({ color: colour(f.properties.id), weight: 1, fillOpacity: 0.2 }),
            onEachFeature: (f, lyr) => lyr.bindTooltip(f.properties.name),
          }).addTo(group);
        }
        fit();
      })
      .catch(fit);
  }

  document.addEventListener("click", (e) => {
    const button = e.target.closest("[data-confirm]");
    if (button && !window.confirm(button.dataset.confirm)) e.preventDefault();
  });

  document.addEventListener("DOMContentLoaded", () => {
    const big = document.getElementById("map");
    if (big && document.getElementById("map-config")) gridMap(big);
    const small = document.getElementById("area-map");
    if (small) areaMap(small);
  });
})();
