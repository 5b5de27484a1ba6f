"""The service's settings: one immutable object handed to :func:`patrol.service.app.create_app`.

Nothing here is read from module globals at request time: the factory receives a
:class:`ServiceConfig` and closes over it.  For ``uvicorn --workers N`` (worker processes import the
app by name) the config travels as JSON in the ``PATROL_SERVICE_CONFIG`` environment variable
(:meth:`ServiceConfig.to_env` / :meth:`ServiceConfig.from_env`).
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

from patrol.dispatch.clock import Clock, OffsetClock, utc_now
from patrol.errors import ConfigError

__all__ = ["ENV_VAR", "ServiceConfig", "keys_path_for"]

#: Environment variable carrying the JSON config to worker processes.
ENV_VAR = "PATROL_SERVICE_CONFIG"


def keys_path_for(db_path: str | Path) -> Path:
    """The API key file that sits beside a record file: ``patrol.db`` -> ``patrol.db.keys``."""
    p = Path(db_path)
    return p.with_name(p.name + ".keys")


@dataclass(frozen=True)
class ServiceConfig:
    """Settings of one ``patrol serve`` process.

    Parameters
    ----------
    db_path : str
        The incident record (SQLite).  ``":memory:"`` keeps everything in memory (tests only).
    district_path : str or None
        District folder or ``district.toml``; ``None`` is the embedded Uptown district.
    plan_path : str or None
        Today's ``plan.json`` (served at ``/api/plan`` and used for positions when pings are stale).
    keys_path : str or None
        API key file; default ``<db_path>.keys`` (see :func:`keys_path_for`).
    host, port : str, int
        Where to listen (loopback by default).
    workers : int
        uvicorn worker processes.
    max_body_bytes : int
        Larger request bodies are refused with 413.
    default_page_size, max_page_size : int
        Page size of list endpoints when none is asked, and the largest allowed.
    max_batch_pings : int
        Most pings in one batch upload.
    poll_interval_s : float
        How often the console refreshes.
    field_poll_s : float
        How often the ambassador's phone page asks for news (assignments, duty, plan version).
    field_ping_s : float
        How often the phone page sends its position while its ambassador is on duty.
    key_cache_s : float
        How long a verified key is trusted before the key file is read again (revocations by
        another worker process take effect within this delay).
    clock_offset_s : float
        Seconds added to the real time to make the service's "now" (tests and benchmarks run it inside
        shift hours whatever the hour; ``patrol serve --clock-start``).  0: the real time.
    program_path : str or None
        A program of several districts (folder or ``program.toml``, :mod:`patrol.program`): one service for
        all of its districts (:mod:`patrol.service.program`); ``district_path`` and ``plan_path`` are then unused.
    plans_dir : str or None
        With ``program_path``: where ``patrol plan --program`` wrote the day's plans (``<dir>/<district>/plan.json``,
        each served for its district when present).
    """

    db_path: str = "patrol.db"
    district_path: str | None = None
    plan_path: str | None = None
    keys_path: str | None = None
    host: str = "127.0.0.1"
    port: int = 8765
    workers: int = 1
    max_body_bytes: int = 64 * 1024
    default_page_size: int = 50
    max_page_size: int = 500
    max_batch_pings: int = 500
    poll_interval_s: float = 2.0
    field_poll_s: float = 5.0
    field_ping_s: float = 30.0
    key_cache_s: float = 5.0
    clock_offset_s: float = 0.0
    program_path: str | None = None
    plans_dir: str | None = None

    def __post_init__(self) -> None:
        checks = {
            "port": 0 <= self.port <= 65535,
            "workers": self.workers >= 1,
            "max_body_bytes": self.max_body_bytes >= 1024,
            "default_page_size": 1 <= self.default_page_size <= self.max_page_size,
            "max_page_size": self.max_page_size >= 1,
            "max_batch_pings": self.max_batch_pings >= 1,
            "poll_interval_s": self.poll_interval_s > 0,
            "field_poll_s": 0.5 <= self.field_poll_s <= 600,
            "field_ping_s": 1 <= self.field_ping_s <= 3600,
            "key_cache_s": self.key_cache_s >= 0,
            "clock_offset_s": math.isfinite(self.clock_offset_s) and abs(self.clock_offset_s) < 1e10,
        }
        for name, ok in checks.items():
            if not ok:
                raise ConfigError(f"service setting {name}={getattr(self, name)!r} is out of range", field=name)

    def clock(self) -> Clock:
        """The service's clock: the real time, or shifted by :attr:`clock_offset_s`."""
        return OffsetClock(self.clock_offset_s) if self.clock_offset_s else utc_now

    @property
    def resolved_keys_path(self) -> str:
        """The key file actually used."""
        if self.keys_path:
            return self.keys_path
        if self.db_path == ":memory:":
            return ":memory:"
        return str(keys_path_for(self.db_path))

    def with_(self, **changes) -> ServiceConfig:
        """A copy with some settings changed."""
        return replace(self, **changes)

    def to_env(self) -> str:
        """The config as JSON, for :data:`ENV_VAR`."""
        return json.dumps(asdict(self))

    @classmethod
    def from_env(cls, environ: dict | None = None) -> ServiceConfig:
        """The config a parent process put in :data:`ENV_VAR`.

        Raises
        ------
        ConfigError
            When the variable is missing, not JSON, or has unknown keys.
        """
        text = (os.environ if environ is None else environ).get(ENV_VAR)
        if not text:
            raise ConfigError(f"{ENV_VAR} is not set", field=ENV_VAR)
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{ENV_VAR} is not JSON: {exc}", field=ENV_VAR) from exc
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"unknown service settings: {', '.join(unknown)}", field=ENV_VAR)
        return cls(**data)
