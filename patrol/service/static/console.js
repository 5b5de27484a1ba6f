// patrol dispatch console: vanilla JS over the service's JSON API (no build step, no CDN, no inline script).
// Helpers in console-util.js (el, tip, Clock), the map in console-map.js (MapView).
"use strict";

// An incident's timer counts from the call.  Until a unit is on scene it turns amber after
// WAIT_WARN_MIN minutes and red (overdue) after WAIT_OVERDUE_MIN.
const WAIT_WARN_MIN = 5;
const WAIT_OVERDUE_MIN = 10;
// A new incident this close to an open one is probably the same event (a second caller).
const SAME_PLACE_M = 50;
const OPEN_STATUSES = ["new", "assigned", "en route", "on scene"];

const S = {
  key: sessionStorage.getItem("patrolKey") || "",
  vocab: null,
  district: null,
  selected: null,      // incident id
  open: [],            // open incidents (last poll)
  pollMs: 2000,
  timer: null,
  layers: {},
  staleMin: 5,
  allowDuplicate: null,  // location text the dispatcher chose to create although an incident is open there
};

// Panels of other features (events, escorts, cameras: console-*.js) register here: start() once the map and the
// lists are loaded, refresh(state) at every poll.
const PANELS = [];

class ApiError extends Error {
  constructor(status, body) {
    const err = (body && body.error) || {type: "HTTPError", message: "HTTP " + status};
    super(err.message);
    this.status = status; this.type = err.type; this.field = err.field; this.details = err.details || {};
  }
}

