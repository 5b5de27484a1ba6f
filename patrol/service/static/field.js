// patrol field page: an ambassador's phone. Vanilla JS over the service's JSON API (no build step, no CDN,
// no inline script: a strict Content-Security-Policy holds).
//
// Everything the page writes goes into a queue in localStorage first (each entry with an id made here)
// and is sent in order when the network allows: single writes with the header `Idempotency-Key: <id>`,
// positions in batches to /api/pings with each fix's id in its `key` field. An entry leaves the queue
// only when the service answered 2xx (sent) or 4xx (not accepted: shown, with the reason); network
// errors and 5xx keep it for the next try. So a retried upload carries the same ids and, with the
// service's idempotency keys, is recorded once.
"use strict";

const F = {
  key: localStorage.getItem("patrol.field.key") || "",
  me: null,            // /api/me
  name: null,          // my ambassador name
  vocab: null,
  today: null,         // /api/ambassadors/{me}/today
  now: null,           // /api/ambassadors/{me}/now
  skewMs: 0,           // service clock minus phone clock
  fix: null,           // latest geolocation fix {lat, lon, accuracy, at (ms, phone clock)}
  localDuty: null,     // {status, at}: set on this phone, until the service reports it
  localSteps: {},      // incident id -> step set on this phone (ahead of the service while queued)
  closed: {},          // incident id -> true once closed on this phone
  alerted: {},         // incident id -> true once the new-assignment alert went off
  online: null,        // did the last request reach the service?
  tab: "now",
  pollTimer: null, pingTimer: null, retryTimer: null, watchId: null, tickTimer: null,
  retryMs: 2000,
  flushing: false,
  map: null, layers: {},
  audio: null,
  drawn: {},           // what the assignment card and the alerts show now (see changed())
};

// plain words for the program's interaction types (patrol/vocab.py INTERACTION_TYPES), in button order
const LOG_LABELS = {
  "business check-in": "Business check-in",
  "community check-in": "Talked with someone",
  "business engagement": "Talked with a business",
  "information sharing": "Shared information",
  "directions and wayfinding": "Gave directions",
  "outreach material shared": "Handed out written materials",
  "referral": "Referral",
  "safety escort": "Safety escort",
  "wellness check": "Wellness check",
  "graffiti removed": "Graffiti removed",
  "graffiti reported": "Graffiti reported",
  "hazard reported": "Hazard reported",
  "311 report": "311 report",
  "911 call": "Called 911",
  "other": "Other",
};
const STEP_BUTTON = {"accepted": "Accept", "en route": "On my way", "on scene": "I'm there",
                     "resolved": "Done: record how it ended"};
const STEP_WORDS = {"assigned": "Assigned", "accepted": "Accepted", "en route": "On my way", "on scene": "There"};
const STEP_ORDER = ["assigned", "accepted", "en route", "on scene", "resolved"];
// the program's outcomes and actions (patrol/vocab.py) that end an incident, shown first on the outcome sheet
const INCIDENT_OUTCOMES_FIRST = ["tensions de-escalated", "tensions not de-escalated", "resolved", "unable to locate",
  "will need a follow-up", "provide assistance", "assessing current wellbeing", "referral to shelter"];
const INCIDENT_ACTIONS_FIRST = ["de-escalations", "wellness checks", "basic first aid", "calls to 911", "calls to 311",
  "service referrals", "overdose response", "safety escorts"];
const firstThese = (values, first) => [...first.filter((v) => values.includes(v)), ...values.filter((v) => !first.includes(v))];
const PING_BATCH = 100;
const MAX_QUEUED_PINGS = 3000;
const HISTORY_KEEP = 200;
const FIX_MAX_AGE_MS = 120000;  // an older fix says nothing about where the phone is now

const $ = (id) => document.getElementById(id);
function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(e.dataset, v);
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const kid of kids) if (kid !== null && kid !== undefined && kid !== false) e.append(kid instanceof Node ? kid : String(kid));
  return e;
}
const slug = (s) => String(s || "").replace(/\s+/g, "-");
const pad = (n) => String(n).padStart(2, "0");
const hhmm = (min) => { const m = Math.round(min); return pad(Math.floor(m / 60) % 24) + ":" + pad(m % 60); };
const nowMs = () => Date.now() + F.skewMs;                       // the service's clock, as best known
const stamp = (ms) => new Date((ms === undefined ? Date.now() : ms) + F.skewMs).toISOString();
const localHHMM = (iso) => { if (!iso || !F.today) return ""; return hhmm((Date.parse(iso) - Date.parse(F.today.day_start)) / 60000); };

function newId() {  // RFC 4122 version 4 from crypto.getRandomValues (works without a secure context too)
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
}

// ------------------------------------------------------------------ storage (per ambassador)
const store = {
  k: (what) => "patrol.field." + (F.name || "_") + "." + what,
  get(what, dflt) { try { const v = localStorage.getItem(this.k(what)); return v === null ? dflt : JSON.parse(v); } catch (e) { return dflt; } },
  set(what, value) { localStorage.setItem(this.k(what), JSON.stringify(value)); },
};
const queue = {
  all: () => store.get("queue", []),
  save: (items) => store.set("queue", items),
  push(item) {
    const items = this.all();
    if (item.kind === "sos") items.splice(items.filter((x) => x.kind === "sos").length, 0, item);  // first in line
    else items.push(item);
    if (item.kind === "ping") {  // a phone offline for days: keep the newest positions, never drop a log
      let pings = items.filter((x) => x.kind === "ping").length;
      for (let i = 0; pings > MAX_QUEUED_PINGS && i < items.length;) {
        if (items[i].kind === "ping") { items.splice(i, 1); pings--; } else i++;
      }
    }
    this.save(items);
  },
  remove(ids) { const s = new Set(ids); this.save(this.all().filter((x) => !s.has(x.id))); },
};
const logbook = {
  all: () => store.get("history", []),
  add(entry) { const h = this.all(); h.push(entry); store.set("history", h.slice(-HISTORY_KEEP)); },
  mark(ids, state, error) {
    const s = new Set(ids);
    store.set("history", this.all().map((e) => (s.has(e.id) ? {...e, state, error: error || null} : e)));
  },
};

