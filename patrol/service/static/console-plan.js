// patrol dispatch console: today's plan panel (its version, re-plan after dispatches, plan again with today's
// roster).  Files only (no inline script); text inserted with textContent.
"use strict";

const PlanPanel = {
  api: null,

  init(api, canDispatch, district) {
    this.api = api;
    $("replan-btn").disabled = !canDispatch;
    $("dayplan-btn").disabled = !canDispatch;
    if (district && district.roster_names) {
      $("dayplan-hint").textContent = "On the roster: " + district.roster_names.join(", ") + ". Times as HH:MM"
        + (district.shift_hours ? " inside the shift " + district.shift_hours.join("-") : "") + ".";
    }
    if (!this.bound) {  // start() runs again at every log-in: one listener per form
      $("replan-form").addEventListener("submit", (e) => { e.preventDefault(); this.replan(); });
      $("dayplan-form").addEventListener("submit", (e) => { e.preventDefault(); this.planDay(); });
      this.bound = true;
    }
    this.show();
  },

  async show() {
    try {
      const v = await this.api("GET", "/api/plan/versions");
      const last = v.versions[v.versions.length - 1];
      $("plan-version").textContent = "version " + v.current;
      $("plan-summary").textContent = last
        ? "Made " + Clock.time(last.made_at) + " by " + last.actor.split(":").pop()
          + (last.why ? ": " + last.why : "") + "."
        : "The morning's plan (no re-plan yet).";
    } catch (err) {
      $("plan-version").textContent = "";
      $("plan-summary").textContent = err.status === 404 ? "No plan is served today." : (err.message || "");
    }
  },

  names(text) { return text.split(",").map((s) => s.trim()).filter((s) => s); },

  /** "amb3=12:00, amb4=13:00" as {amb3: "12:00", ...}; a part without "=" is refused naming it and its box. */
  times(text, box, what) {
    const out = {};
    for (const part of this.names(text)) {
      const [name, hhmm] = part.split("=").map((s) => (s || "").trim());
      if (!name || !hhmm) {
        throw Object.assign(new Error(what + ": \"" + part + "\" is not name=HH:MM (e.g. amb3=12:00)"), {box});
      }
      out[name] = hhmm;
    }
    return out;
  },

  /** The boxes of the day-plan form, what each is called, and the API fields it fills. */
  boxes: [["dayplan-absent", "Absent today", ["absent", "only"]],
    ["dayplan-late", "Starting late", ["start", "hours"]], ["dayplan-early", "Leaving early", ["end", "hours"]]],

  /** Mark the box a refusal is about (by the error's field, else the box whose text names it). */
  markInvalid(err) {
    for (const [id] of this.boxes) $(id).removeAttribute("aria-invalid");
    if (!err) return "";
    const msg = (err.message || String(err)).replace(/^(?:start|end|absent|only)\.([^:\s]+): /, "$1: ");
    const hits = this.boxes.filter(([id, , fields]) => id === err.box
      || (!err.box && fields.includes(err.field) && $(id).value.trim()
          && (err.field !== "hours" || this.names($(id).value).some((p) => msg.includes(p.split("=")[0].trim())))));
    for (const [id] of hits) $(id).setAttribute("aria-invalid", "true");
    if (hits.length === 1 && !msg.startsWith(hits[0][1])) return hits[0][1] + ": " + msg;
    return msg;
  },

  /** The plan's target names in plain words. */
  words: {corridor_revisit: "corridor revisits", hotspot_revisit: "hot-spot revisits", checkins: "check-ins",
    area_coverage: "whole area walked", balance: "walking shared evenly", breaks: "breaks",
    min_on_street: "people on the street", ready_to_respond: "ready to respond"},

  /** "amb5 absent; amb3 from 12:00; amb6 until 16:00" of a day-plan request. */
  rosterWords(body) {
    return [...body.absent.map((n) => n + " absent"), ...Object.entries(body.start).map(([n, t]) => n + " from " + t),
      ...Object.entries(body.end).map(([n, t]) => n + " until " + t)].join("; ");
  },

  async run(label, call, button, what) {
    $("plan-message").textContent = label + "…";
    $("plan-error").textContent = "";
    button.disabled = true;
    try {
      const out = await call();
      this.markInvalid(null);
      const missed = out.shortfalls.map((s) => (this.words[s.target] || s.target.replace(/_/g, " "))
        + " " + s.achieved + " (target " + s.required + ")");
      $("plan-message").textContent = "Version " + out.version.version + " is served"
        + (what && what() ? " (" + what() + ")" : "")
        + (out.summary.replan ? "; changed: " + (out.summary.replan.changed_units.join(", ") || "nobody") : "")
        + (missed.length ? ". Not met: " + missed.join("; ") : ". Every target met") + ".";
      this.show();
    } catch (err) {
      $("plan-message").textContent = "";
      $("plan-error").textContent = this.markInvalid(err);
    } finally {
      button.disabled = false;
    }
  },

  replan() {
    this.run("Re-planning", () => this.api("POST", "/api/plan/replan", {why: $("replan-why").value}),
      $("replan-btn"));
  },

  planDay() {
    let body = null;
    this.run("Planning today (up to a minute)", async () => {
      body = {absent: this.names($("dayplan-absent").value),
        start: this.times($("dayplan-late").value, "dayplan-late", "Starting late"),
        end: this.times($("dayplan-early").value, "dayplan-early", "Leaving early"),
        why: "planned again from the console"};
      return this.api("POST", "/api/plan/day", body);
    }, $("dayplan-btn"), () => (body ? this.rosterWords(body) : ""));
  },
};
window.PlanPanel = PlanPanel;
