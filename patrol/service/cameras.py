"""Camera endpoints: the registry with what each camera sees (a reader), edits (a dispatcher or admin key: kept in
the record, the district's file is never written), and an incident seen on a camera (placed at its view)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from patrol.cameras import CameraBook, camera_from_dict, camera_view, new_camera_incident, view_location
from patrol.service.auth import Principal
from patrol.service.deps import ServiceState, dispatcher, reader
from patrol.service.idempotent import Once
from patrol.vocab import INCIDENT_TYPES, PRIORITIES, check_choice

__all__ = ["camera_router"]

CameraId = Path(min_length=1, max_length=60, pattern=r"^[A-Za-z0-9_.-]+$", description="camera id")


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CameraBody(_In):
    """A camera: where it is, where it looks, its field of view and range; or simply the blocks it sees."""

    name: str = Field("", max_length=200)
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    heading_deg: float | None = Field(None, ge=0, le=360, description="degrees clockwise from north")
    fov_deg: float | None = Field(None, ge=1, le=360)
    range_m: float | None = Field(None, ge=1, le=500)
    blocks: list[int] = Field(default_factory=list, max_length=200)
    owner: str = Field("", max_length=200)
    notes: str = Field("", max_length=2000)


class CameraIncident(_In):
    """An incident seen on a camera."""

    type: str = Field(description="incident type (the program's list)")
    priority: str = "normal"
    notes: str = Field("", max_length=10000)
    location: str | None = Field(None, min_length=1, max_length=500,
                                 description="a place in the picture (default: the camera's view point)")


def camera_router(st: ServiceState) -> APIRouter:
    """The camera endpoints over one service state (the registry file is read once, at startup)."""
    r = APIRouter(prefix="/api", tags=["cameras"])
    book = CameraBook(st.record, st.district)

    geoms = {int(d["block"]): [[round(x, 6), round(y, 6)] for x, y in d["geometry"].coords]
             for _, _, d in st.district.graph.edges(data=True)}

    def shown(view) -> dict:
        """A camera's view with its watched blocks' lines and street names (what the console draws)."""
        names = dict.fromkeys(str(st.district.arrays.edge_name[b]) for b in view.blocks)
        return {**view.to_dict(), "lines": [geoms[b] for b in view.blocks], "streets": list(names)}

    def views() -> list[dict]:
        return [shown(camera_view(st.district, c)) for c in book.cameras()]

    @r.get("/cameras", summary="The camera registry and what each camera sees (blocks, sector, view point)")
    def list_cameras(_p: Principal = Depends(reader)) -> dict:
        return {"illustrative": book.file.illustrative, "note": book.file.note, "file": book.file.path,
                "items": views()}

    @r.get("/cameras/{camera_id}", summary="One camera, what it sees and its edits")
    def show_camera(camera_id: str = CameraId, _p: Principal = Depends(reader)) -> dict:
        return {**shown(camera_view(st.district, book.get(camera_id))), "edits": book.edits(camera_id)}

    @r.put("/cameras/{camera_id}", summary="Add or replace a camera (kept in the record)")
    def put_camera(body: CameraBody, request: Request, camera_id: str = CameraId,
                   p: Principal = Depends(dispatcher)) -> JSONResponse:
        once = Once(st, request, p, body, status=200)
        if (replayed := once.replay()) is not None:
            return replayed
        cam = camera_from_dict({"id": camera_id, **body.model_dump(exclude_none=True)},
                               n_blocks=st.district.arrays.n_edges)
        camera_view(st.district, cam)  # every check before anything is written
        return once.run(lambda idem: book.set(cam, actor=p.actor, idem=idem),
                        lambda c: shown(camera_view(st.district, c)))

    @r.delete("/cameras/{camera_id}", summary="Take a camera out of the registry (the edit is kept)")
    def delete_camera(request: Request, camera_id: str = CameraId, p: Principal = Depends(dispatcher)) -> JSONResponse:
        once = Once(st, request, p, None, status=200)
        return once.replay() or once.run(lambda idem: book.remove(camera_id, actor=p.actor, idem=idem),
                                         lambda c: {"removed": c.to_dict()})

    @r.post("/cameras/{camera_id}/incidents", status_code=201,
            summary="An incident seen on a camera: source camera, the camera's id, placed at its view (or at the "
                    "place named); returns it with the ranked responders")
    def camera_incident(body: CameraIncident, request: Request, camera_id: str = CameraId,
                        p: Principal = Depends(dispatcher)) -> JSONResponse:
        once = Once(st, request, p, body, status=201)
        if (replayed := once.replay()) is not None:
            return replayed
        check_choice(body.type, INCIDENT_TYPES, "body.type")
        check_choice(body.priority, PRIORITIES, "body.priority")
        view = camera_view(st.district, book.get(camera_id))
        where = None if body.location is None else st.desk.locate(body.location)
        ranking = st.desk.rank(where or view_location(st.district, view), incident_type=body.type).to_dict()
        return once.run(
            lambda idem: new_camera_incident(st.record, st.district, view, type=body.type, priority=body.priority,
                                             notes=body.notes, location=where, actor=p.actor, idem=idem),
            lambda inc: {"incident": inc.to_dict(), "ranking": ranking})

    return r
