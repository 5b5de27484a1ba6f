// patrol dispatch console: DOM helpers, the district's clock and distances (no data is ever parsed as HTML).
"use strict";

const $ = (id) => document.getElementById(id);

/** An element with attributes and children; text children become text nodes (never HTML). */
function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(e.dataset, v);
    else if (k === "style") throw new Error("no inline styles (Content-Security-Policy): use a class");
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const kid of kids.flat()) if (kid !== null && kid !== undefined && kid !== false) e.append(kid instanceof Node ? kid : String(kid));
  return e;
}

/** Tooltip content for Leaflet: an element holding plain text (a string would be parsed as HTML). */
const tip = (...lines) => el("div", {}, ...lines.map((l, i) => (i ? [el("br"), l] : l)));

const slug = (s) => String(s || "").replace(/\s+/g, "-");
const fmt = (v, d = 1) => (v === null || v === undefined ? "-" : Number(v).toFixed(d));

/** Metres between two WGS84 points (haversine). */
function metres(lat1, lon1, lat2, lon2) {
  const r = 6371008.8, rad = Math.PI / 180;
  const a = Math.sin((lat2 - lat1) * rad / 2) ** 2 +
    Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin((lon2 - lon1) * rad / 2) ** 2;
  return 2 * r * Math.asin(Math.sqrt(a));
}

// ------------------------------------------------------------------ the district's time
// Every time on the page is the district's (its time zone comes from /api/district), whatever the
// computer's own zone; timers use the server's clock (the offset is measured at every poll).
const Clock = {
  tz: "UTC",
  skewMs: 0,  // server time - this computer's time
  now() { return new Date(Date.now() + this.skewMs); },
  _fmts: {},
  format(date, opts) {
    const key = JSON.stringify(opts) + this.tz;
    if (!this._fmts[key]) this._fmts[key] = new Intl.DateTimeFormat("en-GB", {...opts, timeZone: this.tz, hourCycle: "h23"});
    return this._fmts[key].format(date);
  },
  /** "14:03" (or with seconds) in the district's zone. */
  time(value, seconds = false) {
    const d = value instanceof Date ? value : new Date(value);
    return this.format(d, seconds ? {hour: "2-digit", minute: "2-digit", second: "2-digit"} : {hour: "2-digit", minute: "2-digit"});
  },
  day(value) { return this.format(value instanceof Date ? value : new Date(value), {weekday: "short", day: "numeric", month: "short"}); },
  /** "UTC-05:00" of a zone at a moment. */
  offset(tz, date) {
    const part = new Intl.DateTimeFormat("en-US", {timeZone: tz, timeZoneName: "longOffset"})
      .formatToParts(date).find((p) => p.type === "timeZoneName");
    const v = part ? part.value.replace("GMT", "UTC") : "UTC";
    return v === "UTC" ? "UTC+00:00" : v;
  },
  browserZone() { return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC"; },
  canonical(tz) { try { return new Intl.DateTimeFormat("en-US", {timeZone: tz}).resolvedOptions().timeZone; } catch (e) { return tz; } },
  /** A warning text when this computer's time zone is not the district's (null when they agree). */
  zoneWarning(date) {
    const mine = this.browserZone();
    if (this.canonical(mine) === this.canonical(this.tz)) return null;
    const a = this.offset(mine, date), b = this.offset(this.tz, date);
    return "This computer's time zone is " + mine + " (" + a + "), the district's is " + this.tz + " (" + b + ")" +
      (a === b ? " (the same offset today)" : "") + ". Every time on this page is the district's.";
  },
};

/** "4:05" under an hour, "1 h 04 min" above. */
function elapsedText(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 3600) return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  const m = Math.floor(s / 60);
  return Math.floor(m / 60) + " h " + String(m % 60).padStart(2, "0") + " min";
}

/** "40 s ago", "3 min ago" of an age in minutes. */
function ageText(ageMin) {
  if (ageMin === null || ageMin === undefined) return "";
  return ageMin < 1 ? Math.round(ageMin * 60) + " s ago" : Math.round(ageMin) + " min ago";
}