// ------------------------------------------------------------------ the service
class ApiError extends Error {
  constructor(status, body) {
    const err = (body && body.error) || {type: "HTTPError", message: "HTTP " + status};
    super(err.message);
    this.status = status; this.type = err.type; this.field = err.field; this.details = err.details || {};
  }
}
class Offline extends Error {}

async function api(method, path, body, opts = {}) {
  const headers = {"Authorization": "Bearer " + F.key};
  if (opts.idem) headers["Idempotency-Key"] = opts.idem;
  if (opts.etag) headers["If-None-Match"] = opts.etag;
  const init = {method, headers, cache: "no-store"};
  if (body !== undefined) { headers["Content-Type"] = "application/json"; init.body = JSON.stringify(body); }
  let r;
  try {
    r = await fetch(path, init);
  } catch (e) {
    setOnline(false);
    throw new Offline("no connection");
  }
  setOnline(true);
  if (r.status === 304) return {status: 304, data: null, etag: r.headers.get("ETag")};
  let data = null;
  try { data = await r.json(); } catch (e) { data = null; }
  if (r.status === 401) { askForKey("The service refused this key: " + ((data && data.error && data.error.message) || "")); }
  if (!r.ok) throw new ApiError(r.status, data);
  return {status: r.status, data, etag: r.headers.get("ETag")};
}

function setOnline(ok) {
  if (F.online === ok) return;
  F.online = ok;
  renderSync();
}

// ------------------------------------------------------------------ the queue: made here, sent in order
function enqueue(kind, path, body, label) {
  const item = {id: newId(), kind, path, body, label, made: stamp()};
  if (kind === "ping") item.body = {...body, key: item.id};
  queue.push(item);
  if (kind !== "ping") logbook.add({id: item.id, kind, label, made: item.made, state: "queued"});
  renderSync();
  renderLog();
  flushSoon();
  return item;
}

function flushSoon(delay = 0) {
  if (F.retryTimer) clearTimeout(F.retryTimer);
  F.retryTimer = setTimeout(() => { F.retryTimer = null; flush(); }, delay);
}

async function flush() {
  if (!F.key || !F.name) return;
  if (navigator.locks) return navigator.locks.request("patrol-field-queue-" + F.name, flushNow);
  return flushNow();
}

async function flushNow() {
  if (F.flushing) return;
  F.flushing = true;
  try {
    for (;;) {
      const items = queue.all();
      if (!items.length) { F.retryMs = 2000; break; }
      let batch = [items[0]];
      if (items[0].kind === "ping") {
        batch = [];
        for (const x of items) { if (x.kind !== "ping" || batch.length >= PING_BATCH) break; batch.push(x); }
      }
      const ids = batch.map((x) => x.id);
      try {
        let out;
        if (batch[0].kind === "ping") {
          // the batch's own key names exactly these fixes; each fix also carries its own key
          const idem = "pings-" + ids[0] + "-" + ids[ids.length - 1] + "-" + ids.length;
          out = await api("POST", "/api/pings", {pings: batch.map((x) => x.body)}, {idem});
        } else {
          out = await api("POST", batch[0].path, batch[0].body, {idem: batch[0].id});
        }
        queue.remove(ids);
        logbook.mark(ids, "sent");
        afterSent(batch, out.data);
      } catch (err) {
        if (err instanceof Offline || err.status >= 500 || err.status === 429 || err.status === 408 || err.status === 401) {
          // keep everything; try again later (a 401 waits for a new key)
          const cap = queue.all().some((x) => x.kind === "sos") ? 2000 : 30000;  // an SOS is tried every 2 s
          F.retryMs = Math.min(F.retryMs, cap);
          if (err.status !== 401) flushSoon(F.retryMs);
          F.retryMs = Math.min(F.retryMs * 2, cap);
          break;
        }
        // refused for good (bad value, no longer assigned ...): out of the queue, shown with the reason
        queue.remove(ids);
        logbook.mark(ids, "failed", err.message);
        for (const x of batch) if (x.kind === "ping") logbook.add({id: x.id, kind: "ping", label: "Position", made: x.made, state: "failed", error: err.message});
        toast("Not accepted: " + batch[0].label + " — " + err.message);
      }
    }
  } finally {
    F.flushing = false;
    renderSync();
    renderLog();
  }
}

function afterSent(batch, data) {
  const kind = batch[0].kind;
  if (kind === "ping" && data && data.results) {  // a fix the service refuses (no GPS, far away) is said so
    for (const r of data.results) {
      if (r.status !== "refused") continue;
      const x = batch[r.index];
      logbook.add({id: x.id, kind: "ping", label: "Position", made: x.made, state: "failed", error: r.reason});
    }
  }
  if (["close", "status", "backup", "sos", "check", "ack"].includes(kind) || kind.startsWith("escort")) poll();
}

// ------------------------------------------------------------------ log in
function askForKey(message) {
  F.key = "";
  localStorage.removeItem("patrol.field.key");
  stopTimers();
  $("app").hidden = true;
  $("tabs").hidden = true;
  $("login").hidden = false;
  $("login-error").textContent = message || "";
}

async function login(key) {
  F.key = key.trim();
  let me = null;
  try {
    me = (await api("GET", "/api/me")).data;
  } catch (err) {
    if (!(err instanceof Offline)) throw err;
    me = JSON.parse(localStorage.getItem("patrol.field.me") || "null");
    if (!me || me.key_id !== F.key.split("_")[1]) throw new Error("No connection: the first start needs the network.");
  }
  if (me.role !== "ambassador" || !me.ambassador) {
    throw new Error("This page is for an ambassador's key (this one is a " + me.role + " key; dispatchers use /console).");
  }
  localStorage.setItem("patrol.field.key", F.key);
  localStorage.setItem("patrol.field.me", JSON.stringify(me));
  F.me = me;
  F.name = me.ambassador;
  $("login").hidden = true;
  $("app").hidden = false;
  $("tabs").hidden = false;
  $("me-name").textContent = me.ambassador;
  await start();
}

