// patrol dispatch console: helpers shared by the escorts, events and cameras panels (issue 17).
"use strict";

const ACTIVITY_COLOURS = {escort: "#117733", event: "#999933", camera: "#332288", watched: "#6a5acd"};

/** Append a section of entries to the map's legend (each entry: [swatch element, words]). */
function legendSection(title, entries) {
  const box = $("legend");
  if (!box) return;
  box.append(el("h4", {}, title), ...entries.map(([sw, words]) => el("div", {}, sw, words)));
}
const swatch = (cls) => el("span", {class: "sw " + cls});

/** A labelled A / B marker for an escort's ends. */
function abIcon(letter) {
  return L.divIcon({className: "ab-icon", iconSize: [0, 0], html: el("div", {class: "ab-marker"}, letter)});
}

/** "14:05" of an ISO time, "Sat 6 Jun 14:05" when not today (the district's clock). */
function whenText(iso) {
  const today = Clock.day(Clock.now());
  const day = Clock.day(iso);
  return (day === today ? "" : day + " ") + Clock.time(iso);
}
