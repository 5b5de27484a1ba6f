// patrol field page: the ambassador's safety (issue 19). Loaded after field.js and uses its helpers (F, $, el,
// enqueue, queue, logbook, store, stamp, here, localHHMM, beep, changed, showTab, toast, pingOnce).
//
// * SOS: a big red control on the Now tab, sent only when held for SOS_HOLD_MS (a pocket or a brush of the thumb
//   cannot send it). It goes through the page's queue like everything else, first in line and retried every 2 s
//   while it waits, and the banner on top of every tab says where it is: waiting for signal, with the desk, seen
//   by the desk (who, when), backup on the way, 911 called, resolved.
// * "Are you OK?": while on scene, the service asks after alerts.checkin_after_min (the poll's `checks`); one tap
//   on "I'm OK" answers (queued too). Unanswered, the desk is alerted; the banner says so.
// * Messages from the desk: shown on top at once (sound, vibration) until "Got it" (queued), then listed on the
//   Now tab with the time acknowledged.
"use strict";

const SOS_HOLD_MS = 2000;
const HOLD_HINT = "Hold for 2 seconds to call for help";

const Safety = {
  hold: null,          // {timer, button} while the SOS control is held
  local: {},           // loaded per ambassador: acked {message id: at}, answered {check key: at}, heard {id: true}
  started: false,

  load() {
    this.local = {acked: store.get("acked", {}), answered: store.get("answered", {}), heard: store.get("heard", {})};
  },
  save() {
    store.set("acked", this.local.acked); store.set("answered", this.local.answered); store.set("heard", this.local.heard);
  },
  name() { return encodeURIComponent(F.name); },

  // ---------------------------------------------------------------- SOS
  startHold(ev) {
    if (ev) ev.preventDefault();
    if (this.hold || !F.name) return;
    unlockAudio();
    const button = $("sos-btn");
    button.classList.add("holding");
    button.dataset.state = "holding";
    $("sos-hint").textContent = "Keep holding…";
    this.hold = {button, timer: setTimeout(() => this.sendSos(), SOS_HOLD_MS)};
  },
  cancelHold() {
    if (!this.hold) return;
    clearTimeout(this.hold.timer);
    this.hold.button.classList.remove("holding");
    this.hold = null;
    this.render();
  },
  sendSos() {
    const button = this.hold ? this.hold.button : $("sos-btn");
    this.hold = null;
    button.classList.remove("holding");
    button.dataset.state = "sent";
    const fix = F.fix && Date.now() - F.fix.at <= FIX_MAX_AGE_MS ? F.fix : null;
    const body = {at: stamp()};
    if (fix) Object.assign(body, {lat: round6(fix.lat), lon: round6(fix.lon), fix_at: stamp(fix.at),
                                  accuracy_m: fix.accuracy === null ? null : Math.round(fix.accuracy * 10) / 10});
    enqueue("sos", "/api/ambassadors/" + this.name() + "/sos", body, "SOS");
    if (navigator.vibrate) { try { navigator.vibrate([200, 100, 200]); } catch (e) { /* not allowed */ } }
    pingOnce();
    showTab("now");
    window.scrollTo(0, 0);
    this.render();
  },

  /** The SOS the banner shows: one waiting on this phone, else the unit's latest from the service. */
  sosState() {
    const waiting = queue.all().filter((x) => x.kind === "sos");
    if (waiting.length) return {phase: "waiting", at: waiting[0].made};
    const refused = logbook.all().filter((e) => e.kind === "sos" && e.state === "failed" && Date.now() - Date.parse(e.made) < 3600e3);
    const served = (F.now && F.now.sos) || [];
    const open = served.filter((s) => !s.closed_at);
    if (open.length) {
      const s = open[open.length - 1];
      return {phase: s.acknowledged_at ? "seen" : "sent", ...s};
    }
    if (refused.length) return {phase: "refused", at: refused[refused.length - 1].made, error: refused[refused.length - 1].error};
    const sent = logbook.all().filter((e) => e.kind === "sos" && e.state === "sent" && Date.now() - Date.parse(e.made) < 600e3);
    if (sent.length && !served.length) return {phase: "sent", raised_at: sent[sent.length - 1].made};
    if (served.length) return {phase: "closed", ...served[served.length - 1]};
    return null;
  },

  sosBanner(s) {
    if (!s) return null;
    const lines = [];
    let title = "";
    let cls = "safety sos";
    if (s.phase === "waiting") {
      title = "SOS WAITING FOR SIGNAL";
      lines.push("Pressed at " + localHHMM(s.at) + ". It goes to the desk the moment there is any signal.",
                 "If you can, call 911 or radio the desk.");
    } else if (s.phase === "refused") {
      title = "SOS NOT ACCEPTED";
      lines.push(s.error || "", "Call 911 or radio the desk now.");
    } else if (s.phase === "sent") {
      title = "SOS SENT · " + localHHMM(s.raised_at);
      lines.push("The desk has it. Waiting for them to answer.");
    } else if (s.phase === "seen") {
      title = "SOS SEEN BY THE DESK";
      lines.push((s.acknowledged_by || "The desk") + " saw it at " + localHHMM(s.acknowledged_at) + ".");
    } else {
      title = "SOS RESOLVED · " + localHHMM(s.closed_at);
      cls = "safety sos done";
    }
    if (s.backup && s.backup.length) lines.push("Backup on the way: " + s.backup.join(", ") + ".");
    if (s.called_911) lines.push("The desk called 911.");
    return el("div", {class: cls, id: "sos-banner", dataset: {phase: s.phase}}, el("strong", {}, title),
      ...lines.filter(Boolean).map((l) => el("span", {class: "line"}, l)));
  },

  // ---------------------------------------------------------------- are you OK?
  checkKey: (c) => c.assignment_id + "|" + c.asked_at,
  /** The questions put now: from the last poll, and by the service's clock since (so a phone without signal asks
   *  too, and its "I'm OK" waits in the queue). */
  asking() {
    const now = nowMs();
    return ((F.now && F.now.checks) || []).filter((c) => !this.local.answered[this.checkKey(c)])
      .filter((c) => c.asking || Date.parse(c.asked_at) <= now)
      .map((c) => ({...c, overdue: c.overdue || Date.parse(c.due_at) <= now}));
  },
  answer(c) {
    this.local.answered[this.checkKey(c)] = stamp();
    this.save();
    enqueue("check", "/api/ambassadors/" + this.name() + "/checks", {incident_id: c.incident_id, at: stamp(), ...here()},
            "I'm OK (#" + c.incident_id + ")");
    toast("Thanks: the desk knows you are OK");
    this.render();
  },
  checkBanner(c) {
    return el("div", {class: "safety ask" + (c.overdue ? " overdue" : ""), dataset: {incident: c.incident_id}},
      el("strong", {}, "ARE YOU OK?"),
      el("span", {class: "line"}, "On scene at #" + c.incident_id + " since " + localHHMM(c.arrived_at) + "."),
      c.overdue ? el("span", {class: "line"}, "No answer yet: the desk has been alerted.") : null,
      el("button", {type: "button", class: "big ok-btn", dataset: {incident: c.incident_id},
        onclick: () => this.answer(c)}, "I'm OK"));
  },

  // ---------------------------------------------------------------- messages
  unread() {
    return ((F.now && F.now.messages) || []).filter((m) => !m.acknowledged_at && !this.local.acked[m.id]);
  },
  ack(m) {
    this.local.acked[m.id] = stamp();
    this.save();
    enqueue("ack", "/api/ambassadors/" + this.name() + "/messages/" + m.id + "/ack", {at: stamp()},
            "Got message #" + m.id);
    this.render();
  },
  messageBanner(m) {
    return el("div", {class: "safety msg", dataset: {message: m.id}},
      el("strong", {}, "MESSAGE FROM THE DESK · " + localHHMM(m.at)),
      el("span", {class: "text"}, m.text),
      el("button", {type: "button", class: "big got-btn", dataset: {message: m.id}, onclick: () => this.ack(m)}, "Got it"));
  },
  messageList() {
    const all = (F.now && F.now.messages) || [];
    const done = all.filter((m) => m.acknowledged_at || this.local.acked[m.id]);
    $("messages-card").hidden = done.length === 0;
    if (!changed("messages-list", done.map((m) => [m.id, m.acknowledged_at, !!this.local.acked[m.id]]))) return;
    $("messages-list").replaceChildren(...done.map((m) => el("li", {dataset: {message: m.id}},
      el("span", {class: "t"}, localHHMM(m.at)), " " + m.text,
      el("span", {class: "sub"}, m.acknowledged_at ? "✓ got it at " + localHHMM(m.acknowledged_at)
        : "✓ got it (waiting to send)"))));
  },

  // ---------------------------------------------------------------- drawing, sound
  render() {
    if (!F.name) return;
    const sos = this.sosState();
    const asks = this.asking();
    const unread = this.unread();
    const sig = [sos && [sos.phase, sos.id, sos.acknowledged_at, sos.backup, sos.called_911, sos.error],
      asks.map((c) => [this.checkKey(c), c.overdue]), unread.map((m) => m.id), F.today && F.today.day_start];
    if (changed("safety", sig)) {
      $("safety").replaceChildren(...[this.sosBanner(sos), ...asks.map((c) => this.checkBanner(c)),
        ...unread.map((m) => this.messageBanner(m))].filter(Boolean));
    }
    if (!this.hold) {
      const sosOn = sos && sos.phase !== "closed";
      $("sos-btn").dataset.state = sosOn ? "sent" : "idle";
      $("sos-hint").textContent = sosOn ? "SOS sent (see above). Hold 2 seconds to send again" : HOLD_HINT;
    }
    this.messageList();
    this.alarm(asks, unread);
  },
  alarm(asks, unread) {  // a new question or message buzzes and beeps once
    const fresh = [...asks.map((c) => "c" + this.checkKey(c)), ...unread.map((m) => "m" + m.id)].filter((k) => !this.local.heard[k]);
    if (!fresh.length) return;
    for (const k of fresh) this.local.heard[k] = true;
    this.save();
    if (navigator.vibrate) { try { navigator.vibrate([300, 120, 300]); } catch (e) { /* not allowed yet */ } }
    beep();
  },
};

document.addEventListener("DOMContentLoaded", () => {
  const b = $("sos-btn");
  b.addEventListener("pointerdown", (ev) => Safety.startHold(ev));
  for (const t of ["pointerup", "pointerleave", "pointercancel"]) b.addEventListener(t, () => Safety.cancelHold());
  b.addEventListener("keydown", (ev) => { if ((ev.key === " " || ev.key === "Enter") && !ev.repeat) Safety.startHold(ev); });
  b.addEventListener("keyup", () => Safety.cancelHold());
  b.addEventListener("contextmenu", (ev) => ev.preventDefault());  // a long press is not a menu here
  b.addEventListener("click", (ev) => ev.preventDefault());         // a tap alone never sends
});
document.addEventListener("patrol:render", () => {
  if (!F.name) return;
  if (!Safety.started) { Safety.load(); Safety.started = true; setInterval(() => Safety.render(), 5000); }
  Safety.render();
});
