// patrol dispatch console: ambassadors' safety (issue 19). Loaded after console.js and uses its globals (S, api,
// explain, el, tip, $, Clock, MapView, fmt, elapsedText).
//
// * Alerts (GET /api/alerts every poll; the service records what is overdue at that moment by its clock): a bar at
//   the top of the page, above everything. An SOS is red, sounds every few seconds (once the browser allows sound:
//   after the dispatcher's first click) and stays until it is resolved; it cannot be put away unacknowledged
//   (there is no close button: Acknowledge is the only way to stop the sound). It says where (in words and on the
//   map), ranks the nearest available units as backup with their walking routes (Send assigns one), and records
//   911 called and resolved. Overdue alerts (on-scene check-in not answered, no ping) are amber, with what is known.
// * Messages: a form to send to all on duty, one ambassador, or those within a walking distance of a place, and
//   the latest messages with who has acknowledged (and when) and who has not.
"use strict";

const SAFETY = {
  timer: null,
  audio: null,
  lastSound: 0,
  fitted: {},          // alert id -> true once the map zoomed to it
  heard: {},           // overdue alert id -> true once it beeped
  layer: null,
  legend: null,
  sigs: {},            // what each alert card shows (redrawn only when it changes)
  messagesSig: null,
  data: null,
};
const SOS_COLOUR = "#c00018", OVERDUE_COLOUR = "#e69f00", SENT_COLOUR = "#e69f00";
const SOUND_EVERY_MS = 3000;

// ------------------------------------------------------------------ polling
async function safetyRefresh() {
  if (!S.key) return;
  try {
    const [alerts, messages] = await Promise.all([api("GET", "/api/alerts"), api("GET", "/api/messages?limit=8")]);
    if (!SAFETY.data) $("m-radius").value = alerts.rules.message_radius_m;  // the district's default distance
    SAFETY.data = alerts;
    renderAlertBar(alerts);
    drawAlertsOnMap(alerts.alerts);
    renderMessages(messages.items);
    soundAlarm(alerts.alerts);
  } catch (err) {
    $("alert-status").textContent = "alerts: update failed: " + explain(err);
  }
}

function safetyStart() {
  if (SAFETY.timer) clearInterval(SAFETY.timer);
  $("message-box").hidden = false;
  if (!S.canDispatch) for (const id of ["m-text", "m-to", "m-one", "m-where", "m-radius", "m-send"]) $(id).disabled = true;
  const units = (S.vocab.units || []).flatMap((u) => (u.members.length > 1 ? [u.name, ...u.members] : [u.name]));
  $("m-one").replaceChildren(...units.map((n) => el("option", {value: n}, n)));
  SAFETY.timer = setInterval(safetyRefresh, S.pollMs);
  safetyRefresh();
}

function safetyStop() {
  if (SAFETY.timer) clearInterval(SAFETY.timer);
  SAFETY.timer = null;
  $("alert-bar").replaceChildren();
  $("alert-bar").hidden = true;
  document.title = "patrol dispatch console";
}

// ------------------------------------------------------------------ the alert bar
const ago = (iso) => elapsedText(Clock.now() - Date.parse(iso)) + " ago";

function renderAlertBar(data) {
  const bar = $("alert-bar");
  const open = data.alerts;
  const unseen = open.filter((a) => a.kind === "sos" && !a.acknowledged_at).length;
  document.title = unseen ? "⚠ SOS · patrol dispatch console" : open.length ? "⚠ alert · patrol dispatch console" : "patrol dispatch console";
  bar.hidden = open.length === 0;
  const keep = new Set(open.map((a) => String(a.id)));
  for (const card of [...bar.children]) if (!keep.has(card.dataset.alert)) { card.remove(); delete SAFETY.sigs[card.dataset.alert]; }
  open.forEach((a, i) => {
    // redraw a card only when what it shows changed, so a button under the pointer is not replaced
    const sig = JSON.stringify([a.acknowledged_at, a.actions, a.since, a.sent, a.ranking && a.ranking.candidates.map((c) =>
      [c.ambassador, c.rank, fmt(c.eta_min), c.distance_m && Math.round(c.distance_m), c.available, !!c.route])]);
    let card = bar.querySelector(".alert-card[data-alert='" + a.id + "']");
    if (!card || SAFETY.sigs[a.id] !== sig) {
      const fresh = alertCard(a);
      if (card) card.replaceWith(fresh); else bar.append(fresh);
      card = fresh;
      SAFETY.sigs[a.id] = sig;
    }
    if (bar.children[i] !== card) bar.insertBefore(card, bar.children[i] || null);
  });
  tickAlertTimes();
}

function tickAlertTimes() {
  for (const t of document.querySelectorAll("#alert-bar [data-since]")) t.textContent = ago(t.dataset.since);
}