// ------------------------------------------------------------------ start
async function start() {
  F.vocab = store.get("vocab", null);
  F.today = store.get("today", null);
  F.now = store.get("now", null);
  F.localDuty = store.get("localDuty", null);
  F.localSteps = store.get("localSteps", {});
  F.closed = store.get("closed", {});
  F.alerted = store.get("alerted", {});
  F.skewMs = store.get("skewMs", 0);
  if (F.vocab) buildLogGrid();
  renderAll();
  try {
    F.vocab = (await api("GET", "/api/vocab")).data;
    store.set("vocab", F.vocab);
    buildLogGrid();
  } catch (err) { if (!(err instanceof Offline)) toast(err.message); }
  if (typeof Program !== "undefined") await Program.start();
  await poll();
  startTimers();
  startGeolocation();
  flushSoon();
}

function startTimers() {
  if (F.tickTimer) clearInterval(F.tickTimer);
  F.tickTimer = setInterval(tick, 10000);
  schedulePings();
}
function stopTimers() {
  for (const t of ["pollTimer", "pingTimer", "tickTimer"]) { if (F[t]) { clearTimeout(F[t]); clearInterval(F[t]); F[t] = null; } }
}
function tick() { renderClock(); renderNow(); if (F.tab === "day") renderDay(); }

// ------------------------------------------------------------------ polling: my status, assignments, day version
async function poll() {
  if (!F.key || !F.name) return;
  if (F.pollTimer) { clearTimeout(F.pollTimer); F.pollTimer = null; }
  const pollS = (F.now && F.now.poll_s) || 5;
  try {
    const t0 = Date.now();
    const now = (await api("GET", "/api/ambassadors/" + encodeURIComponent(F.name) + "/now")).data;
    const t1 = Date.now();
    F.skewMs = Date.parse(now.at) - (t0 + t1) / 2;
    store.set("skewMs", F.skewMs);
    F.now = now;
    store.set("now", now);
    if (F.localDuty && now.duty.status === F.localDuty.status && !queue.all().some((x) => x.kind === "duty")) {
      F.localDuty = null; store.set("localDuty", null);
    }
    if (!F.today || now.today_version !== F.today.version) await loadToday();
    alertNew(now.assignments);
    if (typeof Program !== "undefined") await Program.poll();
    renderAll();
  } catch (err) {
    if (!(err instanceof Offline)) renderSync(err.message);
  } finally {
    F.pollTimer = setTimeout(poll, (F.online === false ? Math.max(pollS, 10) : pollS) * 1000);
  }
}

async function loadToday() {
  const out = await api("GET", "/api/ambassadors/" + encodeURIComponent(F.name) + "/today", undefined,
                        {etag: F.today && F.today.version});
  if (out.status === 304) return;
  F.today = out.data;
  store.set("today", F.today);
  drawDayOnMap();
}

// ------------------------------------------------------------------ positions
function startGeolocation() {
  if (!navigator.geolocation) { $("position-status").textContent = "This phone gives no location."; return; }
  if (F.watchId !== null) navigator.geolocation.clearWatch(F.watchId);
  F.watchId = navigator.geolocation.watchPosition(onFix, onFixError, {enableHighAccuracy: true, maximumAge: 15000});
}
function onFix(pos) {
  F.fix = {lat: pos.coords.latitude, lon: pos.coords.longitude, accuracy: pos.coords.accuracy, at: pos.timestamp};
  renderPosition();
  drawMe();
}
function onFixError(err) {
  $("position-status").textContent = err.code === 1 ? "Location is blocked: allow it for this page so the desk can find you."
    : "Looking for a GPS fix…";
}

function dutyNow() {
  if (F.localDuty) return F.localDuty.status;
  return F.now ? F.now.duty.status : "off duty";
}
function onDuty() { return dutyNow() !== "off duty"; }

function schedulePings() {
  if (F.pingTimer) clearTimeout(F.pingTimer);
  const everyS = (F.now && F.now.ping_s) || 30;
  F.pingTimer = setTimeout(() => { pingOnce(); schedulePings(); }, everyS * 1000);
}

// A ping is where the phone is at the tick: its latest fix, if the fix is recent. A phone standing still gets
// few new fixes, and the desk must still see it there; a phone without a recent fix sends nothing.
function pingOnce() {
  if (!onDuty() || !navigator.geolocation) return;
  if (!F.fix || Date.now() - F.fix.at > FIX_MAX_AGE_MS) {
    navigator.geolocation.getCurrentPosition(onFix, onFixError, {enableHighAccuracy: true, maximumAge: 60000, timeout: 15000});
    renderPosition();
    return;
  }
  enqueue("ping", "/api/pings", {ambassador: F.name, lat: round6(F.fix.lat), lon: round6(F.fix.lon), t: stamp(),
    accuracy_m: F.fix.accuracy === null ? null : Math.round(F.fix.accuracy * 10) / 10}, "Position");
}
const round6 = (x) => Math.round(x * 1e6) / 1e6;

function here() {  // the latest fix if it is recent enough to say where something happened
  if (!F.fix || Date.now() - F.fix.at > FIX_MAX_AGE_MS) return {};
  return {lat: round6(F.fix.lat), lon: round6(F.fix.lon)};
}

// ------------------------------------------------------------------ writes (all through the queue)
function setDuty(status) {
  F.localDuty = {status, at: stamp()};
  store.set("localDuty", F.localDuty);
  enqueue("duty", "/api/ambassadors/" + encodeURIComponent(F.name) + "/duty", {status, at: F.localDuty.at},
          "Status: " + status);
  renderAll();
  if (status !== "off duty") pingOnce();
}

function activeIncident() {  // the incident I am on scene at: logs are linked to it
  for (const a of visibleAssignments()) if (stepOf(a) === "on scene") return a.incident.id;
  return null;
}

function logInteraction(type, extra, label) {
  const note = $("note").value.trim();
  const body = {type, notes: note, at: stamp(), ...here(), ...extra};
  const inc = activeIncident();
  if (inc !== null && type !== "business check-in") body.incident_id = inc;
  let item;
  if (type === "business check-in") {
    const b = {business: extra.business, notes: note, at: body.at, ...here()};
    item = enqueue("checkin", "/api/ambassadors/" + encodeURIComponent(F.name) + "/checkins", b, label);
  } else {
    item = enqueue("interaction", "/api/ambassadors/" + encodeURIComponent(F.name) + "/interactions", body, label);
  }
  $("note").value = "";
  toast("Saved: " + label + (F.online === false ? " (will send when there is signal)" : ""));
  showGrid("log");
  renderDay();
  return item;
}

