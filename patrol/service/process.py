"""Run ``patrol serve`` in a child process on loopback (tests, the load script, the fault test).

>>> with ServiceProcess("/tmp/x.db") as srv:          # doctest: +SKIP
...     httpx.get(srv.url + "/api/health").json()["status"]
'ok'
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from patrol.errors import PatrolError

if TYPE_CHECKING:
    import httpx

__all__ = ["ServiceProcess", "create_key", "free_port"]

log = logging.getLogger(__name__)


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def create_key(db: str | Path, role: str, name: str, ambassador: str | None = None) -> str:
    """Create an API key beside a record file (as ``patrol keys create`` does); return its text."""
    from patrol.service.auth import KeyStore
    from patrol.service.config import keys_path_for

    store = KeyStore(keys_path_for(db))
    try:
        return store.create(role, name=name, ambassador=ambassador, created_by="test")[0]
    finally:
        store.close()


class ServiceProcess:
    """``python -m patrol serve`` on ``127.0.0.1:<free port>`` with a given record file.

    Parameters
    ----------
    db : path
        The record (keys beside it).
    port : int, optional
        Default: a free port.
    extra : list of str
        More ``patrol serve`` arguments (``--plan``, ``--workers`` ...).
    log_path : path, optional
        Where the server's stderr goes (default: discarded).
    """

    def __init__(self, db: str | Path, *, port: int | None = None, extra: list[str] | None = None,
                 log_path: str | Path | None = None, startup_timeout: float = 60.0):
        self.db = str(db)
        self.port = port or free_port()
        self.extra = list(extra or [])
        self.log_path = log_path
        self.startup_timeout = startup_timeout
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ServiceProcess:
        """Start and wait until ``/api/health`` answers.

        Raises
        ------
        PatrolError
            When the server exits or does not answer in time.
        """
        import httpx

        cmd = [sys.executable, "-m", "patrol", "serve", "--host", "127.0.0.1", "--port", str(self.port),
               "--db", self.db, *self.extra]
        err = open(self.log_path, "ab") if self.log_path else None
        try:
            self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err or subprocess.DEVNULL,
                                         env={**os.environ}, start_new_session=True)
        finally:
            if err is not None:
                err.close()
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise PatrolError(f"the server exited with code {self.proc.returncode} (log: {self.log_path})")
            try:
                if httpx.get(self.url + "/api/health", timeout=1.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise PatrolError(f"the server did not answer on {self.url} within {self.startup_timeout} s")

    def client(self, key: str | None = None, *, timeout: float = 30.0) -> httpx.Client:
        """An ``httpx.Client`` for this server (with the key ``key``), which drops a connection idle for a second.

        uvicorn closes a connection idle for 5 s; a client that sends on it just then gets "server disconnected
        without sending a response" (seen in a test polling a slow page on a busy machine).  Dropping idle
        connections well before the server does leaves no such moment.
        """
        import httpx

        return httpx.Client(base_url=self.url, headers={"X-API-Key": key} if key else None, timeout=timeout,
                            limits=httpx.Limits(keepalive_expiry=1.0))

    def kill(self) -> None:
        """SIGKILL the server (and its worker processes): no clean shutdown."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 10 s."""
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill()

    def __enter__(self) -> ServiceProcess:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
