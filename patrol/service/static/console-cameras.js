// patrol dispatch console: cameras (issue 17).  The registry with what each camera sees (its view and the blocks it
// watches), and an incident seen on a camera, placed at the camera's view.  Drawn on the map: cameras, views,
// watched blocks.  A registry marked illustrative says so above the list.
"use strict";

const CamerasPanel = {
  layer: null,
  items: [],
  open: null,   // the camera whose incident form is open

  async start() {
    this.layer = L.layerGroup().addTo(MapView.map);
    legendSection("Cameras", [[el("span", {class: "cam-marker"}), "camera"], [swatch("sw-camera-view"), "what it can see"],
      [swatch("sw-watched"), "street block it watches"]]);
    await this.load();  // a viewer sees the cameras too (read only)
  },

  async refresh() { /* the registry changes only by edits: loaded at start and after each one */ },

  async load() {
    let out;
    try { out = await api("GET", "/api/cameras"); } catch (err) { $("cam-error").textContent = explain(err); return; }
    this.items = out.items;
    $("cam-count").textContent = "(" + this.items.length + ")";
    $("cam-note").hidden = !out.illustrative;
    $("cam-note").textContent = out.illustrative ? "⚠ " + (out.note || "Illustrative cameras: not real.") : "";
    this.render();
  },

  render() {
    $("cameras").replaceChildren(...this.items.map((v) => {
      const c = v.camera;
      const streets = v.streets.join(", ");
      const kids = [el("span", {class: "what"}, c.name || c.id), el("div", {class: "hint"},
        (c.owner ? c.owner + " · " : "") + "watches " + v.blocks.length + " block" + (v.blocks.length === 1 ? "" : "s") +
        (streets ? " (" + streets + ")" : ""))];
      if (S.canDispatch) {
        kids.push(el("button", {type: "button", class: "cam-incident-btn", dataset: {camera: c.id},
          onclick: () => { this.open = this.open === c.id ? null : c.id; this.render(); }}, "Incident seen here"),
        el("button", {type: "button", class: "cam-show-btn", onclick: () => this.zoom(v)}, "Show"));
        if (this.open === c.id) kids.push(this.form(v));
      } else {
        kids.push(el("button", {type: "button", class: "cam-show-btn", onclick: () => this.zoom(v)}, "Show"));
      }
      return el("li", {class: "camera-item", dataset: {camera: c.id}}, ...kids);
    }));
    this.draw();
  },

  form(v) {
    const type = el("select", {class: "cam-type", "aria-label": "incident type"},
      ...S.vocab.dispatchable_types.map((t) => el("option", {value: t, selected: t === "disturbance"}, t)));
    const notes = el("input", {class: "cam-notes", placeholder: "what is seen", maxlength: "10000", "aria-label": "notes"});
    const go = el("button", {type: "button", class: "primary cam-create", onclick: async () => {
      $("cam-error").textContent = "";
      try {
        const out = await api("POST", "/api/cameras/" + encodeURIComponent(v.camera.id) + "/incidents",
          {type: type.value, notes: notes.value});
        this.open = null;
        this.render();
        S.selected = out.incident.id;
        await refresh();
        await select(out.incident.id);
      } catch (err) {
        $("cam-error").textContent = explain(err);
      }
    }}, "Create and rank");
    return el("div", {class: "cam-form"}, type, notes, go);
  },

  draw() {
    const g = this.layer;
    g.clearLayers();
    for (const v of this.items) {
      const c = v.camera;
      const label = c.name || c.id;
      if (v.polygon.length) {
        L.polygon(v.polygon.map(([x, y]) => [y, x]), {color: ACTIVITY_COLOURS.camera, weight: 1, fillOpacity: 0.15})
          .bindTooltip(() => tip(label, "sees " + c.range_m + " m, " + c.fov_deg + "° wide")).addTo(g);
      }
      for (const line of v.lines) {
        L.polyline(line.map(([x, y]) => [y, x]), {color: ACTIVITY_COLOURS.watched, weight: 5, opacity: 0.9})
          .bindTooltip(() => tip("watched by " + label)).addTo(g);
      }
      const at = c.lat !== null && c.lat !== undefined ? [c.lat, c.lon] : [v.point.lat, v.point.lon];
      L.marker(at, {icon: L.divIcon({className: "cam-icon", html: el("div", {class: "cam-marker", dataset: {camera: c.id}}), iconSize: null}),
        title: "camera " + label}).addTo(g);
    }
  },

  zoom(v) {
    const pts = v.polygon.length ? v.polygon.map(([x, y]) => [y, x]) : [[v.point.lat, v.point.lon]];
    MapView.map.fitBounds(L.latLngBounds(pts), {paddingTopLeft: [60, 60], paddingBottomRight: [260, 60], maxZoom: 18});
  },
};
PANELS.push(CamerasPanel);
