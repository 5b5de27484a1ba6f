// Street names along the streets: [name, lat, lon, angle, closer] each (closer: shown one zoom later), most important first, in their own pane above
// the streets, never catching the pointer (so streets and routes underneath keep their tooltips).  Each name
// sits just beside its street (not on the line); a name that would overlap one already shown is hidden, and
// this is worked out again after every zoom.
function patrolStreetLabels(map, labels) {
  var pane = map.getPane('streetLabels') || map.createPane('streetLabels');
  pane.style.zIndex = 450;
  pane.style.pointerEvents = 'none';
  var group = L.layerGroup(), spans = [];
  labels.forEach(function (l) {
    var span = document.createElement('span');
    span.textContent = l[0];
    span.style.transform = 'translate(-50%, -50%) rotate(' + l[3] + 'deg) translate(0, -8px)';
    spans.push(span);
    var icon = L.divIcon({className: 'street-label' + (l[4] ? ' closer' : ''), html: span, iconSize: [0, 0]});
    L.marker([l[1], l[2]], {icon: icon, pane: 'streetLabels', interactive: false, keyboard: false}).addTo(group);
  });
  function declutter() {
    var kept = [];
    spans.forEach(function (s) {
      s.style.visibility = '';
      var r = s.getBoundingClientRect();
      if (r.width === 0) { return; }
      var hit = kept.some(function (k) {
        return r.left < k.right + 4 && r.right > k.left - 4 && r.top < k.bottom + 2 && r.bottom > k.top - 2;
      });
      if (hit) { s.style.visibility = 'hidden'; } else { kept.push(r); }
    });
  }
  group.addTo(map);
  map.on('zoomend', declutter);
  declutter();
  return group;
}
