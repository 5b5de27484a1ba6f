// patrol dispatch console: safety escorts (issue 17).  A request from A to B (now or at a time) shows the walk and
// who can reach A soonest, with what sending each costs the plan; the dispatcher sends one, marks the start, records
// how it ended, or cancels.  Drawn on the map: the walk from A to B and the first unit's way to A.
"use strict";

const ESCORT_STEP_WORDS = {"requested": "requested", "assigned": "assigned", "accepted": "accepted",
  "en route": "on the way to A", "under way": "walking with them"};

const EscortsPanel = {
  layer: null,
  selected: null,     // escort id
  signature: null,
  open: [],

  async start() {
    this.layer = L.layerGroup().addTo(MapView.map);
    legendSection("Safety escorts", [[swatch("sw-escort"), "escort's walk from A to B"],
      [el("span", {class: "ab-marker"}, "A"), "where to meet (A) and to go (B)"]]);
    $("esc-form").addEventListener("submit", (ev) => this.request(ev));
    if (!S.canDispatch) $("esc-submit").disabled = true;
  },

  async refresh() {
    const out = await api("GET", "/api/escorts?open=true&limit=50");
    this.open = out.items;
    $("esc-count").textContent = "(" + this.open.length + " open)";
    $("escorts").replaceChildren(...this.open.map((e) => el("li", {class: "escort-item" + (e.id === this.selected ? " active" : ""),
      dataset: {escort: e.id}, onclick: () => this.select(e.id)},
      el("span", {class: "badge st-" + slug(e.status)}, ESCORT_STEP_WORDS[e.step] || e.status), " ",
      el("span", {class: "what"}, "#" + e.id + " " + (e.people > 1 ? e.people + " people" : "1 person")),
      " from " + (e.from_matched || e.from_text) + " to " + (e.to_matched || e.to_text),
      el("div", {class: "hint"}, (e.unit ? e.unit + " · " : "nobody sent yet · ") + "wanted " + whenText(e.wanted_at) +
        " · " + Math.round(e.distance_m) + " m, " + fmt(e.duration_min, 0) + " min walk"))));
    if (this.selected !== null) await this.show(this.selected, {quiet: true});
  },

  async request(ev) {
    ev.preventDefault();
    $("esc-form-error").textContent = "";
    const body = {from: $("esc-from").value, to: $("esc-to").value, people: Number($("esc-people").value) || 1,
      notes: $("esc-notes").value, source: "phone"};
    if ($("esc-at").value.trim()) body.at = $("esc-at").value.trim();
    $("esc-submit").disabled = true;
    try {
      const out = await api("POST", "/api/escorts", body);
      for (const id of ["esc-from", "esc-to", "esc-at", "esc-notes"]) $(id).value = "";
      $("esc-new").open = false;
      this.selected = out.escort.id;
      this.render(out, {fit: true});
      await this.refresh();
    } catch (err) {
      $("esc-form-error").textContent = explain(err);
    } finally {
      $("esc-submit").disabled = !S.canDispatch;
    }
  },

  async select(id) {
    this.selected = id;
    this.signature = null;
    $("esc-message").textContent = "";
    $("esc-error").textContent = "";
    await this.show(id, {fit: true});
  },

  async show(id, opts = {}) {
    let out;
    try { out = await api("GET", "/api/escorts/" + id); } catch (err) {
      if (!opts.quiet) $("esc-error").textContent = explain(err);
      return;
    }
    if (this.selected !== id) return;
    this.render(out, opts);
  },

  render(out, opts = {}) {
    const e = out.escort, w = out.walk, ranking = out.ranking || null;
    const signature = JSON.stringify([e, ranking && ranking.candidates.map((c) => [c.ambassador, c.rank, fmt(c.eta_min), c.cost && c.cost.summary])]);
    if (opts.quiet && signature === this.signature) return;
    this.signature = signature;
    $("esc-selected").hidden = false;
    $("esc-title").replaceChildren("Escort #" + e.id + " ", el("span", {class: "badge st-" + slug(e.status)}, ESCORT_STEP_WORDS[e.step] || e.status),
      " " + (e.people > 1 ? e.people + " people" : "1 person") + (e.outcome ? ": " + e.outcome : ""),
      el("button", {type: "button", id: "esc-close", class: "link right", title: "close", onclick: () => this.close()}, "close"));
    $("esc-walk").replaceChildren(
      el("div", {}, el("b", {}, "A "), w.from.matched, el("b", {}, "  →  B "), w.to.matched),
      el("div", {}, "Walk with them: " + Math.round(w.distance_m) + " m, about " + fmt(w.duration_min, 0) + " min at a walking pace, via " +
        w.route.streets.join(" → ")),
      el("div", {class: "hint"}, "Wanted " + whenText(e.wanted_at) + (out.be_at_a_by ? " (to be at A by then)" : "") +
        (e.unit ? " · sent: " + e.unit + (e.eta_min !== null ? ", " + fmt(e.eta_min) + " min to A" : "") : "") +
        (e.notes ? " · " + e.notes : "")));
    this.renderRanking(e, ranking);
    this.renderActions(e);
    this.draw(e, w, ranking, opts.fit);
    for (const li of $("escorts").children) li.classList.toggle("active", Number(li.dataset.escort) === e.id);
  },

  renderRanking(e, ranking) {
    const box = $("esc-ranking");
    if (!ranking || e.status === "under way") { box.replaceChildren(); return; }
    const rows = ranking.candidates.filter((c) => c.rank || c.ambassador === e.unit).slice(0, 6).map((c) => {
      const sent = c.ambassador === e.unit;
      const btn = sent ? el("span", {class: "sent-badge"}, "sent")
        : (S.canDispatch && c.available) ? el("button", {type: "button", class: "send-btn", dataset: {ambassador: c.ambassador},
          onclick: () => this.act(() => api("POST", "/api/escorts/" + e.id + "/assign", {ambassador: c.ambassador}),
            "Sent " + c.ambassador)}, "Send") : null;
      const cost = c.cost ? (c.cost.lost ? c.cost.summary : "no target missed") + " (busy until " + c.cost.busy_until + ")"
        : "not in today's plan";
      return el("tr", {class: "candidate" + (c.estimated ? " estimated" : ""), dataset: {ambassador: c.ambassador}},
        el("td", {class: "num"}, c.rank || ""), el("td", {}, c.ambassador),
        el("td", {class: "num"}, c.eta_min !== null ? (c.estimated ? "≈ " : "") + fmt(c.eta_min) + " min" : "-"),
        el("td", {class: "num"}, c.distance_m !== null ? Math.round(c.distance_m) + " m" : ""),
        el("td", {class: "cost"}, cost), el("td", {}, btn));
    });
    box.replaceChildren(el("div", {}, el("b", {}, "Who can reach A soonest"),
      ranking.message ? el("div", {class: "error"}, ranking.message) : null,
      el("table", {}, el("thead", {}, el("tr", {}, el("th", {class: "num"}, "Rank"), el("th", {}, "Unit"),
        el("th", {class: "num"}, "Minutes to A"), el("th", {class: "num"}, "Distance"), el("th", {}, "Cost to the plan"), el("th", {}, ""))),
      el("tbody", {}, ...rows)),
      el("p", {class: "hint"}, "The cost: what the unit would miss of the plan while busy for its walk to A and the escort. " +
        "≈: the unit's position is estimated.")));
  },

  renderActions(e) {
    const box = $("esc-actions");
    if (!S.canDispatch || !["requested", "assigned", "under way"].includes(e.status)) { box.replaceChildren(); return; }
    const kids = [];
    if (e.status === "assigned") {
      kids.push(el("button", {type: "button", id: "esc-start", onclick: () => this.act(() =>
        api("POST", "/api/escorts/" + e.id + "/status", {status: "under way"}), "Walking with them")}, "With them now"));
    }
    if (e.status !== "requested") {
      const outcomes = e.status === "under way" ? S.vocab.escort_outcomes : ["person declined", "person not found", "other"];
      const sel = el("select", {id: "esc-outcome", "aria-label": "how it ended"}, ...outcomes.map((o) => el("option", {value: o}, o)));
      kids.push(sel, el("button", {type: "button", id: "esc-finish", onclick: () => this.act(() =>
        api("POST", "/api/escorts/" + e.id + "/finish", {outcome: sel.value}), "Recorded: " + sel.value)}, "Record how it ended"));
    }
    kids.push(el("button", {type: "button", id: "esc-cancel", onclick: () => this.act(() =>
      api("POST", "/api/escorts/" + e.id + "/cancel", {}), "Cancelled")}, "Cancel"));
    box.replaceChildren(...kids);
  },

  close() {
    this.selected = null;
    this.signature = null;
    $("esc-selected").hidden = true;
    this.layer.clearLayers();
    for (const li of $("escorts").children) li.classList.remove("active");
  },

  async act(fn, message) {
    $("esc-error").textContent = "";
    try {
      await fn();
      $("esc-message").textContent = message;
      this.signature = null;
      await refresh();
      await this.show(this.selected, {quiet: true});
    } catch (err) {
      $("esc-error").textContent = explain(err);
    }
  },

  draw(e, w, ranking, fit) {
    const g = this.layer;
    g.clearLayers();
    const line = w.route.geometry.coordinates.map(([x, y]) => [y, x]);
    L.polyline(line, {color: ACTIVITY_COLOURS.escort, weight: 6, opacity: 0.9, dashArray: "12 8"})
      .bindTooltip(() => tip("Escort #" + e.id + ": " + Math.round(w.distance_m) + " m, " + fmt(w.duration_min, 0) + " min",
        "via " + w.route.streets.join(" → "))).addTo(g);
    L.marker([w.from.lat, w.from.lon], {icon: abIcon("A"), title: "A: " + w.from.matched}).addTo(g);
    L.marker([w.to.lat, w.to.lon], {icon: abIcon("B"), title: "B: " + w.to.matched}).addTo(g);
    const pts = [...line];
    const best = ranking && ranking.candidates.find((c) => c.rank === 1 && c.route);
    if (best && e.status === "requested") {
      const way = best.route.geometry.coordinates.map(([x, y]) => [y, x]);
      L.polyline(way, {color: COLOURS.route1, weight: 5, opacity: 0.85})
        .bindTooltip(() => tip("#1 " + best.ambassador + ", " + fmt(best.eta_min) + " min to A")).addTo(g);
      pts.push(...way);
    }
    if (fit && pts.length) MapView.map.fitBounds(L.latLngBounds(pts), {paddingTopLeft: [60, 60], paddingBottomRight: [260, 60], maxZoom: 18});
  },
};
PANELS.push(EscortsPanel);
