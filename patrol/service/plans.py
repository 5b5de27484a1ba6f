"""The day's plan in the service: plan the day with today's roster, re-plan the rest of it, its versions.

The service serves one plan file (``patrol serve --plan PLAN.json``, or ``plans/<date>/plan.json`` beside the
record once a day is planned here).  Every version is written to that file (what the console, the phones and
dispatch read; :class:`~patrol.service.today.PlanFile` and :meth:`ServiceState.follow_plan` notice the change)
and to ``plan.v<N>.json`` beside it, and kept in the record (``plan_versions``, audited with who and why).
"""

from __future__ import annotations

import json
from pathlib import Path

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from patrol.dispatch.clock import iso, local_minute, local_moment, zone
from patrol.dispatch.diversions import replan_from_record
from patrol.errors import InputError, NotFoundError
from patrol.events import events_on
from patrol.planning import plan_day, write_outputs
from patrol.planning.duties import day_roster
from patrol.planning.event_duty import plan_events
from patrol.service.auth import Principal
from patrol.service.deps import ServiceState, dispatcher, reader
from patrol.service.today import PlanFile
from patrol.settings import DAYS

__all__ = ["PlanDayBody", "ReplanBody", "plans_router"]

_HHMM = r"^\d{1,2}:\d{2}$"


class PlanDayBody(BaseModel):
    """Plan a day with today's roster (what ``patrol plan --day ... --absent ...`` does)."""

    date: str | None = Field(None, pattern=r"^\d{4}-\d{2}-\d{2}$", description="ISO date (default today)")
    absent: list[str] = Field(default_factory=list, max_length=50)
    only: list[str] = Field(default_factory=list, max_length=50)
    start: dict[str, str] = Field(default_factory=dict, description="late starts: name -> HH:MM")
    end: dict[str, str] = Field(default_factory=dict, description="early leaves: name -> HH:MM")
    pairs: bool | None = None
    seed: int | None = Field(None, ge=0, le=2**31 - 1)
    why: str = Field("", max_length=500)


class ReplanBody(BaseModel):
    """Re-plan the rest of the day after the dispatches the record holds."""

    at: str | None = Field(None, pattern=_HHMM, description="the re-plan's minute, local HH:MM (default now)")
    why: str = Field("", max_length=500)


def _write(st: ServiceState, data: dict, path: Path, minute: float | None, why: str, actor: str) -> dict:
    path.parent.mkdir(parents=True, exist_ok=True)
    (path.parent / f"plan.v{data['version']}.json").write_text(json.dumps(data, default=str), encoding="utf-8")
    write_outputs(data, st.district, path.parent)  # plan.json (atomic enough: one write), sheets, GPX
    version = st.record.add_plan_version(data, minute=minute, why=why, path=str(path), actor=actor,
                                         district=st.district_key or "")
    if st.plan_file is None or st.plan_file.path != path:
        st.plan_file = PlanFile(path)
    st.follow_plan()
    return {"version": version.to_dict(), "path": str(path), "summary": data["summary"],
            "shortfalls": data["shortfalls"]}


def plans_router(st: ServiceState) -> APIRouter:
    r = APIRouter(prefix="/api", tags=["plan"])

    @r.post("/plan/day", status_code=201, summary="Plan a day with today's roster (absent, only, late starts, "
                                                  "early leaves, pairs); it becomes the plan served")
    def plan_the_day(body: PlanDayBody, request: Request, p: Principal = Depends(dispatcher)) -> dict:
        tz = st.district.settings.district.timezone
        moment = st.desk.moment(None)
        date = body.date or moment.astimezone(zone(tz)).date().isoformat()
        day = DAYS[local_moment("12:00", tz, on=date).astimezone(zone(tz)).weekday()]
        roster = day_roster(st.district.settings, absent=body.absent, only=body.only, start=body.start,
                            end=body.end, pairs=body.pairs)
        seed = body.seed if body.seed is not None else int.from_bytes(date.encode()[-4:], "big") % 1_000_000
        plan = plan_events(st.district, plan_day(st.district, day, date=date, seed=seed, roster=roster),
                           events_on(st.district, st.record, date))
        kept = st.record.plan_versions(date, district=st.district_key or "")
        plan.version = kept[-1].version + 1 if kept else 1
        plan.made_at = iso(moment)
        data = plan.to_dict()
        folder = Path(st.config.db_path).resolve().parent / "plans" / date  # a program's: plans/<date>/<district>
        path = st.plan_file.path if st.plan_file is not None else folder / (st.district_key or "") / "plan.json"
        return _write(st, data, path, None, body.why or "the day's plan", p.actor)

    @r.post("/plan/replan", status_code=201, summary="Re-plan the rest of the day after the dispatches the record "
                                                     "holds: a new version, served at once")
    def replan_the_day(body: ReplanBody, request: Request, p: Principal = Depends(dispatcher)) -> dict:
        if st.plan_file is None:
            raise NotFoundError("no plan is served: start with --plan or plan the day first (POST /api/plan/day)",
                                field="plan")
        plan = st.plan_file.current().data
        tz = st.district.settings.district.timezone
        moment = local_moment(body.at, tz, on=plan.get("date")) if body.at else st.desk.moment(None)
        day = str(plan.get("date") or plan.get("day"))
        if not st.record.plan_versions(day, district=st.district_key or ""):
            st.record.add_plan_version(plan, path=str(st.plan_file.path), why="the plan re-planned from",
                                       actor=p.actor, district=st.district_key or "")
        minute = local_minute(moment, tz)
        if not st.district.settings.shift.start_min <= minute <= st.district.settings.shift.end_min:
            raise InputError(f"{body.at or 'now'} is outside the shift", field="body.at")
        new = replan_from_record(st.record, st.district, plan, moment, by=p.actor, why=body.why,
                                 district_key=st.district_key)
        return _write(st, new.to_dict(), st.plan_file.path, minute, body.why, p.actor)

    @r.get("/plan/versions", summary="The versions of the served day's plan, with who made each and why")
    def versions(_p: Principal = Depends(reader)) -> dict:
        if st.plan_file is None:
            raise NotFoundError("no plan is served", field="plan")
        plan = st.plan_file.current().data
        day = str(plan.get("date") or plan.get("day"))
        return {"day": day, "current": plan.get("version", 1),
                "versions": [v.to_dict() for v in st.record.plan_versions(day, district=st.district_key or "")]}

    return r