function stepOf(a) {
  const local = F.localSteps[a.incident.id];
  if (local && STEP_ORDER.indexOf(local) > STEP_ORDER.indexOf(a.step)) return local;
  return a.step;
}
function visibleAssignments() {
  return ((F.now && F.now.assignments) || []).filter((a) => !F.closed[a.incident.id]);
}

function advance(a) {
  const cur = stepOf(a);
  const step = cur === "on scene" ? "resolved" : STEP_ORDER[STEP_ORDER.indexOf(cur) + 1];
  if (step === "resolved") { openOutcome(a); return; }
  F.localSteps[a.incident.id] = step;
  store.set("localSteps", F.localSteps);
  enqueue("status", "/api/ambassadors/" + encodeURIComponent(F.name) + "/assignments/" + a.incident.id + "/status",
          {status: step, at: stamp()}, "#" + a.incident.id + ": " + STEP_WORDS[step]);
  clearAlert(a.incident.id);
  renderAll();
}

function openOutcome(a) {
  F.outcomeFor = a;
  $("outcome-title").textContent = "#" + a.incident.id + " " + a.incident.type + ": how did it end?";
  const chips = (box, name, values) => $(box).replaceChildren(...values.map((v) => {
    const input = el("input", {type: "checkbox", name, value: v});
    const label = el("label", {}, input, v);
    input.addEventListener("change", () => label.classList.toggle("on", input.checked));
    return label;
  }));
  chips("oc-outcomes", "outcome", firstThese(F.vocab.outcomes, INCIDENT_OUTCOMES_FIRST));
  chips("oc-actions", "action", firstThese(F.vocab.actions, INCIDENT_ACTIONS_FIRST));
  chips("oc-referrals", "referral", F.vocab.referral_types);
  $("oc-note").value = "";
  $("outcome-sheet").hidden = false;
}

function closeIncident() {
  const a = F.outcomeFor;
  if (!a) return;
  const picked = (name) => Array.from(document.querySelectorAll("#outcome-sheet input[name=" + name + "]:checked")).map((i) => i.value);
  const body = {outcomes: picked("outcome"), actions: picked("action"), referrals: picked("referral"),
                note: $("oc-note").value.trim(), at: stamp()};
  F.closed[a.incident.id] = true;
  store.set("closed", F.closed);
  enqueue("close", "/api/ambassadors/" + encodeURIComponent(F.name) + "/assignments/" + a.incident.id + "/close", body,
          "#" + a.incident.id + " closed" + (body.outcomes.length ? ": " + body.outcomes.join(", ") : ""));
  $("outcome-sheet").hidden = true;
  F.outcomeFor = null;
  toast("Incident #" + a.incident.id + " closed");
  renderAll();
}

// backup: two taps within 4 s, so a pocket cannot send it.  The armed state is kept by incident (the page redraws
// its cards while polling, and a redrawn button must still be armed for the second tap).
const BACKUP_LABEL = "Ask for backup", BACKUP_ARMED = "Tap again to ask for backup", BACKUP_WINDOW_MS = 4000;
const backupArmed = {};  // incident id (or "here") -> time the arming ends (ms)
function isArmed(key) { return (backupArmed[key] || 0) > Date.now(); }
function showArmed(button, key) {
  const armed = isArmed(key);
  if (!button.dataset.label) button.dataset.label = button.textContent;
  button.classList.toggle("armed", armed);
  button.textContent = armed ? BACKUP_ARMED : button.dataset.label;
}
function armBackup(button, incidentId) {
  const key = incidentId ? String(incidentId) : "here";
  if (isArmed(key)) {
    delete backupArmed[key];
    showArmed(button, key);
    const body = {note: $("note").value.trim(), at: stamp(), ...here()};
    if (incidentId) body.incident_id = incidentId;
    enqueue("backup", "/api/ambassadors/" + encodeURIComponent(F.name) + "/backup", body,
            incidentId ? "Backup asked on #" + incidentId : "Backup asked here");
    toast("Backup asked: the desk sees it" + (F.online === false ? " when there is signal" : ""));
    return;
  }
  backupArmed[key] = Date.now() + BACKUP_WINDOW_MS;
  showArmed(button, key);
  setTimeout(() => {
    const now = incidentId ? document.querySelector(`.backup-btn[data-incident="${key}"]`) : $("backup-here");
    if (now) showArmed(now, key);
  }, BACKUP_WINDOW_MS + 50);
}

// ------------------------------------------------------------------ alerts
function alertNew(assignments) {
  let fresh = false;
  for (const a of assignments || []) {
    if (a.step === "assigned" && !F.alerted[a.incident.id] && !F.closed[a.incident.id]) { F.alerted[a.incident.id] = true; fresh = true; }
  }
  if (!fresh) return;
  store.set("alerted", F.alerted);
  if (navigator.vibrate) { try { navigator.vibrate([400, 150, 400, 150, 400]); } catch (e) { /* not allowed yet */ } }
  beep();
  showTab("now");
}
function clearAlert(id) { const b = document.querySelector("#alerts [data-incident='" + id + "']"); if (b) b.remove(); }

function beep() {
  try {
    const C = F.audio || (F.audio = new (window.AudioContext || window.webkitAudioContext)());
    if (C.state === "suspended") C.resume();
    for (let i = 0; i < 3; i++) {
      const o = C.createOscillator(), g = C.createGain();
      o.frequency.value = 880; o.connect(g); g.connect(C.destination);
      g.gain.setValueAtTime(0.4, C.currentTime + i * 0.35);
      o.start(C.currentTime + i * 0.35); o.stop(C.currentTime + i * 0.35 + 0.2);
    }
  } catch (e) { /* no sound on this browser */ }
}
function unlockAudio() {  // browsers let a page make sound only after a tap
  if (!F.audio) { try { F.audio = new (window.AudioContext || window.webkitAudioContext)(); } catch (e) { F.audio = null; } }
  if (F.audio && F.audio.state === "suspended") F.audio.resume();
}