function alertCard(a) {
  const sos = a.kind === "sos";
  const acked = !!a.acknowledged_at;
  const head = el("div", {class: "alert-head"},
    el("span", {class: "alert-kind"}, sos ? "SOS" : a.kind_words),
    el("b", {class: "alert-title"}, a.title),
    el("span", {class: "alert-when"}, " · " + Clock.time(a.raised_at, true) + " (", el("span", {dataset: {since: a.raised_at}}, ago(a.raised_at)), ")"));
  const facts = [
    el("div", {class: "alert-where"}, "Where: ", el("b", {}, a.where),
      a.position_words ? " · " + a.position_words + (a.detail.accuracy_m ? " (±" + Math.round(a.detail.accuracy_m) + " m)" : "") : "",
      a.lat !== null ? el("button", {type: "button", class: "link show-btn", onclick: () => fitAlert(a)}, "show on map") : null),
  ];
  if (a.detail.note) facts.push(el("div", {}, "Note from the phone: “" + a.detail.note + "”"));
  if (a.detail.last_sign && a.kind !== "no ping") facts.push(el("div", {}, "Last sign of life: " + a.detail.last_sign.what + " at " + Clock.time(a.detail.last_sign.at)));
  if (a.detail.incident) facts.push(el("div", {}, "Incident: #" + a.detail.incident.id + " " + a.detail.incident.type + " at " + a.detail.incident.where));
  if (a.detail.activity) facts.push(el("div", {}, "The plan has them on: " + a.detail.activity));
  if (a.detail.status) facts.push(el("div", {}, "Duty status: " + a.detail.status));
  if (a.since) facts.push(el("div", {class: "alert-back"}, "✓ Since then: " + a.since.what + " at " + Clock.time(a.since.at)));
  for (const p of a.detail.problems || []) facts.push(el("div", {class: "hint"}, p));
  const done = [acked ? "Seen by " + a.acknowledged_by_name + " at " + Clock.time(a.acknowledged_at) : null,
    ...a.actions.map((x) => x.action + (x.unit ? ": " + x.unit : "") + (x.incident_id ? " (incident #" + x.incident_id + ")" : "") +
      " at " + Clock.time(x.at) + " by " + x.by + (x.note ? " (" + x.note + ")" : ""))].filter(Boolean);
  const buttons = el("div", {class: "alert-buttons"});
  if (S.canDispatch) {
    if (!acked) buttons.append(el("button", {type: "button", class: "ack-btn", dataset: {alert: a.id}, onclick: () => alertStep(a, "acknowledge")}, "Acknowledge"));
    if (sos) buttons.append(el("button", {type: "button", class: "call911-btn", dataset: {alert: a.id},
      onclick: () => alertStep(a, "actions", {action: "911 called"})}, "911 called"));
    buttons.append(el("button", {type: "button", class: "resolve-btn", dataset: {alert: a.id}, onclick: () => alertStep(a, "resolve")}, "Resolved"));
  } else buttons.append(el("span", {class: "hint"}, "(this key may read, not act)"));
  const kids = [head, ...facts, done.length ? el("ul", {class: "alert-done"}, ...done.map((d) => el("li", {}, d))) : null, buttons,
    el("p", {class: "error alert-error"})];
  if (sos) kids.splice(kids.length - 2, 0, backupTable(a));
  return el("div", {class: "alert-card " + (sos ? "k-sos" : "k-overdue") + (acked ? " acked" : ""),
    dataset: {alert: a.id, kind: a.kind, acked: acked ? "yes" : "no"}}, ...kids);
}

function backupTable(a) {
  const r = a.ranking;
  if (!r) return el("p", {class: "hint"}, a.lat === null ? "No position: backup cannot be ranked. Ask on the radio where they are."
    : "Backup cannot be ranked now.");
  const sent = new Set(a.sent);
  const cands = [...r.candidates.filter((c) => sent.has(c.ambassador)), ...r.candidates.filter((c) => c.rank && !sent.has(c.ambassador)).slice(0, 4)];
  const rows = cands.map((c) => el("tr", {dataset: {ambassador: c.ambassador}, class: sent.has(c.ambassador) ? "sent" : ""},
    el("td", {class: "num"}, c.rank || ""), el("td", {}, c.ambassador),
    el("td", {class: "num"}, c.eta_min !== null ? (c.estimated ? "≈ " : "") + fmt(c.eta_min) + " min" : "-"),
    el("td", {class: "num"}, c.distance_m !== null ? Math.round(c.distance_m) + " m" : ""),
    el("td", {class: "way"}, c.route ? c.route.streets.join(" → ") : ""),
    el("td", {}, sent.has(c.ambassador) ? el("span", {class: "sent-badge"}, "sent")
      : S.canDispatch ? el("button", {type: "button", class: "send-btn", dataset: {ambassador: c.ambassador},
        onclick: () => alertStep(a, "actions", {action: "backup sent", ambassador: c.ambassador})}, "Send") : null)));
  return el("div", {class: "backup"},
    el("b", {}, cands.length ? "Backup: nearest available on foot" : "Backup: nobody available" + (r.message ? " (" + r.message + ")" : "")),
    cands.length ? el("table", {class: "backup-table"}, el("thead", {}, el("tr", {}, el("th", {class: "num"}, "Rank"), el("th", {}, "Unit"),
      el("th", {class: "num"}, "Minutes on foot"), el("th", {class: "num"}, "Distance"), el("th", {}, "Way there"), el("th", {}, ""))),
      el("tbody", {}, ...rows)) : null);
}

