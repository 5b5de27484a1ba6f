// The plan map's walkers: one layer per unit (its route as offset lines with arrows, its stops numbered in order
// with their times), hot spots, the team panel's check boxes, and the per-walker view (#only=<unit>: that unit
// alone, zoomed to its route, its day listed in the panel).  Text is always set as text, never as HTML.
function patrolPlanMap(map, P) {
  var container = map.getContainer();
  var single = null;
  var groups = {}, lines = {};
  function laneStep(z) { return z >= 18 ? 4.5 : z >= 17 ? 3.4 : z >= 16 ? 2.3 : 1.2; }
  function weightAt(z) { return z >= 17 ? 3 : z >= 16 ? 2.5 : 1.8; }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }
  function tip(w, row) {
    var box = el('div', 'plan-tip');
    box.appendChild(el('b', '', w.name + ' ' + row[0] + '-' + row[1]));
    box.appendChild(el('div', '', row[4]));
    if (row[5]) { box.appendChild(el('div', 'tip-where', row[5])); }
    return box;
  }
  function offsetAt(lane, z) { return single ? 3 : 1.5 + lane * laneStep(z); }
  var stopMarks = [];
  // a stop drawn in its unit's lane: moved right of the way it was walked to, as far as the lane is from the street
  function placeStop(s) {
    var d = s.heading === null ? 0 : offsetAt(s.lane, map.getZoom());
    if (!d) { s.marker.setLatLng(s.at); return; }
    var b = s.heading * Math.PI / 180, p = map.latLngToLayerPoint(s.at);
    s.marker.setLatLng(map.layerPointToLatLng(p.add(L.point(Math.cos(b) * d, Math.sin(b) * d))));
  }
  P.walkers.forEach(function (w, j) {
    var g = L.featureGroup(), ls = [];
    w.lines.forEach(function (ln) {
      var lane = ln[2];
      var line = L.offsetLine(ln[1], {color: w.colour, weight: weightAt(map.getZoom()), opacity: 0.92,
                                      offset: function (z) { return offsetAt(lane, z); }, arrowEvery: 90,
                                      lineJoin: 'round', className: 'route'});
      line.bindTooltip(tip(w, w.rows[ln[0]]), {sticky: true});
      line.addTo(g);
      ls.push(line);
    });
    w.stops.forEach(function (s) {
      var row = w.rows[s[0]];
      var box = el('div', 'plan-stop kind-' + row[3]);
      box.dataset.walker = w.name;
      var mark = el('span', 'mark');
      mark.style.setProperty('--c', w.colour);
      mark.style.setProperty('--ink', w.ink);
      mark.appendChild(el('b', 'no', String(row[6])));
      box.appendChild(mark);
      var time = el('span', 'stop-time', row[0]);
      time.style.borderColor = w.colour;
      box.appendChild(time);
      var icon = L.divIcon({className: 'plan-stop-icon', html: box, iconSize: [0, 0]});
      var marker = L.marker([s[1], s[2]], {icon: icon, riseOnHover: true, keyboard: false});
      marker.bindTooltip(tip(w, row)).addTo(g);
      stopMarks.push({marker: marker, at: L.latLng(s[1], s[2]), lane: s[3], heading: s[4]});
    });
    groups[w.name] = g;
    lines[w.name] = ls;
  });
  var hot = L.featureGroup();
  P.hotspots.forEach(function (h) {
    var box = el('div', 'plan-tip');
    box.appendChild(el('b', '', 'Hot spot ' + h.id + ' (' + h.street + ')'));
    box.appendChild(el('div', '', 'a block with the most demand; stays planned: ' + (h.stays || 'none')));
    L.circleMarker([h.lat, h.lon], {radius: 15, color: '#000', weight: 2.5, fill: false}).bindTooltip(box).addTo(hot);
    var label = el('span', '', 'hot spot ' + h.id);
    L.marker([h.lat, h.lon], {icon: L.divIcon({className: 'hotspot-label', html: label, iconSize: [0, 0]}),
                              interactive: false, keyboard: false}).addTo(hot);
  });
  hot.addTo(map);

  var boxes = {};
  Array.prototype.forEach.call(document.querySelectorAll('#plan-panel input[data-walker]'), function (b) {
    boxes[b.dataset.walker] = b;
    b.addEventListener('change', function () {
      if (single) { single = null; history.replaceState(null, '', location.pathname + location.search); }
      show();
    });
  });
  var all = document.getElementById('show-everyone');
  if (all) {
    all.addEventListener('click', function (ev) {
      ev.preventDefault();
      Object.keys(boxes).forEach(function (k) { boxes[k].checked = true; });
      history.replaceState(null, '', location.pathname + location.search);
      apply();
    });
  }

  function detail(w) {
    var out = document.getElementById('walker-detail');
    if (!out) { return; }
    out.textContent = '';
    if (!w) { out.hidden = true; return; }
    out.hidden = false;
    out.appendChild(el('h3', '', w.name + ' — ' + P.when));
    out.appendChild(el('p', '', 'Hours ' + w.hours + ' · ' + w.km.toFixed(1) + ' km · ' + w.checkins +
                                ' check-ins · breaks: ' + (w.breaks.join(', ') || 'none')));
    var table = el('table', 'walker-rows'), head = el('tr');
    ['Time', 'Stop', 'What to do'].forEach(function (t) { head.appendChild(el('th', '', t)); });
    table.appendChild(head);
    w.rows.forEach(function (row) {
      var tr = el('tr', 'kind-' + row[3]);
      tr.appendChild(el('td', 'time', row[0] + '-' + row[1]));
      var stop = el('td', 'stop');
      if (row[6]) {
        var mark = el('span', 'mark', String(row[6]));
        mark.style.background = w.colour;
        mark.style.color = w.ink;
        stop.appendChild(mark);
      }
      tr.appendChild(stop);
      tr.appendChild(el('td', '', row[4] + (row[5] ? ' (' + row[5] + ')' : '')));
      table.appendChild(tr);
    });
    out.appendChild(table);
  }

  function show() {
    var z = map.getZoom();
    P.walkers.forEach(function (w) {
      var on = single ? w.name === single : (!boxes[w.name] || boxes[w.name].checked);
      if (boxes[w.name]) { boxes[w.name].checked = on; }
      map.removeLayer(groups[w.name]);
      lines[w.name].forEach(function (l) { l.setStyle({weight: weightAt(z) + (single ? 0.5 : 0)}); });
      if (on) { groups[w.name].addTo(map); }
    });
    container.classList.toggle('single-walker', !!single);
    stopMarks.forEach(placeStop);
    var rows = document.querySelectorAll('#plan-panel tr[data-walker]');
    Array.prototype.forEach.call(rows, function (r) { r.classList.toggle('chosen', r.dataset.walker === single); });
  }

  function apply() {
    var m = /^#only=(.+)$/.exec(location.hash);
    var name = m ? decodeURIComponent(m[1]) : null;
    single = name && groups[name] ? name : null;
    show();
    var w = null;
    P.walkers.forEach(function (x) { if (x.name === single) { w = x; } });
    detail(w);
    if (single) { map.fitBounds(groups[single].getBounds(), {paddingTopLeft: [30, 50], paddingBottomRight: [380, 30]}); }
  }

  map.on('zoomend', function () {
    var z = map.getZoom();
    stopMarks.forEach(placeStop);
    P.walkers.forEach(function (w) {
      lines[w.name].forEach(function (l) { l.setStyle({weight: weightAt(z) + (single ? 0.5 : 0)}); });
    });
  });
  window.addEventListener('hashchange', apply);
  apply();
  window.patrolPlan = {map: map, groups: groups, hotspots: hot, single: function () { return single; }};
}