// ------------------------------------------------------------------ rendering
function renderAll() {
  renderClock(); renderSync(); renderDuty(); renderAlerts(); renderAssignments(); renderNow(); renderPosition();
  renderLog(); renderDay(); drawAssignmentsOnMap();
  if (typeof Program !== "undefined") Program.render();
}

function renderClock() {
  const d = new Date(nowMs());
  if (F.today) $("clock").textContent = hhmm((nowMs() - Date.parse(F.today.day_start)) / 60000);
  else $("clock").textContent = pad(d.getHours()) + ":" + pad(d.getMinutes());
}

function renderSync(problem) {
  const items = F.name ? queue.all() : [];
  const failed = F.name ? logbook.all().filter((e) => e.state === "failed" && !e.seen).length : 0;
  const b = $("sync");
  b.dataset.queued = String(items.length);
  if (failed) { b.dataset.state = "failed"; b.textContent = "✗ " + failed + " refused"; }
  else if (items.length) { b.dataset.state = "waiting"; b.textContent = items.length + " waiting"; }
  else if (F.online === false) { b.dataset.state = "waiting"; b.textContent = "Offline"; }
  else { b.dataset.state = "ok"; b.textContent = "✓ All sent"; }
  if (problem) b.title = problem;
  const bar = $("netbar");
  bar.hidden = F.online !== false && !failed;
  bar.textContent = F.online === false
    ? "No signal. " + (items.length === 1 ? "1 entry waits on this phone and" : items.length ? items.length + " entries wait on this phone and" : "What you log")
      + " will be sent when there is signal."
    : failed ? (failed === 1 ? "1 entry was" : failed + " entries were") + " refused by the desk: tap the red button to see why." : "";
  document.dispatchEvent(new CustomEvent("patrol:render"));  // field-alerts.js: SOS, "are you OK?", messages
}

function renderDuty() {
  const status = dutyNow();
  const pill = $("duty-now");
  pill.textContent = status;
  pill.className = "pill d-" + slug(status);
  for (const b of document.querySelectorAll("#duty-buttons .duty")) b.classList.toggle("active", b.dataset.duty === status);
}

function renderPosition() {
  const parts = [];
  if (onDuty()) parts.push("Sending your position every " + ((F.now && F.now.ping_s) || 30) + " s while on duty.");
  else parts.push("Position not sent while off duty.");
  if (F.fix && Date.now() - F.fix.at <= FIX_MAX_AGE_MS) parts.push("GPS ±" + Math.round(F.fix.accuracy) + " m.");
  else if (onDuty()) parts.push("No GPS fix right now: go outside or check that location is on.");
  $("position-status").textContent = parts.join(" ");
}

// the assignment card and the alerts are drawn again only when they change, so a poll never replaces a button
// under the ambassador's thumb
function changed(what, value) {
  const sig = JSON.stringify(value);
  if (F.drawn[what] === sig) return false;
  F.drawn[what] = sig;
  return true;
}

function renderAlerts() {
  const box = $("alerts");
  if (!changed("alerts", visibleAssignments().map((a) => [a.incident, stepOf(a), a.route && Math.round(a.route.eta_min)]))) return;
  const kids = [];
  for (const a of visibleAssignments()) {
    if (stepOf(a) !== "assigned") continue;
    kids.push(el("button", {type: "button", class: "alert", dataset: {incident: a.incident.id},
      onclick: () => { showTab("now"); const c = document.querySelector("#assignments [data-incident='" + a.incident.id + "']"); if (c) c.scrollIntoView(); }},
      "NEW ASSIGNMENT #" + a.incident.id + ": " + a.incident.type,
      el("small", {}, (a.incident.matched || a.incident.location_text) + (a.route ? " · " + Math.round(a.route.eta_min) + " min walk" : ""))));
  }
  box.replaceChildren(...kids);
}

function renderAssignments() {
  const box = $("assignments");
  const list = visibleAssignments();
  if (!changed("assignments", list.map((a) => [a.incident, stepOf(a), a.route, a.with]))) return;
  box.replaceChildren(...list.map((a) => {
    const inc = a.incident;
    const step = stepOf(a);
    const si = STEP_ORDER.indexOf(step);
    const steps = el("div", {class: "steps"}, ...["accepted", "en route", "on scene"].map((s) =>
      el("span", {class: STEP_ORDER.indexOf(s) <= si ? "done" : ""}, STEP_WORDS[s])));
    const next = step === "on scene" ? "resolved" : STEP_ORDER[si + 1];
    const btn = el("button", {type: "button", id: "asg-next-" + inc.id, class: "big primary asg-next",
      dataset: {step: next, incident: inc.id}, onclick: () => advance(a)}, STEP_BUTTON[next]);
    const backup = el("button", {type: "button", class: "big warn backup-btn", dataset: {incident: inc.id},
      onclick: (ev) => armBackup(ev.currentTarget, inc.id)}, BACKUP_LABEL);
    showArmed(backup, String(inc.id));
    const route = a.route && step !== "on scene"
      ? el("p", {class: "route"}, "Walk " + Math.round(a.route.eta_min) + " min (" + Math.round(a.route.distance_m) + " m): " + a.route.streets.join(" → "))
      : null;
    return el("article", {class: "assignment", dataset: {incident: inc.id, step}},
      el("div", {class: "label"}, "My assignment · " + inc.priority),
      el("h2", {}, "#" + inc.id + " " + inc.type),
      el("p", {class: "where"}, inc.matched || inc.location_text),
      inc.matched && inc.location_text !== inc.matched ? el("p", {class: "hint"}, "Caller said: " + inc.location_text) : null,
      inc.notes ? el("p", {class: "notes"}, inc.notes) : null,
      route,
      a.with && a.with.length ? el("p", {class: "hint"}, "Also on it: " + a.with.join(", ")) : null,
      steps, btn, backup);
  }));
}

function minuteNow() { return F.today ? (nowMs() - Date.parse(F.today.day_start)) / 60000 : null; }

