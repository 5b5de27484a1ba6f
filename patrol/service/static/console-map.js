// patrol dispatch console: the map (streets, base, units, incidents, routes, legend).  Offline: no tiles.
// Colours are CSS classes and variables in console.css; every one drawn is explained in the legend.
"use strict";

const COLOURS = {
  corridor: "#cc79a7", area: "#555555", other: "#bbbbbb", base: "#f0e442",
  route1: "#0072b2", route2: "#56b4e9", assigned: "#e69f00",
};
const DUTY_STATUSES = ["on shift", "busy", "on break", "off duty"];

const MapView = {
  map: null,
  layers: {},

  init() {
    this.map = L.map("map", {preferCanvas: true, zoomControl: true});
    for (const name of ["streets", "routes", "incidents", "units"]) this.layers[name] = L.layerGroup().addTo(this.map);
    const legend = L.control({position: "bottomright"});
    legend.onAdd = () => this.legend();
    legend.addTo(this.map);
    L.control.scale({imperial: false}).addTo(this.map);
    return this.layers;
  },

  legend() {
    const sw = (cls) => el("span", {class: "sw " + cls});
    const unit = (status, kind) => unitMarkerElement(null, status, kind);
    const box = el("details", {class: "legend", id: "legend", open: true},
      el("summary", {}, "Legend"),
      el("h4", {}, "Streets"),
      el("div", {}, sw("sw-corridor"), "cultural corridor"),
      el("div", {}, sw("sw-area"), "patrol area streets"),
      el("div", {}, sw("sw-other"), "other streets"),
      el("div", {}, sw("sw-base"), "base (communication center)"),
      el("h4", {}, "Incidents and routes"),
      el("div", {}, incidentMarkerElement(null, false), "open incident"),
      el("div", {}, sw("sw-route1"), "best route to the selected incident"),
      el("div", {}, sw("sw-route2"), "next best routes"),
      el("div", {}, sw("sw-assigned"), "route of the unit sent"),
      el("h4", {}, "Ambassadors (colour: status)"),
      ...DUTY_STATUSES.map((s) => el("div", {class: "legend-status"}, unit(s, "live"), s)),
      el("h4", {}, "Position"),
      el("div", {}, unit("on shift", "live"), "live ping (age beside the name)"),
      el("div", {}, unit("on shift", "est"), "estimated from plan"),
      el("div", {}, unit("on shift", "stale"), "old ping (over the stale limit)"));
    L.DomEvent.disableClickPropagation(box);
    L.DomEvent.disableScrollPropagation(box);
    return box;
  },

  drawStreets(district, streets) {
    const g = this.layers.streets;
    g.clearLayers();
    L.geoJSON(streets, {
      style: (f) => f.properties.corridor ? {color: COLOURS.corridor, weight: 7, opacity: 0.55}
        : f.properties.in_area ? {color: COLOURS.area, weight: 2, opacity: 0.9, dashArray: f.properties.kind === "trail" ? "4 4" : null}
        : {color: COLOURS.other, weight: 1.5, opacity: 0.9},
      onEachFeature: (f, layer) => layer.bindTooltip(() => tip(f.properties.name + " (block " + f.properties.block + ")"), {sticky: true}),
    }).addTo(g);
    const b = district.area_bounds;
    this.map.fitBounds([[b.south, b.west], [b.north, b.east]], {paddingTopLeft: [20, 20], paddingBottomRight: [250, 20]});
    L.circleMarker([district.base.lat, district.base.lon], {radius: 8, color: "#000", weight: 3, fillColor: COLOURS.base, fillOpacity: 1})
      .bindTooltip(() => tip(district.base.name, district.base.at)).addTo(g);
  },

  drawUnits(units, staleMin, onClick) {
    const g = this.layers.units;
    g.clearLayers();
    this.unitMarkers = {};
    for (const u of units) {
      if (!u.position) continue;
      const kind = positionKind(u.position, staleMin);
      const icon = L.divIcon({className: "unit-icon", html: unitMarkerElement(u, u.status, kind), iconSize: null});
      const m = L.marker([u.position.lat, u.position.lon], {icon, keyboard: false, riseOnHover: true,
        title: u.name + ": " + u.status + ", " + positionText(u.position, staleMin)})
        .on("click", () => onClick && onClick(u));
      m.addTo(g);
      this.unitMarkers[u.name] = m;
    }
  },

  drawIncidents(incidents, selected, onClick) {
    const g = this.layers.incidents;
    g.clearLayers();
    for (const i of incidents) {
      if (i.lat === null || i.lat === undefined) continue;
      const icon = L.divIcon({className: "inc-icon", html: incidentMarkerElement(i, i.id === selected), iconSize: null});
      L.marker([i.lat, i.lon], {icon, zIndexOffset: i.id === selected ? 1000 : 0,
        title: "#" + i.id + " " + i.type + " (" + i.status + ") at " + (i.matched || i.location_text)})
        .on("click", () => onClick(i.id)).addTo(g);
    }
  },

  /** Routes of a ranking: the best three (blue) and the units already sent (orange). */
  drawRoutes(ranking, sent) {
    const g = this.layers.routes;
    g.clearLayers();
    if (!ranking) return;
    const lines = [];
    for (const c of ranking.candidates) {
      if (!c.route) continue;
      const line = c.route.geometry.coordinates.map(([x, y]) => [y, x]);
      const isSent = sent.has(c.ambassador);
      const best = c.rank === 1;
      const style = isSent ? {color: COLOURS.assigned, weight: 6, opacity: 0.95}
        : best ? {color: COLOURS.route1, weight: 6, opacity: 0.9} : {color: COLOURS.route2, weight: 4, opacity: 0.9, dashArray: "8 6"};
      const label = (isSent ? "sent: " : "#" + c.rank + " ") + c.ambassador + ", " + fmt(c.eta_min) + " min on foot";
      L.polyline(line, style).bindTooltip(() => tip(label, "via " + c.route.streets.join(" → "))).addTo(g);
      lines.push(...line);
    }
    return lines;
  },

  /** Zoom to the incident, the units ranked and sent, and their routes. */
  fit(incident, ranking, sent) {
    const pts = [[incident.lat, incident.lon]];
    for (const c of (ranking ? ranking.candidates : [])) {
      if (!(c.rank && c.rank <= 3) && !sent.has(c.ambassador)) continue;
      if (c.position) pts.push([c.position.lat, c.position.lon]);
      if (c.route) pts.push(...c.route.geometry.coordinates.map(([x, y]) => [y, x]));
    }
    if (pts.length === 1) this.map.setView(pts[0], Math.max(this.map.getZoom(), 17));
    else this.map.fitBounds(L.latLngBounds(pts), {paddingTopLeft: [60, 60], paddingBottomRight: [260, 60], maxZoom: 18});
  },

  panTo(name) {
    const m = this.unitMarkers && this.unitMarkers[name];
    if (m) this.map.setView(m.getLatLng(), Math.max(this.map.getZoom(), 17));
  },
};

