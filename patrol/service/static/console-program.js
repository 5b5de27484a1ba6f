// patrol dispatch console: a program of several districts (patrol serve --program). Loaded after the console's
// scripts (only on a program's console page) and uses their globals (S, api, start, refresh, MapView, PlanPanel,
// renderRecommendation, renderUnits, renderIncidents, el, tip, $).
//
// * A district selector in the header: "All districts" or one. The choice filters what is shown (units, incidents,
//   streets, the area drawn) and names the district of the plan panel and of messages to all on duty; it is kept
//   in this browser tab (sessionStorage).
// * Alerts are never filtered: an SOS of any district shows whatever is selected.
// * New incidents and rankings are never filtered either: the service finds the incident's district from the place
//   and ranks the units of every district; a unit of another district that is nearer is marked "from <district>"
//   (and its route drawn like any other).
"use strict";

const PROGRAM = {
  info: null,
  district: sessionStorage.getItem("patrolDistrict") || "",
  layer: null,
};
// Requests that show one district when one is chosen (GET), and those that act on one district (any method).
const SHOWN = [/^\/api\/state$/, /^\/api\/incidents$/, /^\/api\/district$/, /^\/api\/streets$/, /^\/api\/ambassadors$/,
  /^\/api\/interactions$/];
const PER_DISTRICT = [/^\/api\/plan(\/|$)/];
const AREA_COLOURS = ["#1d3557", "#7a3e9d", "#2a7f62", "#a0522d", "#555555"];

function districtOf(name) {
  return (PROGRAM.info && PROGRAM.info.districts.find((x) => x.name === name)) || {name, title: name, label: name};
}
const districtTitle = (name) => districtOf(name).title;
const districtLabel = (name) => districtOf(name).label;

function withDistrict(path, district) {
  return path + (path.includes("?") ? "&" : "?") + "district=" + encodeURIComponent(district);
}

// ------------------------------------------------------------------ requests
const consoleApi = api;
api = async function programApi(method, path, body, idempotencyKey) {
  const bare = path.split("?")[0];
  const d = PROGRAM.district;
  if (d && ((method === "GET" && SHOWN.some((re) => re.test(bare))) || PER_DISTRICT.some((re) => re.test(bare)))) {
    return consoleApi(method, withDistrict(path, d), body, idempotencyKey);
  }
  if (method === "POST" && bare === "/api/messages" && body && body.to === "all on duty") {
    // one message per district (each district's ambassadors on duty), or to the chosen district only
    const names = d ? [d] : PROGRAM.info.districts.map((x) => x.name);
    const sent = [];
    for (const name of names) sent.push(await consoleApi(method, withDistrict(path, name), body, idempotencyKey));
    return {...sent[0], recipients: sent.flatMap((m) => m.recipients)};
  }
  return consoleApi(method, path, body, idempotencyKey);
};

// ------------------------------------------------------------------ the selector
async function loadProgram() {
  PROGRAM.info = await consoleApi("GET", "/api/program");
  if (PROGRAM.district && !PROGRAM.info.districts.some((x) => x.name === PROGRAM.district)) PROGRAM.district = "";
  let pick = $("district-select");
  if (!pick) {
    pick = el("select", {id: "district-select", "aria-label": "district shown", title: "the district shown: units, "
      + "incidents, streets and plan (alerts and rankings always cover every district)",
      onchange: (ev) => chooseDistrict(ev.target.value)});
    $("district-name").after(el("label", {id: "district-pick"}, "District ", pick));
  }
  pick.replaceChildren(el("option", {value: ""}, "All districts (" + PROGRAM.info.districts.length + ")"),
    ...PROGRAM.info.districts.map((x) => el("option", {value: x.name}, x.title)));
  pick.value = PROGRAM.district;
}

async function chooseDistrict(name) {
  PROGRAM.district = name;
  sessionStorage.setItem("patrolDistrict", name);
  S.selected = null;
  $("selected").hidden = true;
  MapView.drawRoutes(null, new Set());
  try {
    const [district, streets] = await Promise.all([api("GET", "/api/district"), api("GET", "/api/streets")]);
    S.district = district;
    $("district-name").textContent = district.name;
    MapView.drawStreets(district, streets);
    drawAreas();
    showPlanPanel();
    await refresh();
  } catch (err) {
    $("poll-status").textContent = "could not show the district: " + explain(err);
  }
}