function currentTask() {
  const tasks = (F.today && F.today.tasks) || [];
  const m = minuteNow();
  if (!tasks.length || m === null) return {i: -1, tasks, m};
  let i = tasks.findIndex((t) => t.t0 <= m && m < t.t1);
  if (i < 0) i = m < tasks[0].t0 ? -1 : tasks.findIndex((t) => t.t0 > m) - 1;
  if (i < -1) i = tasks.length;  // after the last task
  return {i, tasks, m};
}

function checkinDone(name) {
  const key = String(name || "").trim().toLowerCase();
  const served = ((F.today && F.today.checkins) || []).find((c) => c.business.trim().toLowerCase() === key && c.done_at);
  if (served) return {at: served.done_at, by: served.done_by, queued: false};
  const mine = logbook.all().find((e) => e.kind === "checkin" && e.business && e.business.trim().toLowerCase() === key && e.state !== "failed");
  return mine ? {at: mine.made, by: F.name, queued: mine.state === "queued"} : null;
}

function describe(t, m) {
  const parts = [];
  if (t.kind === "walk") {
    const next = (t.corners || []).find((c) => c[0] >= m && c[1].includes("&"));
    if (next) parts.push("Next corner " + next[1] + " at " + hhmm(next[0]));
    const streets = t.streets_at || [];
    const k = streets.reduce((at, s, j) => (s[0] <= m ? j : at), 0);
    const ahead = streets.slice(k + 1).map((s) => s[1]);
    if (streets.length) parts.push("on " + streets[k][1] + (ahead.length ? ", then " + ahead.slice(0, 4).join(" → ") + (ahead.length > 4 ? " …" : "") : ""));
  } else if (t.kind === "checkin") {
    const done = checkinDone(t.business);
    parts.push(t.detail);
    parts.push(done ? "Done at " + localHHMM(done.at) + (done.by && done.by !== F.name ? " by " + done.by : "") + (done.queued ? " (waiting to send)" : "")
      : t.closes ? "Before it closes at " + t.closes : "");
  } else if (t.detail) parts.push(t.detail);
  return parts.filter(Boolean).join(" · ");
}

function renderNow() {
  if (!F.today) { $("now-task").textContent = F.online === false ? "No signal yet" : "Loading your day…"; return; }
  const msg = F.today.message;
  $("plan-message").hidden = !msg;
  $("plan-message").textContent = msg || "";
  const {i, tasks, m} = currentTask();
  const nowT = i >= 0 && i < tasks.length ? tasks[i] : null;
  const nextT = i + 1 < tasks.length ? tasks[i + 1] : null;
  if (!tasks.length) {
    $("now-task").textContent = "No route for today";
    $("now-detail").textContent = "Walk the corridor and log what you do.";
    $("now-when").textContent = "";
  } else if (i === -1) {
    $("now-task").textContent = "Your day starts at " + hhmm(tasks[0].t0);
    $("now-detail").textContent = "Shift " + F.today.shift.start + "–" + F.today.shift.end;
    $("now-when").textContent = "";
  } else if (!nowT) {
    $("now-task").textContent = "Your planned day is over";
    $("now-detail").textContent = "Walk back to the base and set yourself off duty.";
    $("now-when").textContent = "";
  } else {
    $("now-task").textContent = nowT.title;
    $("now-detail").textContent = describe(nowT, m);
    const left = Math.max(0, Math.round(nowT.t1 - m));
    $("now-when").textContent = (nowT.kind === "dwell" ? "Stay until " : nowT.kind === "break" ? "Break until " : "Until ") +
      hhmm(nowT.t1) + " · " + left + " min left";
  }
  $("now-card").dataset.task = nowT ? String(i) : "";
  $("next-card").hidden = !nextT;
  if (nextT) {
    $("next-task").textContent = nextT.title;
    $("next-when").textContent = "at " + hhmm(nextT.t0) + (nextT.kind === "checkin" && nextT.closes ? " · closes " + nextT.closes : "");
  }
}

function renderDay() {
  if (!F.today) return;
  const {i, tasks} = currentTask();
  $("day-title").textContent = "My day · " + F.today.date + (F.today.plan ? "" : " (no plan)");
  $("day-list").replaceChildren(...tasks.map((t, k) => el("li", {class: k === i ? "current" : k < i ? "past" : "", dataset: {kind: t.kind}},
    el("span", {class: "t"}, hhmm(t.t0)),
    el("span", {}, t.title, el("span", {class: "sub"}, t.kind === "walk" ? Math.round(t.t1 - t.t0) + " min · " + (t.length_m / 1000).toFixed(1) + " km"
      : t.kind === "checkin" ? (checkinDone(t.business) ? "done ✓" : "until " + hhmm(t.t1) + (t.closes ? " · closes " + t.closes : ""))
      : "until " + hhmm(t.t1))))));
  const m = minuteNow();
  $("checkin-list").replaceChildren(...(F.today.checkins || []).map((c) => {
    const done = checkinDone(c.business);
    const closeMin = c.closes ? Number(c.closes.slice(0, 2)) * 60 + Number(c.closes.slice(3)) : null;
    const late = !done && closeMin !== null && m !== null && m >= closeMin;
    return el("li", {class: done ? "done" : late ? "late" : "", dataset: {business: c.business}},
      el("b", {}, c.business), " · planned " + hhmm(c.t0) + " · ",
      done ? "done " + localHHMM(done.at) + (done.by && done.by !== F.name ? " by " + done.by : "") + (done.queued ? " (waiting to send)" : "") + " ✓"
        : late ? "closed at " + c.closes + ", not done" : c.closes ? "due, closes " + c.closes : "due");
  }));
}

function renderLog() {
  if (!F.name) return;
  const inc = activeIncident();
  $("log-link").textContent = inc !== null ? "Logs now go with incident #" + inc + "." : "";
  const start = F.today ? Date.parse(F.today.day_start) : 0;
  const entries = logbook.all().filter((e) => e.kind !== "ping" || e.state === "failed").filter((e) => Date.parse(e.made) >= start).reverse();
  $("log-list").replaceChildren(...entries.slice(0, 60).map((e) => el("li", {dataset: {state: e.state, id: e.id}},
    el("span", {class: "state"}, e.state === "sent" ? "✓ " : e.state === "queued" ? "⏳ " : "✗ "),
    localHHMM(e.made) + " " + e.label, e.error ? el("div", {class: "error"}, e.error) : null)));
}