// Positions the record places (patrol/dispatch/positions.py), in plain words; all but "on scene" are estimates.
const RECORD_PLACED = {"en route": "on its way (estimated)", "on scene": "at its incident",
  "after incident": "where its incident was (estimated)", "escorting": "walking an escort (estimated)",
  "after escort": "where its escort ended (estimated)"};

/** live, est (estimated: from the plan or the record) or stale (an old ping). */
function positionKind(pos, staleMin) {
  if (pos.source === "plan" || (pos.source in RECORD_PLACED && pos.source !== "on scene")) return "est";
  if (pos.source === "on scene") return "live";
  if (pos.source === "stale ping" || (pos.age_min !== null && pos.age_min > staleMin)) return "stale";
  return "live";
}

/** Plain words for where a position comes from and how old it is. */
function positionText(pos, staleMin) {
  if (!pos) return "no position";
  if (pos.source in RECORD_PLACED) return RECORD_PLACED[pos.source];
  const kind = positionKind(pos, staleMin);
  if (kind === "est") return "estimated from plan" + (pos.activity ? " (" + pos.activity + ")" : "");
  return (kind === "stale" ? "old ping, " : "live ping, ") + ageText(pos.age_min);
}

/** A unit's map marker: a dot in its status colour (hollow when estimated) and its name with freshness. */
function unitMarkerElement(u, status, kind) {
  const dot = el("span", {class: "dot"});
  const box = el("div", {class: "unit-marker c-" + slug(status) + " " + kind, dataset: u ? {unit: u.name} : {}}, dot);
  if (u) {
    const fresh = kind === "est" ? (u.position.source === "plan" ? "plan" : "est.")
      : u.position.source === "on scene" ? "on scene"
      : kind === "stale" ? ageText(u.position.age_min) : ageText(u.position.age_min).replace(" ago", "");
    box.append(el("span", {class: "label"}, u.name, " ", el("small", {}, fresh)));
  }
  return box;
}

function incidentMarkerElement(i, selected) {
  const box = el("div", {class: "inc-marker" + (selected ? " selected" : ""), dataset: i ? {id: i.id} : {}}, el("span", {class: "sq"}));
  if (i) box.append(el("span", {class: "label"}, "#" + i.id));
  return box;
}