async function api(method, path, body, idempotencyKey) {
  const opts = {method, headers: {"Authorization": "Bearer " + S.key}};
  if (idempotencyKey) opts.headers["Idempotency-Key"] = idempotencyKey;  // a retried create is recorded once
  if (body !== undefined) { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
  const r = await fetch(path, opts);
  let data = null;
  try { data = await r.json(); } catch (e) { data = null; }
  if (r.status === 401) { logout("Your key was refused: " + ((data && data.error && data.error.message) || "")); }
  if (!r.ok) throw new ApiError(r.status, data);
  return data;
}

/** The error message, without the list of close matches when they are shown as buttons. */
function explain(err) {
  let msg = err.message || String(err);
  const close = err.details && err.details.close_matches;
  if (close && close.length) {
    const list = close.join(", ");
    if (msg.endsWith(list)) msg = msg.slice(0, -list.length).replace(/[;:,]?\s*(close matches:?)?\s*$/i, "");
  }
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
  document.dispatchEvent(new CustomEvent("patrol:logout"));
}

// ------------------------------------------------------------------ start-up
async function start() {
  const [vocab, district, streets] = await Promise.all([
    api("GET", "/api/vocab"), api("GET", "/api/district"), api("GET", "/api/streets")]);
  S.vocab = vocab; S.district = district;
  S.pollMs = Math.max(500, (district.poll_interval_s || 2) * 1000);
  S.staleMin = district.stale_ping_min || 5;
  Clock.tz = district.timezone || "UTC";
  $("district-name").textContent = district.name;
  $("clock-zone").textContent = Clock.tz;
  $("timer-rule").textContent = "Timer: time since the call; amber from " + WAIT_WARN_MIN + " min and red from " +
    WAIT_OVERDUE_MIN + " min while no unit is on scene. Times are the district's (" + Clock.tz + ").";
  showZoneWarning();
  fill($("f-type"), vocab.dispatchable_types, "disturbance");
  fill($("f-priority"), vocab.priorities, "normal");
  fill($("f-source"), vocab.sources, "phone");
  if (!S.canDispatch) $("f-submit").disabled = true;
  if (!MapView.map) S.layers = MapView.init();
  MapView.drawStreets(district, streets);
  for (const p of PANELS) { try { await p.start(); } catch (err) { console.error(err); } }
  await refresh();
  if (S.timer) clearInterval(S.timer);
  S.timer = setInterval(refresh, S.pollMs);
  if (window.PlanPanel) PlanPanel.init(api, S.canDispatch, S.district);
  document.dispatchEvent(new CustomEvent("patrol:started"));  // console-alerts.js: alerts and messages
}

/** A client id for one create (the Idempotency-Key): the same on a retry of that create, new on the next. */
function newKey() {
  if (window.crypto && crypto.randomUUID) return "console-" + crypto.randomUUID();
  return "console-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2);
}

function fill(select, values, chosen) {
  select.replaceChildren(...values.map((v) => el("option", {value: v, selected: v === chosen}, v)));
}

function showZoneWarning(extra) {
  const msgs = [Clock.zoneWarning(new Date()), extra].filter((m) => m);
  $("tz-warning").textContent = msgs.length ? "⚠ " + msgs.join(" ") : "";
  $("tz-warning").hidden = msgs.length === 0;
}

// ------------------------------------------------------------------ polling
async function refresh() {
  if (!S.key) return;
  try {
    const state = await api("GET", "/api/state");
    if (state.at) {
      Clock.skewMs = Date.parse(state.at) - Date.now();
      showZoneWarning(Math.abs(Clock.skewMs) > 60000 ? "This computer's clock is " + Math.round(Math.abs(Clock.skewMs) / 60000) +
        " min " + (Clock.skewMs > 0 ? "behind" : "ahead of") + " the server's; timers use the server's." : null);
    }
    S.staleMin = state.stale_ping_min || S.staleMin;
    S.open = state.incidents;
    renderUnits(state);
    let incidents = state.incidents;
    if ($("show-all").checked) incidents = (await api("GET", "/api/incidents?limit=100")).items;
    renderIncidents(incidents, state.incidents.length);
    if (S.selected !== null) await showIncident(S.selected, {quiet: true});
    for (const p of PANELS) await p.refresh(state);
    $("poll-status").textContent = "updated " + Clock.time(Clock.now(), true) + " (every " + S.pollMs / 1000 + " s)";
  } catch (err) {
    $("poll-status").textContent = "update failed: " + explain(err);
  }
}

function freshness(pos) {
  if (!pos) return el("span", {class: "stale"}, "no position");
  const kind = positionKind(pos, S.staleMin);
  const cls = kind === "est" ? "estimate" : kind === "stale" ? "stale" : pos.age_min > S.staleMin / 2 ? "aging" : "fresh";
  return el("span", {class: cls}, positionText(pos, S.staleMin));
}

function renderUnits(state) {
  MapView.drawUnits(state.units, S.staleMin, (u) => MapView.panTo(u.name));
  const body = $("ambassadors").tBodies[0];
  // leave the table alone while the dispatcher is choosing a duty status in it
  if (document.activeElement && document.activeElement.classList.contains("duty")) return;
  const rows = [];
  for (const u of state.units) {
    const duty = el("select", {class: "duty", title: "set duty status", "aria-label": "duty status of " + u.name,
      dataset: {unit: u.name}, onchange: (ev) => setDuty(u.name, ev.target.value)});
    for (const d of ["on shift", "on break", "off duty"]) duty.append(el("option", {value: d, selected: d === u.status}, d));
    if (!["on shift", "on break", "off duty"].includes(u.status)) duty.prepend(el("option", {value: u.status, selected: true}, u.status));
    if (!S.canDispatch) duty.disabled = true;
    const status = el("span", {class: "duty-" + slug(u.status)}, u.status + (u.incident_id ? " #" + u.incident_id : ""));
    rows.push(el("tr", {dataset: {unit: u.name}},
      el("td", {title: "show on the map", onclick: () => MapView.panTo(u.name)}, u.name), el("td", {}, status),
      el("td", {}, freshness(u.position)), el("td", {}, duty)));
  }
  body.replaceChildren(...rows);
}

// ------------------------------------------------------------------ incident list and timers
function timerState(inc) {
  if (!OPEN_STATUSES.includes(inc.status)) return "t-done";
  if (inc.status === "on scene") return "t-ok";
  const min = (Clock.now() - Date.parse(inc.received_at)) / 60000;
  return min >= WAIT_OVERDUE_MIN ? "t-overdue" : min >= WAIT_WARN_MIN ? "t-warn" : "t-ok";
}

function timerElement(inc) {
  return el("span", {class: "timer", dataset: {since: inc.received_at, status: inc.status},
    title: "since the call at " + Clock.time(inc.received_at)});
}

function tickTimers() {
  for (const t of document.querySelectorAll(".timer[data-since]")) {
    const inc = {received_at: t.dataset.since, status: t.dataset.status};
    const done = !OPEN_STATUSES.includes(inc.status);
    t.textContent = done ? inc.status : elapsedText(Clock.now() - Date.parse(inc.received_at));
    t.className = "timer " + timerState(inc);
  }
}

function renderIncidents(incidents, nOpen) {
  $("open-count").textContent = "(" + nOpen + ")";
  MapView.drawIncidents(incidents.filter((i) => OPEN_STATUSES.includes(i.status) || i.id === S.selected), S.selected, select);
  $("incidents").replaceChildren(...incidents.map((i) =>
    el("li", {class: i.id === S.selected ? "active" : "", dataset: {id: i.id}, onclick: () => select(i.id)},
      timerElement(i),
      el("span", {class: "badge st-" + slug(i.status)}, i.status), " #" + i.id + " ",
      el("span", {class: "pr-" + i.priority}, i.type), " — " + (i.matched || i.location_text),
      el("div", {class: "hint"}, i.priority + " · " + i.source + " · call at " + Clock.time(i.received_at)))));
  tickTimers();
}

/** Open incidents at the same place as a point (within SAME_PLACE_M), other than ``exceptId``. */
function samePlace(lat, lon, exceptId) {
  if (lat === null || lat === undefined) return [];
  return S.open.filter((i) => i.id !== exceptId && i.lat !== null && metres(lat, lon, i.lat, i.lon) <= SAME_PLACE_M);
}

function incidentLink(i) {
  return el("button", {type: "button", class: "link", dataset: {open: i.id}, onclick: () => select(i.id)},
    "#" + i.id + " " + i.type + " (" + i.status + ", call at " + Clock.time(i.received_at) + ")");
}

// ------------------------------------------------------------------ one incident
async function select(id) {
  S.selected = id;
  S.signature = null;
  $("sel-message").textContent = "";
  $("sel-error").textContent = "";
  await showIncident(id, {fit: true});
  for (const li of $("incidents").children) li.classList.toggle("active", Number(li.dataset.id) === id);
  MapView.drawIncidents(S.open, S.selected, select);
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
  const signature = JSON.stringify([detail.incident, detail.assignments, detail.outcomes, S.open.map((i) => i.id), ranked.ranking &&
    ranked.ranking.candidates.map((c) => [c.ambassador, c.rank, c.status, c.reason, fmt(c.eta_min), c.position_source, !!c.route])]);
  if (opts.quiet && signature === S.signature) return;
  S.signature = signature;
  const inc = detail.incident;
  const sent = new Set(detail.assignments.filter((a) => !a.cleared_at).map((a) => a.ambassador));
  $("selected").hidden = false;
  $("sel-title").replaceChildren("Incident #" + inc.id + " ", el("span", {id: "sel-status", class: "badge st-" + slug(inc.status)}, inc.status),
    " ", timerElement(inc));
  $("sel-meta").replaceChildren(...[
    el("div", {}, el("b", {}, inc.type), " · " + inc.priority + " · " + inc.source + " · call at " + Clock.time(inc.received_at)),
    el("div", {}, "at " + (inc.matched || inc.location_text) + (inc.in_area === false ? " (outside the patrol area)" : "")),
    inc.notes ? el("div", {class: "hint"}, inc.notes) : "",  // (null would show as the text "null")
    ...detail.assignments.map((a) => el("div", {class: "assignment"}, "→ " + a.ambassador + " sent at " +
      Clock.time(a.assigned_at) + (a.eta_min !== null ? ", " + fmt(a.eta_min) + " min on foot" : "") +
      (a.arrived_at ? ", on scene at " + Clock.time(a.arrived_at) : "") +
      (a.cleared_at ? " (cleared: " + a.cleared_reason + ")" : "")))]);
  const twins = OPEN_STATUSES.includes(inc.status) ? samePlace(inc.lat, inc.lon, inc.id) : [];
  $("sel-same-place").hidden = twins.length === 0;
  $("sel-same-place").replaceChildren(twins.length ? "⚠ Also open at this place: " : "", ...twins.map(incidentLink));
  renderRecommendation(inc, ranked.ranking, detail, sent);
  renderActions(inc, detail.next_statuses);
  $("sel-history").replaceChildren(...detail.history.map((h) => el("li", {},
    Clock.time(h.at) + " " + (h.from_status || "·") + " → " + h.to_status + " by " + h.actor + (h.note ? " (" + h.note + ")" : ""))));
  tickTimers();
  if (opts.fit && inc.lat !== null) MapView.fit(inc, ranked.ranking, sent);
}

function renderRecommendation(inc, ranking, detail, sent) {
  const box = $("recommendation");
  MapView.drawRoutes(ranking, sent);
  if (!ranking) { box.replaceChildren(el("p", {class: "hint"}, "no point to rank from")); return; }
  const open = OPEN_STATUSES.includes(inc.status);
  // the units already sent first, then the ranking
  const cands = [...ranking.candidates.filter((c) => sent.has(c.ambassador)), ...ranking.candidates.filter((c) => !sent.has(c.ambassador))];
  const rows = cands.map((c) => {
    const btn = sent.has(c.ambassador) ? el("span", {class: "sent-badge"}, "sent")
      : (open && S.canDispatch && c.available)
        ? el("button", {type: "button", class: "assign-btn", dataset: {ambassador: c.ambassador},
          onclick: () => assign(inc.id, c.ambassador)}, "Assign") : null;
    const pos = c.position ? {...c.position, source: c.position_source, age_min: c.position_age_min} : null;
    const where = !c.available && !sent.has(c.ambassador) ? c.reason + (pos ? "; " + positionText(pos, S.staleMin) : "")
      : positionText(pos, S.staleMin);
    const est = c.estimated ? "≈ " : "";
    const cls = ["candidate", c.available || sent.has(c.ambassador) ? "" : "unavailable", c.estimated ? "estimated" : "",
      sent.has(c.ambassador) ? "sent" : ""];
    return el("tr", {class: cls.filter((x) => x).join(" "), dataset: {ambassador: c.ambassador}},
      el("td", {class: "num"}, c.rank || ""), el("td", {}, c.ambassador),
      el("td", {class: "eta num", title: c.estimated ? "estimated: the position is not a live ping" : null},
        c.eta_min !== null ? est + fmt(c.eta_min) + " min" : "-"),
      el("td", {class: "num"}, c.distance_m !== null ? Math.round(c.distance_m) + " m" : ""),
      el("td", {class: "pos"}, where), el("td", {}, btn));
  });
  const title = !open ? "Ranking now" : sent.size ? "Backup: nearest others" : "Recommendation";
  const head = el("div", {}, el("b", {}, title),
    ranking.message ? el("div", {class: "error"}, ranking.message) : null);
  const thead = el("thead", {}, el("tr", {},
    el("th", {class: "num"}, "Rank"), el("th", {}, "Unit"), el("th", {class: "num"}, "Minutes on foot"),
    el("th", {class: "num"}, "Distance"), el("th", {}, "Position from (age)"), el("th", {}, "")));
  const ways = cands.filter((c) => c.route && (sent.has(c.ambassador) || c.rank === 1)).map((c) =>
    el("div", {class: "way"}, el("b", {}, (sent.has(c.ambassador) ? "sent " : "best ") + c.ambassador + ": "), c.route.streets.join(" → ")));
  box.replaceChildren(head, el("table", {id: "ranking"}, thead, el("tbody", {}, ...rows)), ...ways,
    el("p", {class: "hint"}, "≈ and italics: the unit's position is estimated (from the plan or an old ping), not a live ping."));
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
    const outcome = el("select", {id: "outcome", "aria-label": "outcome"}, el("option", {value: ""}, "outcome…"),
      ...S.vocab.outcomes.map((o) => el("option", {value: o}, o)));
    const action = el("select", {id: "action", "aria-label": "action"}, el("option", {value: ""}, "action…"),
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
  (out) => "Assigned " + out.assignment.ambassador + (out.assignment.eta_min !== null ? ", " + fmt(out.assignment.eta_min) + " min on foot" : ""));
const setStatus = (id, status) => act(() => api("POST", "/api/incidents/" + id + "/status", {status}), "Status: " + status);
function closeIncident(id) {
  const o = $("outcome").value, a = $("action").value;
  return act(() => api("POST", "/api/incidents/" + id + "/close", {outcomes: o ? [o] : [], actions: a ? [a] : []}), "Closed");
}
async function setDuty(unit, status) {
  try { await api("POST", "/api/ambassadors/" + encodeURIComponent(unit) + "/duty", {status}); await refresh(); }
  catch (err) { $("poll-status").textContent = explain(err); }
}

function clearFormNotes() {
  $("form-error").textContent = "";
  $("suggestions").hidden = true; $("suggestions").replaceChildren();
  $("dup-warning").hidden = true; $("dup-warning").replaceChildren();
}

/** Close matches of a location the geocoder did not know, as buttons that use the match. */
function showSuggestions(err) {
  const close = (err.details && err.details.close_matches) || [];
  if (!close.length) return;
  const unknown = err.details.unknown;
  $("suggestions").replaceChildren("Did you mean ", ...close.map((c) => el("button", {type: "button", class: "suggestion",
    onclick: () => {
      const input = $("f-location");
      const at = unknown ? input.value.toLowerCase().indexOf(unknown.toLowerCase()) : -1;
      input.value = at >= 0 ? input.value.slice(0, at) + c + input.value.slice(at + unknown.length) : c;
      $("incident-form").requestSubmit();
    }}, c)), "?");
  $("suggestions").hidden = false;
}

/** Warn before creating an incident at the place of an open one; the dispatcher decides. */
function showDuplicate(twins, location) {
  const box = $("dup-warning");
  box.replaceChildren(el("b", {}, "⚠ Already open at this place (" + location.matched + "): "),
    ...twins.map((i) => el("div", {}, incidentLink(i), " ", el("span", {}, "called " + Math.floor((Clock.now() - Date.parse(i.received_at)) / 60000) + " min ago"))),
    el("div", {},
      el("button", {type: "button", id: "dup-create", onclick: () => { S.allowDuplicate = $("f-location").value; $("incident-form").requestSubmit(); }},
        "Create a new incident anyway"),
      el("button", {type: "button", id: "dup-cancel", onclick: clearFormNotes}, "Cancel")));
  box.hidden = false;
}

async function createIncident(ev) {
  ev.preventDefault();
  const body = {location: $("f-location").value, type: $("f-type").value, priority: $("f-priority").value,
    source: $("f-source").value, notes: $("f-notes").value};
  clearFormNotes();
  $("f-submit").disabled = true;
  try {
    if (S.allowDuplicate !== body.location) {
      const probe = await api("POST", "/api/rank", {location: body.location});  // resolves the place; writes nothing
      const twins = samePlace(probe.location.lat, probe.location.lon, null);
      if (twins.length) { showDuplicate(twins, probe.location); return; }
    }
    S.allowDuplicate = null;
    const out = await api("POST", "/api/incidents", body, newKey());
    $("f-location").value = ""; $("f-notes").value = "";
    S.selected = out.incident.id;
    await refresh();
    await select(out.incident.id);
  } catch (err) {
    $("form-error").textContent = explain(err);
    showSuggestions(err);
  } finally {
    $("f-submit").disabled = !S.canDispatch;
  }
}

// ------------------------------------------------------------------ wiring
function tickClock() {
  const now = Clock.now();
  // the district's time only once its zone is known (before that, a time would be the wrong zone's)
  $("clock-time").textContent = S.district ? Clock.day(now) + " " + Clock.time(now, true) : "";
  tickTimers();
}

document.addEventListener("DOMContentLoaded", () => {
  $("login-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    $("login-error").textContent = "";
    try { await login($("key").value); } catch (err) { logout(explain(err)); }
  });
  $("logout-btn").addEventListener("click", () => logout(""));
  $("incident-form").addEventListener("submit", createIncident);
  $("show-all").addEventListener("change", refresh);
  setInterval(tickClock, 1000);
  if (S.key) login(S.key).catch((err) => logout(explain(err)));
});
