// patrol dispatch console: vanilla JS over the service's JSON API (no build step, no CDN).
"use strict";

const S = {
  key: sessionStorage.getItem("patrolKey") || "",
  vocab: null,
  district: null,
  selected: null,      // incident id
  pollMs: 2000,
  timer: null,
  map: null,
  layers: {},
};
const ROUTE_COLOURS = ["#0057d9", "#f77f00", "#6c757d"];
const DUTY_COLOURS = {"on shift": "#2a9d8f", "busy": "#f77f00", "on break": "#457b9d", "off duty": "#999999"};

const $ = (id) => document.getElementById(id);
function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(e.dataset, v);
    else e.setAttribute(k, v);
  }
  for (const kid of kids) if (kid !== null && kid !== undefined) e.append(kid instanceof Node ? kid : String(kid));
  return e;
}
const slug = (s) => String(s || "").replace(/\s+/g, "-");
const fmt = (v, d = 1) => (v === null || v === undefined ? "-" : Number(v).toFixed(d));

class ApiError extends Error {
  constructor(status, body) {
    const err = (body && body.error) || {type: "HTTPError", message: "HTTP " + status};
    super(err.message);
    this.status = status; this.type = err.type; this.field = err.field; this.details = err.details || {};
  }
}

async function api(method, path, body) {
  const opts = {method, headers: {"Authorization": "Bearer " + S.key}};
  if (body !== undefined) { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
  const r = await fetch(path, opts);
  let data = null;
  try { data = await r.json(); } catch (e) { data = null; }
  if (r.status === 401) { logout("Your key was refused: " + ((data && data.error && data.error.message) || "")); }
  if (!r.ok) throw new ApiError(r.status, data);
  return data;
}

function explain(err) {
  let msg = err.message || String(err);
  const close = err.details && err.details.close_matches;
  if (close && close.length) msg += " — did you mean: " + close.join("; ") + "?";
  return msg;
}

// ------------------------------------------------------------------ login
async function login(key) {
  S.key = key.trim();
  const me = await api("GET", "/api/me");
  if (!me.capabilities.includes("read")) throw new Error("a " + me.role + " key cannot use the console");
  sessionStorage.setItem("patrolKey", S.key);
  $("whoami").textContent = me.name + " (" + me.role + ")";
  $("logout-btn").hidden = false;
  $("login").hidden = true;
  S.canDispatch = me.capabilities.includes("dispatch");
  await start();
}

function logout(message) {
  sessionStorage.removeItem("patrolKey");
  S.key = "";
  if (S.timer) clearInterval(S.timer);
  S.timer = null;
  $("login").hidden = false;
  $("login-error").textContent = message || "";
}

// ------------------------------------------------------------------ start-up
async function start() {
  const [vocab, district, streets] = await Promise.all([
    api("GET", "/api/vocab"), api("GET", "/api/district"), api("GET", "/api/streets")]);
  S.vocab = vocab; S.district = district;
  S.pollMs = Math.max(500, (district.poll_interval_s || 2) * 1000);
  $("district-name").textContent = district.name;
  fill($("f-type"), vocab.dispatchable_types, "disturbance");
  fill($("f-priority"), vocab.priorities, "normal");
  fill($("f-source"), vocab.sources, "phone");
  if (!S.canDispatch) $("f-submit").disabled = true;
  drawMap(district, streets);
  await refresh();
  if (S.timer) clearInterval(S.timer);
  S.timer = setInterval(refresh, S.pollMs);
}

function fill(select, values, chosen) {
  select.replaceChildren(...values.map((v) => el("option", v === chosen ? {value: v, selected: ""} : {value: v}, v)));
}

function drawMap(district, streets) {
  if (!S.map) {
    S.map = L.map("map", {preferCanvas: true, zoomControl: true});
    S.layers.streets = L.layerGroup().addTo(S.map);
    S.layers.routes = L.layerGroup().addTo(S.map);
    S.layers.incidents = L.layerGroup().addTo(S.map);
    S.layers.units = L.layerGroup().addTo(S.map);
    const legend = L.control({position: "bottomright"});
    legend.onAdd = () => el("div", {class: "legend"},
      el("div", {}, el("i", {style: "background:#b388eb;height:5px"}), "cultural corridor"),
      el("div", {}, el("i", {style: "background:#555"}), "patrol area streets"),
      el("div", {}, el("i", {style: "background:#bbb"}), "other streets"),
      el("div", {}, el("i", {style: "background:#0057d9;height:5px"}), "recommended route"),
      el("div", {}, el("i", {style: "background:#e63946;height:8px;width:8px;border-radius:4px"}), "open incident"));
    legend.addTo(S.map);
    L.control.scale().addTo(S.map);
  }
  S.layers.streets.clearLayers();
  L.geoJSON(streets, {
    style: (f) => f.properties.corridor ? {color: "#b388eb", weight: 6, opacity: 0.8}
      : f.properties.in_area ? {color: "#555", weight: 2, opacity: 0.9, dashArray: f.properties.kind === "trail" ? "4 4" : null}
      : {color: "#bbb", weight: 1.5, opacity: 0.9},
    onEachFeature: (f, layer) => layer.bindTooltip(f.properties.name + " (block " + f.properties.block + ")", {sticky: true}),
  }).addTo(S.layers.streets);
  const b = district.area_bounds;
  S.map.fitBounds([[b.south, b.west], [b.north, b.east]]);
  L.circleMarker([district.base.lat, district.base.lon], {radius: 8, color: "#000", weight: 3, fillColor: "#ffd60a", fillOpacity: 1})
    .bindTooltip(district.base.name + ": " + district.base.at).addTo(S.layers.streets);
}

// ------------------------------------------------------------------ polling
async function refresh() {
  if (!S.key) return;
  try {
    const state = await api("GET", "/api/state");
    renderUnits(state);
    let incidents = state.incidents;
    if ($("show-all").checked) incidents = (await api("GET", "/api/incidents?limit=100")).items;
    renderIncidents(incidents, state.incidents.length);
    if (S.selected !== null) await showIncident(S.selected, {quiet: true});
    $("poll-status").textContent = "updated " + new Date().toLocaleTimeString() + " (every " + S.pollMs / 1000 + " s)";
  } catch (err) {
    $("poll-status").textContent = "update failed: " + explain(err);
  }
}

function freshness(pos, staleMin) {
  if (!pos) return el("span", {class: "stale"}, "no position");
  if (pos.source === "plan") return el("span", {class: "estimate"}, "plan estimate" + (pos.activity ? " (" + pos.activity + ")" : ""));
  const age = pos.age_min;
  const cls = pos.source === "stale ping" || age > staleMin ? "stale" : age > staleMin / 2 ? "aging" : "fresh";
  const txt = age < 1 ? Math.round(age * 60) + " s ago" : fmt(age, 1) + " min ago";
  return el("span", {class: cls}, (pos.source === "stale ping" ? "stale ping, " : "ping ") + txt);
}

function renderUnits(state) {
  const body = $("ambassadors").tBodies[0];
  // leave the table alone while the dispatcher is choosing a duty status in it
  if (document.activeElement && document.activeElement.classList.contains("duty")) return;
  const rows = [];
  S.layers.units.clearLayers();
  for (const u of state.units) {
    const duty = el("select", {class: "duty", title: "set duty status", dataset: {unit: u.name},
      onchange: (ev) => setDuty(u.name, ev.target.value)});
    for (const d of ["on shift", "on break", "off duty"]) duty.append(el("option", d === u.status ? {value: d, selected: ""} : {value: d}, d));
    if (!["on shift", "on break", "off duty"].includes(u.status)) duty.prepend(el("option", {value: u.status, selected: ""}, u.status));
    if (!S.canDispatch) duty.disabled = true;
    const status = el("span", {class: "duty-" + slug(u.status)}, u.status + (u.incident_id ? " #" + u.incident_id : ""));
    rows.push(el("tr", {dataset: {unit: u.name}}, el("td", {}, u.name), el("td", {}, status),
      el("td", {}, freshness(u.position, state.stale_ping_min)), el("td", {}, duty)));
    if (u.position) {
      L.circleMarker([u.position.lat, u.position.lon], {radius: 7, color: "#222", weight: u.position.estimated ? 1 : 2,
        dashArray: u.position.estimated ? "2 2" : null, fillColor: DUTY_COLOURS[u.status] || "#777", fillOpacity: 0.95})
        .bindTooltip(u.name + " — " + u.status + " (" + u.position.source + ")", {permanent: false})
        .addTo(S.layers.units);
    }
  }
  body.replaceChildren(...rows);
}

function renderIncidents(incidents, nOpen) {
  $("open-count").textContent = "(" + nOpen + ")";
  S.layers.incidents.clearLayers();
  $("incidents").replaceChildren(...incidents.map((i) => {
    if (i.lat !== null) {
      L.circleMarker([i.lat, i.lon], {radius: 9, color: "#7f0000", weight: 2, fillColor: "#e63946", fillOpacity: i.id === S.selected ? 1 : 0.6})
        .bindTooltip("#" + i.id + " " + i.type + " (" + i.status + ")").on("click", () => select(i.id)).addTo(S.layers.incidents);
    }
    return el("li", {class: i.id === S.selected ? "active" : "", dataset: {id: i.id}, onclick: () => select(i.id)},
      el("span", {class: "badge st-" + slug(i.status)}, i.status), " #" + i.id + " ",
      el("span", {class: "pr-" + i.priority}, i.type), " — " + (i.matched || i.location_text),
      el("div", {class: "hint"}, i.priority + " · " + i.source + " · " + new Date(i.received_at).toLocaleTimeString()));
  }));
}

// ------------------------------------------------------------------ one incident
async function select(id) {
  S.selected = id;
  S.signature = null;
  $("sel-message").textContent = "";
  $("sel-error").textContent = "";
  await showIncident(id, {fit: true});
  for (const li of $("incidents").children) li.classList.toggle("active", Number(li.dataset.id) === id);
}

async function showIncident(id, opts = {}) {
  let detail, ranked;
  try {
    [detail, ranked] = await Promise.all([api("GET", "/api/incidents/" + id), api("GET", "/api/incidents/" + id + "/ranking")]);
  } catch (err) {
    if (!opts.quiet) $("sel-error").textContent = explain(err);
    return;
  }
  if (S.selected !== id) return;
  // re-draw only what changed, so a button under the pointer is not replaced by an identical one
  const signature = JSON.stringify([detail.incident, detail.assignments, detail.outcomes, ranked.ranking &&
    ranked.ranking.candidates.map((c) => [c.ambassador, c.rank, c.status, c.reason, fmt(c.eta_min), c.position_source])]);
  if (opts.quiet && signature === S.signature) return;
  S.signature = signature;
  const inc = detail.incident;
  $("selected").hidden = false;
  $("sel-title").replaceChildren("Incident #" + inc.id + " ", el("span", {id: "sel-status", class: "badge st-" + slug(inc.status)}, inc.status));
  $("sel-meta").replaceChildren(...[
    el("div", {}, el("b", {}, inc.type), " · " + inc.priority + " · " + inc.source),
    el("div", {}, "at " + (inc.matched || inc.location_text) + (inc.in_area === false ? " (outside the patrol area)" : "")),
    inc.notes ? el("div", {class: "hint"}, inc.notes) : null,
    ...detail.assignments.map((a) => el("div", {class: "assignment"}, "→ " + a.ambassador + " assigned " +
      new Date(a.assigned_at).toLocaleTimeString() + (a.eta_min !== null ? ", ETA " + fmt(a.eta_min) + " min" : "") +
      (a.arrived_at ? ", on scene " + new Date(a.arrived_at).toLocaleTimeString() : "") +
      (a.cleared_at ? " (cleared: " + a.cleared_reason + ")" : "")))].filter((x) => x !== null));
  renderRecommendation(inc, ranked.ranking, detail);
  renderActions(inc, detail.next_statuses);
  $("sel-history").replaceChildren(...detail.history.map((h) => el("li", {},
    new Date(h.at).toLocaleTimeString() + " " + (h.from_status || "·") + " → " + h.to_status + " by " + h.actor + (h.note ? " (" + h.note + ")" : ""))));
  if (opts.fit && inc.lat !== null) S.map.setView([inc.lat, inc.lon], Math.max(S.map.getZoom(), 15));
}

function renderRecommendation(inc, ranking, detail) {
  const box = $("recommendation");
  S.layers.routes.clearLayers();
  if (!ranking) { box.replaceChildren(el("p", {class: "hint"}, "no point to rank from")); return; }
  const open = ["new", "assigned", "en route", "on scene"].includes(inc.status);
  const assigned = new Set(detail.assignments.filter((a) => !a.cleared_at).map((a) => a.ambassador));
  const rows = ranking.candidates.map((c) => {
    const btn = (open && S.canDispatch && !assigned.has(c.ambassador) && c.available)
      ? el("button", {type: "button", class: "assign-btn", dataset: {ambassador: c.ambassador},
        onclick: () => assign(inc.id, c.ambassador)}, "Assign") : null;
    const pos = c.position_source ? c.position_source + (c.position_age_min !== null ? " " + fmt(c.position_age_min, 0) + "′" : "") : "-";
    return el("tr", {class: c.available ? "candidate" : "candidate unavailable", dataset: {ambassador: c.ambassador}},
      el("td", {}, c.rank ? "#" + c.rank : ""), el("td", {}, c.ambassador),
      el("td", {class: "eta"}, c.eta_min !== null ? fmt(c.eta_min) + " min" : "-"),
      el("td", {}, c.distance_m !== null ? fmt(c.distance_m, 0) + " m" : ""),
      el("td", {class: "hint"}, c.available ? pos : c.reason), el("td", {}, btn));
  });
  const title = !open ? "Ranking now" : assigned.size ? "Backup: nearest others" : "Recommendation";
  const head = el("div", {}, el("b", {}, title),
    ranking.message ? el("div", {class: "error"}, ranking.message) : null);
  box.replaceChildren(head, el("table", {id: "ranking"}, el("tbody", {}, ...rows)));
  ranking.candidates.filter((c) => c.route).forEach((c, i) => {
    const line = c.route.geometry.coordinates.map(([x, y]) => [y, x]);
    L.polyline(line, {color: ROUTE_COLOURS[i] || "#8d99ae", weight: i === 0 ? 6 : 3, opacity: i === 0 ? 0.9 : 0.6,
      dashArray: i === 0 ? null : "6 6"})
      .bindTooltip("#" + c.rank + " " + c.ambassador + ": " + fmt(c.eta_min) + " min via " + c.route.streets.join(" → "))
      .addTo(S.layers.routes);
  });
}

function renderActions(inc, nextStatuses) {
  const box = $("sel-actions");
  if (!S.canDispatch) { box.replaceChildren(); return; }
  const kids = [];
  for (const st of nextStatuses.filter((s) => s !== "assigned")) {
    kids.push(el("button", {type: "button", class: "status-btn", dataset: {status: st},
      onclick: () => setStatus(inc.id, st)}, st === "new" ? "unassign" : st));
  }
  if (nextStatuses.includes("closed") || nextStatuses.includes("resolved") || inc.status === "on scene") {
    const outcome = el("select", {id: "outcome"}, el("option", {value: ""}, "outcome…"),
      ...S.vocab.outcomes.map((o) => el("option", {value: o}, o)));
    const action = el("select", {id: "action"}, el("option", {value: ""}, "action…"),
      ...S.vocab.actions.map((o) => el("option", {value: o}, o)));
    kids.push(el("div", {}, outcome, action, el("button", {type: "button", id: "close-btn", onclick: () => closeIncident(inc.id)}, "record & close")));
  }
  box.replaceChildren(...kids);
}

// ------------------------------------------------------------------ writes
async function act(fn, okMessage) {
  $("sel-error").textContent = "";
  try {
    const out = await fn();
    $("sel-message").textContent = typeof okMessage === "function" ? okMessage(out) : okMessage;
    await refresh();
  } catch (err) {
    $("sel-error").textContent = explain(err);
  }
}

const assign = (id, unit) => act(() => api("POST", "/api/incidents/" + id + "/assign", {ambassador: unit}),
  (out) => "Assigned " + out.assignment.ambassador + (out.assignment.eta_min !== null ? ", ETA " + fmt(out.assignment.eta_min) + " min" : ""));
const setStatus = (id, status) => act(() => api("POST", "/api/incidents/" + id + "/status", {status}), "Status: " + status);
function closeIncident(id) {
  const o = $("outcome").value, a = $("action").value;
  return act(() => api("POST", "/api/incidents/" + id + "/close", {outcomes: o ? [o] : [], actions: a ? [a] : []}), "Closed");
}
async function setDuty(unit, status) {
  try { await api("POST", "/api/ambassadors/" + encodeURIComponent(unit) + "/duty", {status}); await refresh(); }
  catch (err) { $("poll-status").textContent = explain(err); }
}

async function createIncident(ev) {
  ev.preventDefault();
  $("form-error").textContent = "";
  const body = {location: $("f-location").value, type: $("f-type").value, priority: $("f-priority").value,
    source: $("f-source").value, notes: $("f-notes").value};
  $("f-submit").disabled = true;
  try {
    const out = await api("POST", "/api/incidents", body);
    $("f-location").value = ""; $("f-notes").value = "";
    S.selected = out.incident.id;
    await refresh();
    await select(out.incident.id);
  } catch (err) {
    $("form-error").textContent = explain(err);
  } finally {
    $("f-submit").disabled = !S.canDispatch;
  }
}

// ------------------------------------------------------------------ wiring
document.addEventListener("DOMContentLoaded", () => {
  $("login-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    $("login-error").textContent = "";
    try { await login($("key").value); } catch (err) { logout(explain(err)); }
  });
  $("logout-btn").addEventListener("click", () => logout(""));
  $("incident-form").addEventListener("submit", createIncident);
  $("show-all").addEventListener("change", refresh);
  setInterval(() => { $("clock").textContent = new Date().toLocaleTimeString(); }, 1000);
  if (S.key) login(S.key).catch((err) => logout(explain(err)));
});
