"""Key management endpoints (admin keys only): list, create (the key is shown once), revoke."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path

from patrol.service.auth import Principal
from patrol.service.deps import ServiceState, admin
from patrol.service.schemas import KeyCreate

__all__ = ["admin_router"]

KeyId = Path(pattern=r"^[0-9a-f]{8}$", description="the key's public id (8 hex digits)")


def admin_router(st: ServiceState) -> APIRouter:
    r = APIRouter(prefix="/api/keys", tags=["keys"])

    @r.get("", summary="Every API key (without secrets), revoked ones included")
    def list_keys(_p: Principal = Depends(admin)) -> dict:
        return {"items": [k.to_dict() for k in st.keys.list()]}

    @r.post("", status_code=201, summary="Create a key; the response holds the key text, shown only this once")
    def create_key(body: KeyCreate, p: Principal = Depends(admin)) -> dict:
        names = sorted({n for u in st.desk.units for n in u.names()})
        token, key = st.keys.create(body.role, name=body.name, ambassador=body.ambassador, created_by=p.actor,
                                    known_ambassadors=names)
        return {"key": token, **key.to_dict()}

    @r.post("/{key_id}/revoke", summary="Revoke a key (never deleted)")
    def revoke_key(key_id: str = KeyId, p: Principal = Depends(admin)) -> dict:
        return st.keys.revoke(key_id, by=p.actor).to_dict()

    return r
