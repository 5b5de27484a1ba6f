// patrol field page: safety escorts, today's events, written materials (issue 17).  Loaded after field.js and
// using its helpers (F, $, el, api, enqueue, store, toast, stamp, here, hhmm, localHHMM, beep, renderAll, poll).
//
// * Escorts: my open escorts as cards on "Now" (walk from A to B, my step and the next), steps and the ending
//   queued like every write; "Walk someone" starts an escort from here to a place, on the spot.
// * Events: today's events with what to tell people, on "My day", and the one on now on "Now".
// * Materials: the district's services and written materials on "Log"; what is picked goes with the next referral,
//   information shared or materials handed out.
"use strict";

const ESC_STEPS = ["assigned", "accepted", "en route", "under way"];
const ESC_WORDS = {"assigned": "Assigned", "accepted": "Accepted", "en route": "On my way to A", "under way": "Walking with them"};
const ESC_NEXT = {"assigned": "Accept", "accepted": "On my way to them", "en route": "With them: start walking",
  "under way": "Arrived: record how it ended"};
const MATERIAL_TYPES = ["referral", "information sharing", "outreach material shared"];

const P = {
  materials: null,   // /api/materials
  events: null,      // /api/events (today)
  eventsDay: null,   // the local date they are for
  escorts: [],       // my open escorts (/api/ambassadors/{me}/escorts)
  localEsc: {},      // escort id -> step set on this phone (ahead of the service while queued)
  doneEsc: {},       // escort id -> true once ended on this phone
  picked: {},        // material id -> count, for the next referral / information shared
  people: 1,
  endFor: null,
};

const Program = {
  async start() {
    P.materials = store.get("materials", null);
    P.events = store.get("events", null);
    P.eventsDay = store.get("eventsDay", null);
    P.escorts = store.get("escorts", []);
    P.localEsc = store.get("localEsc", {});
    P.doneEsc = store.get("doneEsc", {});
    wireProgram();
    try {
      P.materials = (await api("GET", "/api/materials")).data;
      store.set("materials", P.materials);
    } catch (err) { /* offline: the list kept on the phone */ }
    renderMaterials();
  },

  async poll() {
    try {
      const out = (await api("GET", "/api/ambassadors/" + encodeURIComponent(F.name) + "/escorts")).data;
      const fresh = out.items.filter((x) => x.escort.step === "assigned" && !F.alerted["e" + x.escort.id]);
      P.escorts = out.items;
      store.set("escorts", P.escorts);
      if (fresh.length) {
        for (const x of fresh) F.alerted["e" + x.escort.id] = true;
        store.set("alerted", F.alerted);
        if (navigator.vibrate) { try { navigator.vibrate([400, 150, 400]); } catch (e) { /* not allowed yet */ } }
        beep();
      }
      const day = F.today ? F.today.date : null;
      if (day && (day !== P.eventsDay || !P.events)) {
        P.events = (await api("GET", "/api/events?date=" + day)).data.items;
        P.eventsDay = day;
        store.set("events", P.events);
        store.set("eventsDay", day);
      }
    } catch (err) { /* offline: what the phone has */ }
  },

  render() {
    renderEscorts();
    renderEvents();
    renderPicked();
  },

  /** Log with the picked materials (true), or say there are none (false: the caller logs as usual). */
  offerMaterials(type, extra, label) {
    const given = Object.entries(P.picked).filter(([, n]) => n > 0).map(([id, count]) => ({id, count}));
    if (!MATERIAL_TYPES.includes(type) || !given.length) return false;
    const n = given.reduce((a, g) => a + g.count, 0);
    logInteraction(type, {...extra, materials: given}, label + " + " + n + " material" + (n > 1 ? "s" : ""));
    P.picked = {};
    renderMaterials();
    return true;
  },
};

// ------------------------------------------------------------------ escorts
function escortStep(x) {
  const e = x.escort;
  const local = P.localEsc[e.id];
  if (local && ESC_STEPS.indexOf(local) > ESC_STEPS.indexOf(e.step)) return local;
  return e.step;
}

