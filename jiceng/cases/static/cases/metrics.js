// The metrics dashboard (CSP forbids inline scripts): ECharts for the trend, category and area charts,
// Leaflet for the heat map by grid. Figures come from the JSON in #metrics-config (the same as the
// API at config.api returns); grid polygons from the areas GeoJSON API.
(function () {
  "use strict";

  const pct = (v) => (v === null || v === undefined ? null : Math.round(v * 1000) / 10);

  function rateSeries(rows, config, type) {
    return config.rates.map((name) => ({
      name: config.labels[name],
      type: type,
      yAxisIndex: 1,
      data: rows.map((r) => pct(r.rates[name])),
    }));
  }

  function chart(id, rows, config, opts) {
    const el = document.getElementById(id);
    if (!el || typeof echarts === "undefined") return;
    if (!rows.length) { el.textContent = config.labels.noData; return; }
    const c = echarts.init(el);
    c.setOption({
      tooltip: { trigger: "axis" },
      legend: { type: "scroll", top: 0 },
      grid: { left: 50, right: 50, top: 40, bottom: opts.rotate ? 70 : 30 },
      xAxis: { type: "category", data: rows.map((r) => r.label), axisLabel: { rotate: opts.rotate || 0 } },
      yAxis: [
        { type: "value", name: config.labels.cases, minInterval: 1 },
        { type: "value", name: "%", min: 0, max: 100 },
      ],
      series: [{ name: config.labels.cases, type: "bar", data: rows.map((r) => r.cases), itemStyle: { color: "#c8161d55" } }]
        .concat(rateSeries(rows, config, "line")),
    });
    if (opts.drill) {
      c.on("click", (p) => {
        const row = rows[p.dataIndex];
        if (row && row.key) window.location.href = config.drill + row.key;
      });
    }
    window.addEventListener("resize", () => c.resize());
  }

  // Five shades of red from few cases to many (quantiles of the grids' counts).
  const SHADES = ["#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15"];

  function heatMap(config) {
    const el = document.getElementById("metrics-map");
    if (!el || typeof L === "undefined") return;
    const byGrid = new Map(config.data.by_grid.map((r) => [r.key, r]));
    const counts = config.data.by_grid.map((r) => r.cases).sort((a, b) => a - b);
    const cut = [0.2, 0.4, 0.6, 0.8].map((q) => counts[Math.floor(q * (counts.length - 1))] || 0);
    const shade = (n) => SHADES[cut.filter((c) => n > c).length];
    const map = L.map(el, { preferCanvas: true, zoomSnap: 0.25 }).setView([26.08, 119.3], 12);
    fetch(config.geojson, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((r) => (r.ok ? r.json() : Promise.reject(r.status)))
      .then((data) => {
        const shown = data.features.filter((f) => config.data.area === null || byGrid.has(f.properties.id));
        if (!shown.length) { el.textContent = config.labels.noData; return; }
        const layer = L.geoJSON({ type: "FeatureCollection", features: shown }, {
          style: (f) => {
            const row = byGrid.get(f.properties.id);
            return { color: "#555", weight: 1, fillOpacity: 0.75, fillColor: row ? shade(row.cases) : "#f5f5f5" };
          },
          onEachFeature: (f, lyr) => {
            lyr.bindTooltip(() => {
              const row = byGrid.get(f.properties.id);
              const box = document.createElement("div");
              const title = document.createElement("strong");
              title.textContent = f.properties.name;
              box.appendChild(title);
              const lines = [[config.labels.cases, row ? row.cases : 0]];
              if (row) for (const n of config.rates) lines.push([config.labels[n], row.rates[n] === null ? "—" : pct(row.rates[n]) + "%"]);
              for (const [k, v] of lines) {
                const d = document.createElement("div");
                d.textContent = k + ": " + v;
                box.appendChild(d);
              }
              return box;
            });
            lyr.on("click", () => { window.location.href = config.drill + f.properties.id; });
          },
        }).addTo(map);
        map.fitBounds(layer.getBounds(), { padding: [8, 8] });
        const legend = L.control({ position: "bottomleft" });
        legend.onAdd = () => {
          const box = L.DomUtil.create("div", "metrics-legend");
          // One line per shade that some grid can take: "lo – hi" cases (the last open-ended).
          const max = counts.length ? counts[counts.length - 1] : 0;
          let lo = 0;
          SHADES.forEach((colour, i) => {
            const hi = i < cut.length ? cut[i] : max;
            if (hi < lo || (i > 0 && hi === cut[i - 1])) return;
            const row = document.createElement("div");
            const sw = document.createElement("span");
            sw.style.background = colour;
            row.appendChild(sw);
            row.appendChild(document.createTextNode(lo === hi ? String(hi) : lo + " – " + hi));
            box.appendChild(row);
            lo = hi + 1;
          });
          return box;
        };
        legend.addTo(map);
      })
      .catch(() => { el.textContent = config.labels.noData; });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const node = document.getElementById("metrics-config");
    if (!node) return;
    const config = JSON.parse(node.textContent);
    chart("chart-month", config.data.by_month, config, {});
    chart("chart-category", config.data.by_category, config, { rotate: 30 });
    chart("chart-area", config.data.by_area, config, { rotate: 30, drill: true });
    heatMap(config);
  });
})();
