// Classes z-ge-N on the map's container for every zoom level N reached, so CSS can show marks by zoom
// (street names from zoom 16, times beside the plan's stops from zoom 17).
function patrolZoomClasses(map) {
  if (map._patrolZoomClasses) { return; }
  map._patrolZoomClasses = true;
  function update() {
    var z = map.getZoom(), el = map.getContainer();
    for (var k = 10; k <= 20; k++) { el.classList.toggle('z-ge-' + k, z >= k); }
  }
  map.on('zoomend', update);
  update();
}
