"""The dispatcher's console: one page, its script and style, Leaflet, and the street network.

Works with no internet: no tiles and no CDN.  The base layer is the district's street blocks drawn
as vectors from ``/api/streets``; Leaflet's files are served from the ``xstatic-leaflet`` package
installed with ``patrol`` (at ``/static/leaflet/``), never committed.  The page shell, script,
style and Leaflet carry no data and load without a key (the page asks for one); every data request
the page makes carries the key.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from fastapi import APIRouter, Depends, FastAPI
from fastapi.responses import FileResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from patrol.service.auth import Principal
from patrol.service.deps import ServiceState, principal

__all__ = ["STATIC_DIR", "console_router", "mount_static", "streets_geojson"]

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"


def streets_geojson(district) -> dict:
    """Every street block as a GeoJSON feature (name, kind, block id, in the patrol area, corridor)."""
    feats = []
    for _, _, d in district.graph.edges(data=True):
        feats.append({"type": "Feature",
                      "geometry": {"type": "LineString",
                                   "coordinates": [[round(x, 6), round(y, 6)] for x, y in d["geometry"].coords]},
                      "properties": {"block": int(d["block"]), "name": d["name"], "kind": d["kind"],
                                     "in_area": bool(d["in_area"]), "corridor": bool(d["corridor"])}})
    return {"type": "FeatureCollection", "features": feats}


def mount_static(app: FastAPI) -> None:
    """Serve the console's files and Leaflet (from ``xstatic-leaflet``)."""
    try:
        from xstatic.pkg import leaflet

        app.mount("/static/leaflet", StaticFiles(directory=leaflet.BASE_DIR), name="leaflet")
    except ImportError:  # pragma: no cover - a dependency of patrol
        log.warning("xstatic-leaflet is not installed: the console map will not load")
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")


def console_router(st: ServiceState) -> APIRouter:
    r = APIRouter()

    @r.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/console")

    @r.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return Response(status_code=204)

    @r.get("/console", include_in_schema=False)
    def console() -> FileResponse:
        return FileResponse(STATIC_DIR / "console.html", media_type="text/html")

    @r.get("/api/streets", tags=["district"],
           summary="The street network as GeoJSON (the base layer of the console's and the phone page's maps; "
                   "any key)")
    def streets(_p: Principal = Depends(principal)) -> Response:
        body = st.cache.get("streets")
        if body is None:
            body = st.cache["streets"] = json.dumps(streets_geojson(st.district), separators=(",", ":")).encode()
        return Response(body, media_type="application/geo+json")

    return r
