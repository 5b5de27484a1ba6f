// L.OffsetLine: a polyline drawn a number of screen pixels to the right of its way (options.offset, a number or
// a function of the map's zoom), so that routes sharing a street, and a route's way out and way back, show side
// by side at every zoom; with options.arrowEvery (px) it draws arrowheads along itself, pointing the way it goes
// (canvas renderer).  Corners are mitred, sharp turns bevelled.
L.OffsetLine = L.Polyline.extend({
  _offsetPx: function () {
    var o = this.options.offset || 0;
    return typeof o === 'function' ? o(this._map.getZoom(), this) : o;
  },

  _project: function () {
    L.Polyline.prototype._project.call(this);
    var d = this._offsetPx();
    if (!d || !this._rings.length) { return; }
    var bounds = new L.Bounds();
    this._rings = this._rings.map(function (ring) {
      var out = L.OffsetLine.offsetPoints(ring, d);
      out.forEach(function (p) { bounds.extend(p); });
      return out;
    });
    if (bounds.isValid()) {
      this._rawPxBounds = bounds;  // hit testing and clipping follow the line where it is drawn
      this._updateBounds();
    }
  },

  _updatePath: function () {
    L.Polyline.prototype._updatePath.call(this);
    var r = this._renderer, every = this.options.arrowEvery;
    if (!every || !r._drawing || !r._ctx) { return; }
    var ctx = r._ctx, size = Math.max(3.5, (this.options.weight || 3) * 1.6);
    ctx.save();
    ctx.setLineDash([]);
    ctx.globalAlpha = this.options.opacity === undefined ? 1 : this.options.opacity;
    ctx.fillStyle = this.options.color;
    this._parts.forEach(function (part) {
      var total = 0, i;
      for (i = 1; i < part.length; i++) { total += part[i].distanceTo(part[i - 1]); }
      if (total < 2.5 * size) { return; }
      var at = total < every ? total / 2 : every / 2, walked = 0;
      for (i = 1; i < part.length && at <= total; i++) {
        var a = part[i - 1], b = part[i], len = a.distanceTo(b);
        while (len > 0 && at <= walked + len) {
          var f = (at - walked) / len, x = a.x + (b.x - a.x) * f, y = a.y + (b.y - a.y) * f;
          var ang = Math.atan2(b.y - a.y, b.x - a.x);
          ctx.save();
          ctx.translate(x, y);
          ctx.rotate(ang);
          ctx.beginPath();
          ctx.moveTo(size, 0);
          ctx.lineTo(-size, -size * 0.8);
          ctx.lineTo(-size * 0.4, 0);
          ctx.lineTo(-size, size * 0.8);
          ctx.closePath();
          ctx.fill();
          ctx.restore();
          at += every;
        }
        walked += len;
      }
    });
    ctx.restore();
  }
});

// Points moved d px to the right of their way (screen y grows downwards: the right of (dx, dy) is (-dy, dx)).
L.OffsetLine.offsetPoints = function (pts, d) {
  var p = [], i;
  for (i = 0; i < pts.length; i++) {
    var q = pts[i], last = p[p.length - 1];
    if (!last || Math.abs(q.x - last.x) + Math.abs(q.y - last.y) > 0.01) { p.push(q); }
  }
  if (p.length < 2) { return p; }
  var n = [];
  for (i = 0; i < p.length - 1; i++) {
    var dx = p[i + 1].x - p[i].x, dy = p[i + 1].y - p[i].y, len = Math.sqrt(dx * dx + dy * dy);
    n.push(L.point(-dy / len, dx / len));
  }
  var out = [p[0].add(n[0].multiplyBy(d))];
  for (i = 1; i < p.length - 1; i++) {
    var a = n[i - 1], b = n[i], cos = a.x * b.x + a.y * b.y;
    if (cos < -0.3) {  // turning back: bevel
      out.push(p[i].add(a.multiplyBy(d)), p[i].add(b.multiplyBy(d)));
    } else {
      var m = a.add(b), ml = Math.sqrt(m.x * m.x + m.y * m.y);
      m = m.divideBy(ml);
      out.push(p[i].add(m.multiplyBy(d / Math.max(0.5, m.x * a.x + m.y * a.y))));
    }
  }
  out.push(p[p.length - 1].add(n[n.length - 1].multiplyBy(d)));
  return out;
};

L.offsetLine = function (latlngs, options) { return new L.OffsetLine(latlngs, options); };