/** Every district's patrol area as a labelled outline; the chosen one drawn bold. */
function drawAreas() {
  if (!MapView.map || !PROGRAM.info) return;
  if (!PROGRAM.layer) PROGRAM.layer = L.layerGroup().addTo(MapView.map);
  PROGRAM.layer.clearLayers();
  PROGRAM.info.districts.forEach((x, i) => {
    const b = x.area_bounds;
    const chosen = x.name === PROGRAM.district;
    const colour = AREA_COLOURS[i % AREA_COLOURS.length];
    L.rectangle([[b.south, b.west], [b.north, b.east]], {color: colour, weight: chosen ? 3 : 2, fill: false,
      dashArray: chosen ? null : "6 5", interactive: false}).addTo(PROGRAM.layer);
    // the name under the area's south-west corner: outside the area, where units and incidents are not
    L.tooltip({permanent: true, direction: "right", className: "area-label area-label-" + (i % AREA_COLOURS.length),
      offset: [-8, 16]}).setLatLng([b.south, b.west]).setContent(el("span", {}, x.title)).addTo(PROGRAM.layer);
    if (!PROGRAM.district || chosen) {
      L.circleMarker([x.base.lat, x.base.lon], {radius: 8, color: "#000", weight: 3, fillColor: "#f0e442", fillOpacity: 1})
        .bindTooltip(() => tip(x.base.name + " (" + x.title + ")", x.base.at)).addTo(PROGRAM.layer);
    }
  });
}

function showPlanPanel() {
  const all = !PROGRAM.district;
  $("plan-actions").hidden = all;
  if (all) {
    $("plan-version").textContent = "";
    $("plan-summary").textContent = "Each district has its own plan: choose a district above to see it and re-plan.";
  } else if (window.PlanPanel && PlanPanel.api) {
    PlanPanel.show();
  }
}

// ------------------------------------------------------------------ what the console draws, with districts
const consoleStart = start;
start = async function programStart() {
  await loadProgram();
  await consoleStart();
  drawAreas();
  showPlanPanel();
  addLegend();
};

const consoleShowPlan = PlanPanel.show;
PlanPanel.show = function programShowPlan() {
  if (!PROGRAM.district) return showPlanPanel();
  return consoleShowPlan.call(PlanPanel);
};

const consoleRecommendation = renderRecommendation;
renderRecommendation = function programRecommendation(inc, ranking, detail, sent) {
  consoleRecommendation(inc, ranking, detail, sent);
  if (!ranking) return;
  const home = ranking.district || inc.district;
  const meta = $("sel-meta");
  if (home && meta && !meta.querySelector(".district-line")) {
    meta.append(el("div", {class: "district-line"}, "District: " + districtTitle(home)));
  }
  let neighbours = 0;
  for (const c of ranking.candidates) {
    if (!c.neighbour) continue;
    neighbours += 1;
    const cell = document.querySelector('#ranking tbody tr[data-ambassador="' + CSS.escape(c.ambassador) + '"] td:nth-child(2)');
    if (cell && !cell.querySelector(".neighbour")) {
      cell.append(el("div", {class: "neighbour", title: "a unit of " + districtTitle(c.district)
        + ": ranked by its walking time across the district boundary"}, "⇄ " + districtLabel(c.district)));
    }
  }
  if (neighbours) {
    $("recommendation").append(el("p", {class: "hint neighbour-note"}, "⇄ a unit of another district, nearer on foot "
      + "across the boundary: every district's units are ranked by walking time; the incident stays "
      + districtLabel(home) + "'s."));
  }
};

const consoleUnits = renderUnits;
renderUnits = function programUnits(state) {
  consoleUnits(state);
  if (PROGRAM.district) return;
  for (const u of state.units) {
    const cell = document.querySelector('#ambassadors tbody tr[data-unit="' + CSS.escape(u.name) + '"] td:first-child');
    if (cell && u.district && !cell.querySelector(".district-tag")) {
      cell.append(" ", el("span", {class: "district-tag"}, districtLabel(u.district)));
    }
  }
};

const consoleIncidents = renderIncidents;
renderIncidents = function programIncidents(incidents, nOpen) {
  consoleIncidents(incidents, nOpen);
  for (const i of incidents) {
    const hint = document.querySelector('#incidents li[data-id="' + i.id + '"] .hint');
    if (hint && i.district && !hint.querySelector(".district-tag")) {
      hint.append(" · ", el("span", {class: "district-tag"}, districtLabel(i.district)));
    }
  }
};

function addLegend() {
  const legend = $("legend");
  if (!legend || legend.querySelector(".program-legend")) return;
  legend.append(el("h4", {class: "program-legend"}, "Districts"),
    el("div", {}, el("span", {class: "sw sw-area-outline"}), "a district's patrol area (dashed: not chosen)"),
    el("div", {}, el("span", {class: "neighbour"}, "⇄"), " unit of another district"));
}
