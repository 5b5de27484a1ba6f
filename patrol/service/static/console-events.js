// patrol dispatch console: special events (issue 17).  Today's and the coming week's events with what to tell
// people and the presence wanted; add one (its place resolved to blocks by the service), remove one.  Drawn on the
// map: the event's blocks.
"use strict";

const EventsPanel = {
  layer: null,
  items: [],
  loadedAt: 0,
  RELOAD_MS: 30000,

  async start() {
    this.layer = L.layerGroup().addTo(MapView.map);
    legendSection("Special events", [[swatch("sw-event"), "event's blocks (this week)"]]);
    $("ev-presence").replaceChildren(...(S.vocab.presence_modes || ["dwell", "loop"]).map((m) =>
      el("option", {value: m}, m === "dwell" ? "stay at it" : "walk round it")));
    $("ev-form").addEventListener("submit", (ev) => this.add(ev));
    if (!S.canDispatch) $("ev-submit").disabled = true;
    await this.load();
  },

  async refresh() { if (Date.now() - this.loadedAt > this.RELOAD_MS) await this.load(); },

  async load() {
    const out = await api("GET", "/api/events?days=7");
    this.items = out.items;
    this.loadedAt = Date.now();
    this.render();
  },

  render() {
    const today = Clock.day(Clock.now());
    $("ev-count").textContent = "(" + this.items.length + " this week)";
    $("events").replaceChildren(...this.items.map((e) => {
      const wants = e.presence.ambassadors + " ambassador" + (e.presence.ambassadors > 1 ? "s " : " ") +
        (e.presence.mode === "dwell" ? "at it" : "walking round it") +
        (e.presence.before_min || e.presence.after_min ? " from " + Clock.time(e.presence_start) + " to " + Clock.time(e.presence_end) : "");
      const remove = S.canDispatch ? el("button", {type: "button", class: "ev-remove", dataset: {event: e.id},
        onclick: () => this.remove(e)}, "Remove") : null;
      return el("li", {class: "event-item", dataset: {event: e.id}},
        el("span", {class: "what"}, e.name), " " + (Clock.day(e.start) === today ? "today " : Clock.day(e.start) + " ") +
        Clock.time(e.start) + "–" + Clock.time(e.end),
        el("div", {}, "at " + (e.matched || e.place || "blocks " + e.blocks.join(", ")) + (e.crowd ? " · about " + e.crowd.toLocaleString("en") + " people" : "")),
        el("div", {class: "hint"}, "Wants " + wants),
        e.info ? el("div", {class: "info"}, el("b", {}, "Tell people: "), e.info) : null, remove);
    }));
    this.draw();
  },

  draw() {
    const g = this.layer;
    g.clearLayers();
    for (const e of this.items) {
      for (const line of e.lines) {
        L.polyline(line.map(([x, y]) => [y, x]), {color: ACTIVITY_COLOURS.event, weight: 12, opacity: 0.55})
          .bindTooltip(() => tip(e.name + ", " + Clock.day(e.start) + " " + Clock.time(e.start) + "–" + Clock.time(e.end),
            e.info ? "Tell people: " + e.info : "")).addTo(g);
      }
    }
  },

  async add(ev) {
    ev.preventDefault();
    $("ev-error").textContent = "";
    const num = (id) => ($(id).value === "" ? null : Number($(id).value));
    const body = {name: $("ev-name").value, place: $("ev-place").value, radius_m: num("ev-radius") || 0,
      start: $("ev-start").value, end: $("ev-end").value, crowd: num("ev-crowd"), info: $("ev-info").value,
      ambassadors: num("ev-ambassadors") || 1, presence: $("ev-presence").value, before_min: num("ev-before") || 0,
      after_min: num("ev-after") || 0};
    $("ev-submit").disabled = true;
    try {
      await api("POST", "/api/events", body);
      for (const id of ["ev-name", "ev-place", "ev-start", "ev-end", "ev-crowd", "ev-info"]) $(id).value = "";
      $("ev-new").open = false;
      await this.load();
    } catch (err) {
      $("ev-error").textContent = explain(err);
    } finally {
      $("ev-submit").disabled = !S.canDispatch;
    }
  },

  async remove(e) {
    if (!window.confirm("Remove the event " + e.name + "? It stays in the record, marked removed.")) return;
    try {
      await api("DELETE", "/api/events/" + e.id);
      await this.load();
    } catch (err) {
      $("ev-error").textContent = explain(err);
    }
  },
};
PANELS.push(EventsPanel);