function renderEscorts() {
  const box = $("escorts");
  const list = (P.escorts || []).filter((x) => !P.doneEsc[x.escort.id]);
  if (!changed("escorts", list.map((x) => [x.escort, escortStep(x)]))) return;
  box.replaceChildren(...list.map((x) => {
    const e = x.escort, w = x.walk, step = escortStep(x);
    const si = ESC_STEPS.indexOf(step);
    const steps = el("div", {class: "steps"}, ...["accepted", "en route", "under way"].map((s) =>
      el("span", {class: ESC_STEPS.indexOf(s) <= si ? "done" : ""}, s === "under way" ? "With them" : ESC_WORDS[s])));
    const next = el("button", {type: "button", class: "big primary esc-next", dataset: {escort: e.id, step},
      onclick: () => advanceEscort(x)}, ESC_NEXT[step]);
    const end = step !== "under way" ? el("button", {type: "button", class: "big esc-end", dataset: {escort: e.id},
      onclick: () => openEscortEnd(x)}, "They were not there / declined") : null;
    return el("article", {class: "escort-card", dataset: {escort: e.id, step}},
      el("div", {class: "label"}, "Safety escort · " + (e.people > 1 ? e.people + " people" : "1 person")),
      el("h2", {}, "To " + (e.to_matched || e.to_text)),
      el("p", {class: "where"}, "From " + (e.from_matched || e.from_text)),
      el("p", {class: "route"}, "Walk " + Math.round(w.duration_min) + " min (" + Math.round(w.distance_m) + " m): " +
        w.route.streets.join(" → ")),
      e.notes ? el("p", {class: "notes"}, e.notes) : null,
      steps, next, end);
  }));
}

function advanceEscort(x) {
  const e = x.escort, step = escortStep(x);
  if (step === "under way") { openEscortEnd(x); return; }
  const nxt = ESC_STEPS[ESC_STEPS.indexOf(step) + 1];
  P.localEsc[e.id] = nxt;
  store.set("localEsc", P.localEsc);
  enqueue("escort-step", "/api/ambassadors/" + encodeURIComponent(F.name) + "/escorts/" + e.id + "/status",
    {status: nxt, at: stamp()}, "Escort #" + e.id + ": " + ESC_WORDS[nxt]);
  renderAll();
}

function openEscortEnd(x) {
  P.endFor = x;
  const started = escortStep(x) === "under way";
  const outcomes = started ? F.vocab.escort_outcomes : ["person declined", "person not found", "other"];
  $("esc-end-title").textContent = "Escort to " + (x.escort.to_matched || x.escort.to_text) + ": how did it end?";
  $("esc-outcomes").replaceChildren(...outcomes.map((o, i) => {
    const input = el("input", {type: "radio", name: "esc-outcome", value: o, checked: i === 0});
    const label = el("label", {class: i === 0 ? "on" : ""}, input, o);
    input.addEventListener("change", () => {
      for (const l of document.querySelectorAll("#esc-outcomes label")) l.classList.toggle("on", l.contains(input));
    });
    return label;
  }));
  $("esc-end-note").value = "";
  $("escort-end-sheet").hidden = false;
}

function finishEscort() {
  const x = P.endFor;
  if (!x) return;
  const picked = document.querySelector("#esc-outcomes input:checked");
  const outcome = picked ? picked.value : "arrived";
  P.doneEsc[x.escort.id] = true;
  store.set("doneEsc", P.doneEsc);
  enqueue("escort-finish", "/api/ambassadors/" + encodeURIComponent(F.name) + "/escorts/" + x.escort.id + "/finish",
    {outcome, note: $("esc-end-note").value.trim(), at: stamp()}, "Escort #" + x.escort.id + ": " + outcome);
  $("escort-end-sheet").hidden = true;
  P.endFor = null;
  toast("Escort recorded: " + outcome);
  renderAll();
}

function startEscort() {
  const to = $("esc-to").value.trim();
  if (!to) { toast("Where are you walking them to?"); return; }
  const body = {to, people: P.people, notes: $("esc-note").value.trim(), take: true, at: stamp(), ...here()};
  enqueue("escort-new", "/api/ambassadors/" + encodeURIComponent(F.name) + "/escorts", body, "Escort to " + to);
  $("escort-sheet").hidden = true;
  $("esc-to").value = ""; $("esc-note").value = "";
  toast("Escort started: the desk sees you are busy" + (F.online === false ? " when there is signal" : ""));
}