// ------------------------------------------------------------------ log buttons
function buildLogGrid() {
  const types = F.vocab.interaction_types;
  const ordered = [...Object.keys(LOG_LABELS).filter((t) => types.includes(t)), ...types.filter((t) => !(t in LOG_LABELS))];
  $("log-grid").replaceChildren(...ordered.map((t) => el("button", {type: "button", class: "log-btn" +
      (t === "referral" || t === "business check-in" ? " more" : "") + (t === "911 call" ? " urgent" : ""),
    dataset: {type: t}, onclick: () => onLogButton(t)}, LOG_LABELS[t] || t)));
  $("referral-grid").replaceChildren(...F.vocab.referral_types.map((r) => el("button", {type: "button", class: "ref-btn",
    dataset: {referral: r}, onclick: () => logWithMaterials("referral", {referral_type: r}, "Referral: " + r)}, r)),
    el("button", {type: "button", class: "back", onclick: () => showGrid("log")}, "Back"));
}

// A referral or information shared may come with written materials: field-activities.js offers the district's list
// (issue 17) and logs them with the interaction; without a list the entry is logged at once.
function logWithMaterials(type, extra, label) {
  if (typeof Program !== "undefined" && Program.offerMaterials(type, extra, label)) return;
  logInteraction(type, extra, label);
}

function onLogButton(type) {
  if (type === "referral") { showGrid("referral"); return; }
  if (type === "information sharing" || type === "outreach material shared") {
    logWithMaterials(type, {}, LOG_LABELS[type] || type);
    return;
  }
  if (type === "business check-in") { showGrid("business"); renderBusinesses(); return; }
  logInteraction(type, {}, LOG_LABELS[type] || type);
}

function showGrid(which) {
  $("log-grid").hidden = which !== "log";
  $("referral-grid").hidden = which !== "referral";
  $("business-picker").hidden = which !== "business";
  if (which === "business") $("biz-search").value = "";
}

function distanceM(a, b) {
  const R = 6371008.8, rad = Math.PI / 180;
  const dlat = (b.lat - a.lat) * rad, dlon = (b.lon - a.lon) * rad;
  const h = Math.sin(dlat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dlon / 2) ** 2;
  return 2 * R * Math.asin(Math.sqrt(h));
}

function renderBusinesses() {
  const all = (F.today && F.today.businesses) || [];
  const q = $("biz-search").value.trim().toLowerCase();
  const from = F.fix || (F.now && F.now.position);
  let rows = all.map((b) => ({...b, d: from ? distanceM(from, b) : null}));
  if (q) rows = rows.filter((b) => b.name.toLowerCase().includes(q));
  rows.sort((a, b) => (a.d === null ? 0 : a.d) - (b.d === null ? 0 : b.d) || a.name.localeCompare(b.name));
  $("biz-list").replaceChildren(...rows.slice(0, q ? 30 : 8).map((b) => {
    const done = checkinDone(b.name);
    return el("li", {}, el("button", {type: "button", class: "biz-btn", dataset: {business: b.name},
      onclick: () => { const it = logInteraction("business check-in", {business: b.name}, "Check-in: " + b.name); markCheckin(it, b.name); }},
      b.name, el("small", {}, [b.d !== null ? Math.round(b.d) + " m" : null, b.due ? "due today" : null, "open " + b.hours,
        done ? "done " + localHHMM(done.at) : null].filter(Boolean).join(" · "))));
  }));
}
function markCheckin(item, business) {  // remember which business, for "done" before the service knows
  store.set("history", logbook.all().map((e) => (e.id === item.id ? {...e, business} : e)));
  renderDay();
}

// ------------------------------------------------------------------ map (Leaflet, street vectors, no tiles)
function ensureMap() {
  if (F.map || typeof L === "undefined") return;
  F.map = L.map("map", {preferCanvas: true, zoomControl: true});
  for (const k of ["streets", "day", "stops", "incident", "me"]) F.layers[k] = L.layerGroup().addTo(F.map);
  const legend = L.control({position: "bottomleft"});
  legend.onAdd = () => el("div", {class: "legend"},
    el("div", {}, el("i", {class: "lg-route"}), "my route ahead"), el("div", {}, el("i", {class: "lg-done"}), "walked"),
    el("div", {}, el("i", {class: "dot lg-due"}), "check-in to do"), el("div", {}, el("i", {class: "dot lg-missed"}), "check-in past its time"),
    el("div", {}, el("i", {class: "dot lg-ok"}), "check-in done"),
    el("div", {}, el("i", {class: "dot lg-me"}), "me"), el("div", {}, el("i", {class: "lg-incident"}), "assignment and way there"));
  legend.addTo(F.map);
  L.control.scale({imperial: false}).addTo(F.map);
  loadStreets();
  drawDayOnMap();
  drawAssignmentsOnMap();
  drawMe();
}

async function loadStreets() {
  let streets = null;
  try { streets = JSON.parse(localStorage.getItem("patrol.field.streets") || "null"); } catch (e) { streets = null; }
  if (!streets) {
    try {
      const r = await fetch("/api/streets", {headers: {"Authorization": "Bearer " + F.key}});
      if (r.ok) { streets = await r.json(); localStorage.setItem("patrol.field.streets", JSON.stringify(streets)); }
    } catch (e) { /* offline: the route is still drawn */ }
  }
  if (!streets || !F.map) return;
  F.layers.streets.clearLayers();
  L.geoJSON(streets, {style: (f) => f.properties.corridor ? {color: "#7b2cbf", weight: 5, opacity: 0.7}
    : f.properties.in_area ? {color: "#222", weight: 2, opacity: 0.8} : {color: "#aaa", weight: 1.5, opacity: 0.8}}).addTo(F.layers.streets);
}