async function alertStep(a, step, body) {
  const card = document.querySelector("#alert-bar .alert-card[data-alert='" + a.id + "']");
  const error = card && card.querySelector(".alert-error");
  if (error) error.textContent = "";
  for (const b of card ? card.querySelectorAll("button") : []) b.disabled = true;
  try {
    await api("POST", "/api/alerts/" + a.id + "/" + step, body || {});
    delete SAFETY.sigs[a.id];
    await safetyRefresh();
    if (typeof refresh === "function") refresh();  // a unit sent as backup is busy now
  } catch (err) {
    for (const b of card ? card.querySelectorAll("button") : []) b.disabled = false;
    if (error) error.textContent = explain(err);
  }
}

// ------------------------------------------------------------------ sound
function soundAlarm(open) {
  const now = Date.now();
  const sos = open.some((a) => a.kind === "sos" && !a.acknowledged_at);
  const fresh = open.filter((a) => a.kind !== "sos" && !a.acknowledged_at && !SAFETY.heard[a.id]);
  for (const a of fresh) SAFETY.heard[a.id] = true;
  if (sos && now - SAFETY.lastSound >= SOUND_EVERY_MS) { SAFETY.lastSound = now; tones([988, 740, 988, 740], 0.22); }
  else if (fresh.length) tones([660, 880], 0.18);
}

function tones(freqs, len) {
  try {
    const C = SAFETY.audio || (SAFETY.audio = new (window.AudioContext || window.webkitAudioContext)());
    if (C.state === "suspended") C.resume();
    freqs.forEach((f, i) => {
      const o = C.createOscillator(), g = C.createGain();
      o.type = "square"; o.frequency.value = f; o.connect(g); g.connect(C.destination);
      g.gain.setValueAtTime(0.25, C.currentTime + i * len);
      o.start(C.currentTime + i * len); o.stop(C.currentTime + (i + 0.9) * len);
    });
    document.body.dataset.alarmAt = String(Date.now());  // what a test can see of a sound
  } catch (e) { /* no sound on this browser */ }
}

function unlockSound() {  // browsers let a page make sound only after a click
  if (!SAFETY.audio) { try { SAFETY.audio = new (window.AudioContext || window.webkitAudioContext)(); } catch (e) { SAFETY.audio = null; } }
  if (SAFETY.audio && SAFETY.audio.state === "suspended") SAFETY.audio.resume();
}

// ------------------------------------------------------------------ map
function ensureAlertLayer() {
  if (SAFETY.layer || !MapView.map) return;
  SAFETY.layer = L.layerGroup().addTo(MapView.map);
  const legend = L.control({position: "topleft"});
  legend.onAdd = () => {
    const box = el("div", {class: "legend alert-legend", id: "alert-legend"}, el("b", {}, "Alerts"),
      el("div", {}, el("span", {class: "sw sw-sos"}), "SOS: where it was pressed"),
      el("div", {}, el("span", {class: "sw sw-overdue"}), "overdue alert: last position"),
      el("div", {}, el("span", {class: "sw sw-backup1"}), "backup: nearest unit's way"),
      el("div", {}, el("span", {class: "sw sw-backup2"}), "backup: next units' way"),
      el("div", {}, el("span", {class: "sw sw-assigned"}), "backup sent: its way"));
    L.DomEvent.disableClickPropagation(box);
    return box;
  };
  SAFETY.legend = legend;
}

