// patrol dispatch console: today's plan panel (its version, re-plan after dispatches, plan again with today's
// roster).  Files only (no inline script); text inserted with textContent.
"use strict";

const PlanPanel = {
  api: null,

  init(api, canDispatch) {
    this.api = api;
    $("replan-btn").disabled = !canDispatch;
    $("dayplan-btn").disabled = !canDispatch;
    $("replan-form").addEventListener("submit", (e) => { e.preventDefault(); this.replan(); });
    $("dayplan-form").addEventListener("submit", (e) => { e.preventDefault(); this.planDay(); });
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

  times(text) {
    const out = {};
    for (const part of this.names(text)) {
      const [name, hhmm] = part.split("=").map((s) => (s || "").trim());
      if (!name || !hhmm) throw new Error("write late starts and early leaves as name=HH:MM, e.g. amb3=12:00");
      out[name] = hhmm;
    }
    return out;
  },

  async run(label, call) {
    $("plan-message").textContent = label + "…";
    $("plan-error").textContent = "";
    try {
      const out = await call();
      const missed = out.shortfalls.map((s) => s.target.replace(/_/g, " "));
      $("plan-message").textContent = "Version " + out.version.version + " is served"
        + (out.summary.replan ? "; changed: " + (out.summary.replan.changed_units.join(", ") || "nobody") : "")
        + (missed.length ? "; not met: " + missed.join(", ") : "; every target met") + ".";
      this.show();
    } catch (err) {
      $("plan-message").textContent = "";
      $("plan-error").textContent = err.message || String(err);
    }
  },

  replan() {
    this.run("Re-planning", () => this.api("POST", "/api/plan/replan", {why: $("replan-why").value}));
  },

  planDay() {
    this.run("Planning today", () => this.api("POST", "/api/plan/day", {
      absent: this.names($("dayplan-absent").value), start: this.times($("dayplan-late").value),
      end: this.times($("dayplan-early").value), why: "planned again from the console"}));
  },
};
window.PlanPanel = PlanPanel;