function drawDayOnMap() {
  if (!F.map || !F.today) return;
  F.layers.day.clearLayers(); F.layers.stops.clearLayers();
  const {i, tasks} = currentTask();
  const bounds = [];
  tasks.forEach((t, k) => {
    if (t.path && t.path.length > 1) {
      const line = t.path.map(([x, y]) => [y, x]);
      bounds.push(...line);
      L.polyline(line, {color: k < i ? "#999" : "#0057d9", weight: k === i ? 7 : 4, opacity: k < i ? 0.6 : 0.85}).addTo(F.layers.day);
    }
  });
  const m = minuteNow();
  for (const c of F.today.checkins || []) {
    if (c.lat === null) continue;
    const done = checkinDone(c.business), missed = !done && m !== null && c.t0 < m;
    L.circleMarker([c.lat, c.lon], {radius: 8, color: "#000", weight: 2, fillColor: done ? "#2a9d4f" : missed ? "#fff" : "#ff9f1c", fillOpacity: 1})
      .bindTooltip(c.business + " · " + hhmm(c.t0) + (done ? " · done" : missed ? " · not done yet" : "")).addTo(F.layers.stops);
  }
  for (const h of F.today.hotspots || []) {
    L.circleMarker([h.lat, h.lon], {radius: 12, color: "#b00020", weight: 3, fill: false}).bindTooltip("hot spot " + h.id).addTo(F.layers.stops);
  }
  // the view: where I am, what I do now and the next stop (zoom out for the whole day)
  const cur = tasks[i], nxt = tasks[i + 1];
  const focus = [];
  if (cur && cur.path && cur.path.length) focus.push(...cur.path.map(([x, y]) => [y, x]));
  for (const t of [cur, nxt]) if (t && t.lat !== null && t.lat !== undefined) focus.push([t.lat, t.lon]);
  if (F.fix) focus.push([F.fix.lat, F.fix.lon]);
  if (nxt && nxt.lat !== null && nxt.lat !== undefined) {
    L.circleMarker([nxt.lat, nxt.lon], {radius: 13, color: "#000", weight: 4, fill: false})
      .bindTooltip("Next: " + nxt.title.replace(/^Check in with /, "") + " " + hhmm(nxt.t0), {permanent: true, direction: "auto"})
      .addTo(F.layers.stops);
  }
  const view = focus.length ? focus : bounds;
  if (view.length) F.map.fitBounds(view, {padding: [60, 60], maxZoom: 17});
}

function drawAssignmentsOnMap() {
  if (!F.map) return;
  F.layers.incident.clearLayers();
  for (const a of visibleAssignments()) {
    if (a.incident.lat === null) continue;
    L.circleMarker([a.incident.lat, a.incident.lon], {radius: 11, color: "#000", weight: 3, fillColor: "#b00020", fillOpacity: 1})
      .bindTooltip("#" + a.incident.id + " " + a.incident.type).addTo(F.layers.incident);
    if (a.route) L.polyline(a.route.geometry.coordinates.map(([x, y]) => [y, x]), {color: "#b00020", weight: 6, dashArray: "10 8"}).addTo(F.layers.incident);
  }
}

function drawMe() {
  if (!F.map || !F.fix) return;
  F.layers.me.clearLayers();
  L.circleMarker([F.fix.lat, F.fix.lon], {radius: 9, color: "#000", weight: 3, fillColor: "#00a3ff", fillOpacity: 1}).addTo(F.layers.me);
}

// ------------------------------------------------------------------ tabs, toast
function showTab(tab) {
  F.tab = tab;
  for (const s of document.querySelectorAll("main .tab")) s.hidden = s.dataset.tab !== tab;
  for (const b of document.querySelectorAll("#tabs button")) b.classList.toggle("active", b.dataset.tab === tab);
  if (tab === "map") { ensureMap(); if (F.map) { F.map.invalidateSize(); drawDayOnMap(); } }
  if (tab === "day") renderDay();
  if (tab === "log") { showGrid("log"); renderLog(); }
}

let toastTimer = null;
function toast(text) {
  const t = $("toast");
  t.textContent = text;
  t.hidden = false;
  if (toastTimer) clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { t.hidden = true; }, 3500);
}

function showQueue() {  // tap on the sync button: what is waiting, what was refused; try again now
  const failed = logbook.all().filter((e) => e.state === "failed" && !e.seen);
  if (failed.length) {
    toast("Not accepted: " + failed.map((e) => e.label + " (" + (e.error || "") + ")").join("; "));
    store.set("history", logbook.all().map((e) => (e.state === "failed" ? {...e, seen: true} : e)));
  } else {
    const n = queue.all().length;
    toast(n ? n + " waiting: trying to send now" : "Everything is sent");
  }
  renderSync();
  flushSoon();
  poll();
}

// ------------------------------------------------------------------ wiring
document.addEventListener("DOMContentLoaded", () => {
  $("login-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    unlockAudio();
    $("login-error").textContent = "";
    try { await login($("key").value); } catch (err) { askForKey(err.message); }
  });
  for (const b of document.querySelectorAll("#tabs button")) b.addEventListener("click", () => showTab(b.dataset.tab));
  for (const b of document.querySelectorAll("#duty-buttons .duty")) b.addEventListener("click", () => setDuty(b.dataset.duty));
  $("backup-here").addEventListener("click", (ev) => armBackup(ev.currentTarget, null));
  $("biz-back").addEventListener("click", () => showGrid("log"));
  $("biz-search").addEventListener("input", renderBusinesses);
  $("oc-cancel").addEventListener("click", () => { $("outcome-sheet").hidden = true; F.outcomeFor = null; });
  $("close-incident-btn").addEventListener("click", closeIncident);
  $("sync").addEventListener("click", showQueue);
  document.addEventListener("click", unlockAudio, {passive: true});
  window.addEventListener("online", () => { flushSoon(); poll(); });
  document.addEventListener("visibilitychange", () => { if (!document.hidden) { flushSoon(); poll(); } });

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/field-sw.js", {scope: "/field"}).catch(() => { /* the page works without it, online */ });
  }
  const m = /(?:^#|&)key=([^&]+)/.exec(location.hash);
  if (m) {
    F.key = decodeURIComponent(m[1]);
    dropKeyFromAddress();
  }
  if (!F.key) { askForKey(""); return; }
  login(F.key).catch((err) => askForKey(err.message));
});

function dropKeyFromAddress() {  // take the key out of the address bar and the browser's history
  try { window.history.replaceState(null, "", location.pathname + location.search); } catch (e) { /* ignore */ }
}
