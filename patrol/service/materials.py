"""The district's services and written materials for the phones and the console (any key), and the check of the
materials named with a logged interaction (:mod:`patrol.materials`)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from patrol.materials import MaterialList, district_materials
from patrol.service.auth import Principal
from patrol.service.deps import ServiceState, principal

__all__ = ["materials_of", "materials_router"]


def materials_of(st: ServiceState) -> MaterialList:
    """The district's list, read once per service (a bad file stops the service at startup)."""
    lst = st.cache.get("materials")
    if lst is None:
        lst = st.cache["materials"] = district_materials(st.district)
    return lst


def materials_router(st: ServiceState) -> APIRouter:
    r = APIRouter(prefix="/api", tags=["materials"])
    lst = materials_of(st)

    @r.get("/materials", summary="The district's services and written materials (kinds, places, hours; any key)")
    def materials(_p: Principal = Depends(principal)) -> dict:
        return lst.to_dict()

    return r