function drawAlertsOnMap(open) {
  ensureAlertLayer();
  if (!SAFETY.layer) return;
  SAFETY.layer.clearLayers();
  const shown = open.filter((a) => a.lat !== null);
  if (shown.length && !SAFETY.legend._map) SAFETY.legend.addTo(MapView.map);
  if (!shown.length && SAFETY.legend._map) SAFETY.legend.remove();
  for (const a of shown) {
    const sos = a.kind === "sos";
    if (sos && a.ranking) {
      const sent = new Set(a.sent);
      for (const c of a.ranking.candidates) {
        if (!c.route || !(sent.has(c.ambassador) || (c.rank && c.rank <= 3))) continue;
        const line = c.route.geometry.coordinates.map(([x, y]) => [y, x]);
        const style = sent.has(c.ambassador) ? {color: SENT_COLOUR, weight: 6, opacity: 0.95}
          : c.rank === 1 ? {color: SOS_COLOUR, weight: 6, opacity: 0.9} : {color: SOS_COLOUR, weight: 3, opacity: 0.8, dashArray: "8 6"};
        L.polyline(line, style).bindTooltip(() => tip((sent.has(c.ambassador) ? "sent: " : "backup #" + c.rank + " ") + c.ambassador + ", " +
          fmt(c.eta_min) + " min on foot", "via " + c.route.streets.join(" → "))).addTo(SAFETY.layer);
      }
    }
    L.circleMarker([a.lat, a.lon], {radius: sos ? 16 : 12, color: "#000", weight: 3, fillColor: sos ? SOS_COLOUR : OVERDUE_COLOUR,
      fillOpacity: 0.9, className: sos ? "sos-marker" : "overdue-marker"})
      .bindTooltip(() => tip((sos ? "SOS " : a.kind_words + ": ") + a.unit, a.where), {permanent: sos, direction: "right"})
      .addTo(SAFETY.layer);
    if (sos && !SAFETY.fitted[a.id]) { SAFETY.fitted[a.id] = true; fitAlert(a); }
  }
}

function fitAlert(a) {
  if (!MapView.map || a.lat === null) return;
  const pts = [[a.lat, a.lon]];
  for (const c of (a.ranking ? a.ranking.candidates : [])) {
    if (!(c.rank && c.rank <= 3) && !a.sent.includes(c.ambassador)) continue;
    if (c.position) pts.push([c.position.lat, c.position.lon]);
  }
  if (pts.length === 1) MapView.map.setView(pts[0], Math.max(MapView.map.getZoom(), 17));
  else MapView.map.fitBounds(L.latLngBounds(pts), {padding: [60, 60], maxZoom: 18});
}

// ------------------------------------------------------------------ messages
function renderMessages(items) {
  const sig = JSON.stringify(items.map((m) => [m.id, m.recipients]));
  if (sig === SAFETY.messagesSig) return;
  SAFETY.messagesSig = sig;
  $("messages").replaceChildren(...items.map((m) => {
    const who = m.audience === "one" ? "to " + m.target : m.audience === "near" ? "to those within " + Math.round(m.radius_m) +
      " m on foot of " + m.location_text : "to all on duty";
    const acked = m.recipients.filter((r) => r.acknowledged_at);
    const waiting = m.recipients.filter((r) => !r.acknowledged_at);
    return el("li", {class: "message", dataset: {message: m.id}},
      el("div", {}, el("b", {}, Clock.time(m.at) + " "), who, el("span", {class: "hint"}, " · by " + m.from)),
      el("div", {class: "message-text"}, m.text),
      el("div", {class: "acks"}, "Got it: ", acked.length ? acked.map((r) => el("span", {class: "ack", dataset: {ambassador: r.ambassador}},
        "✓ " + r.ambassador + " " + Clock.time(r.acknowledged_at, true) + " ")) : "nobody yet"),
      waiting.length ? el("div", {class: "waiting"}, "Not yet: ", waiting.map((r) =>
        el("span", {class: "nack", dataset: {ambassador: r.ambassador}}, r.ambassador + " "))) : null);
  }));
}

function messageToChanged() {
  const to = $("m-to").value;
  $("m-one").hidden = to !== "one";
  $("m-near").hidden = to !== "near";
}

async function sendMessage(ev) {
  ev.preventDefault();
  $("m-error").textContent = "";
  const to = $("m-to").value;
  const body = {text: $("m-text").value, to};
  if (to === "one") body.ambassador = $("m-one").value;
  if (to === "near") { body.location = $("m-where").value; body.radius_m = Number($("m-radius").value); }
  $("m-send").disabled = true;
  try {
    const out = await api("POST", "/api/messages", body);
    $("m-text").value = "";
    $("m-ok").textContent = "Sent to " + out.recipients.length + ": " + out.recipients.map((r) => r.ambassador).join(", ");
    SAFETY.messagesSig = null;
    await safetyRefresh();
  } catch (err) {
    $("m-error").textContent = explain(err);
    $("m-ok").textContent = "";
  } finally {
    $("m-send").disabled = !S.canDispatch;
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("message-form").addEventListener("submit", sendMessage);
  $("m-to").addEventListener("change", messageToChanged);
  messageToChanged();
  document.addEventListener("click", unlockSound, {passive: true});
  document.addEventListener("keydown", unlockSound, {passive: true});
  setInterval(tickAlertTimes, 1000);
});
document.addEventListener("patrol:started", () => { unlockSound(); safetyStart(); });
document.addEventListener("patrol:logout", safetyStop);