// ------------------------------------------------------------------ events
function eventWords(e) {
  const t = (iso) => localHHMM(iso) || iso.slice(11, 16);
  return {when: t(e.start) + "–" + t(e.end), where: e.matched || e.place || "blocks " + e.blocks.join(", ")};
}

function renderEvents() {
  const items = P.eventsDay && F.today && P.eventsDay === F.today.date ? (P.events || []) : [];
  $("events-box").hidden = !items.length;
  $("events-list").replaceChildren(...items.map((e) => {
    const w = eventWords(e);
    return el("li", {dataset: {event: e.id}}, el("b", {}, e.name), el("span", {class: "sub"}, w.when + " · " + w.where +
      (e.crowd ? " · about " + e.crowd.toLocaleString("en") + " people" : "")),
      e.info ? el("p", {class: "tell"}, el("b", {}, "Tell people: "), e.info) : null);
  }));
  // the event under way now (set-up to dispersal), on "Now"
  const now = nowMs();
  const on = items.find((e) => Date.parse(e.presence_start) <= now && now < Date.parse(e.presence_end));
  const card = $("event-now");
  card.hidden = !on;
  if (on) {
    const w = eventWords(on);
    card.replaceChildren(el("div", {class: "label"}, "Event now"), el("h3", {}, on.name + " · " + w.when),
      el("p", {}, w.where), on.info ? el("p", {class: "tell"}, el("b", {}, "Tell people: "), on.info) : null);
  }
}

// ------------------------------------------------------------------ materials
function renderMaterials() {
  const items = (P.materials && P.materials.items) || [];
  $("materials-box").hidden = !items.length;
  const order = (m) => (m.kind === "event flyer" ? 0 : 1);
  const sorted = [...items].sort((a, b) => order(a) - order(b));
  $("materials-list").replaceChildren(...sorted.map((m) => {
    const n = P.picked[m.id] || 0;
    const facts = [m.kind, m.hours ? "open " + m.hours : null, m.phone ? "call " + m.phone : null,
      m.illustrative ? "example only" : null].filter(Boolean).join(" · ");
    return el("li", {class: n ? "picked" : "", dataset: {material: m.id}},
      el("div", {class: "mat-text"}, el("b", {}, m.name), el("span", {class: "sub"}, facts),
        m.description ? el("span", {class: "sub"}, m.description) : null),
      el("div", {class: "stepper"},
        el("button", {type: "button", class: "mat-minus", "aria-label": "one less " + m.name, onclick: () => pick(m.id, -1)}, "−"),
        el("span", {class: "count"}, String(n)),
        el("button", {type: "button", class: "mat-plus", "aria-label": "one more " + m.name, onclick: () => pick(m.id, 1)}, "+")));
  }));
  renderPicked();
}

function pick(id, delta) {
  P.picked[id] = Math.max(0, Math.min(1000, (P.picked[id] || 0) + delta));
  if (!P.picked[id]) delete P.picked[id];
  renderMaterials();
}

function renderPicked() {
  const n = Object.values(P.picked).reduce((a, b) => a + b, 0);
  $("mat-picked").textContent = n ? "(" + n + " picked)" : "";
}

// ------------------------------------------------------------------ wiring
function wireProgram() {
  if (wireProgram.done) return;
  wireProgram.done = true;
  $("escort-start").addEventListener("click", () => { P.people = 1; markPeople(); $("escort-sheet").hidden = false; });
  $("esc-cancel").addEventListener("click", () => { $("escort-sheet").hidden = true; });
  $("esc-go").addEventListener("click", startEscort);
  for (const b of document.querySelectorAll("#escort-sheet [data-people]")) {
    b.addEventListener("click", () => { P.people = Number(b.dataset.people); markPeople(); });
  }
  $("esc-end-cancel").addEventListener("click", () => { $("escort-end-sheet").hidden = true; P.endFor = null; });
  $("esc-end-go").addEventListener("click", finishEscort);
}

function markPeople() {
  for (const b of document.querySelectorAll("#escort-sheet [data-people]")) {
    b.classList.toggle("active", Number(b.dataset.people) === P.people);
  }
}
