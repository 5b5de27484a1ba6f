"""API keys: who may call the service, in which role, and the actor name their writes carry.

Keys
    A key is ``patrol_<id>_<secret>``: ``id`` is 8 public hex digits naming the key (it appears in
    the audit trail and in key listings), ``secret`` 32 random bytes (``secrets.token_urlsafe``).
    The key is shown once, when created; the key file stores only a per-key random salt and
    ``sha256(salt + key)``.  A salted SHA-256 is enough here because the secret has 256 bits of
    entropy: there is nothing to guess by brute force, so a slow password hash (scrypt) would only
    cost time on every request.  Keys are never deleted, only revoked.
File
    A small SQLite file beside the incident record (``patrol.db.keys``, see
    :func:`patrol.service.config.keys_path_for`), so the record's own versioned schema stays the
    dispatch package's.
Roles
    ``admin`` manages keys and may do everything; ``dispatcher`` reads and writes incidents, duty,
    positions and logs; ``viewer`` reads; ``ambassador`` is bound to one ambassador name and may only
    post that ambassador's pings, interactions, check-ins and duty status, move the incidents assigned to
    it, and read its own day, assignments and log (:mod:`patrol.service.field`).
Actor
    Every write made with a key is recorded with the actor ``key:<id>:<role>:<name>``.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from patrol.dispatch.clock import iso
from patrol.errors import AuthError, InputError, NotFoundError, RecordError, RecordUnavailableError

__all__ = ["CAPABILITIES", "ROLES", "ApiKey", "KeyStore", "Principal", "parse_token", "unauthenticated"]

log = logging.getLogger(__name__)

#: Roles a key may have.
ROLES: tuple[str, ...] = ("admin", "dispatcher", "viewer", "ambassador")
#: What each role may do: ``read`` (GET the record, map and plan), ``dispatch`` (incidents, duty),
#: ``field`` (pings, interactions; an ambassador key for itself only), ``keys`` (manage keys).
CAPABILITIES: dict[str, frozenset[str]] = {
    "admin": frozenset({"read", "dispatch", "field", "keys"}),
    "dispatcher": frozenset({"read", "dispatch", "field"}),
    "viewer": frozenset({"read"}),
    "ambassador": frozenset({"field"}),
}

_TOKEN = re.compile(r"^patrol_([0-9a-f]{8})_([A-Za-z0-9_-]{20,100})$")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS api_keys (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    role        TEXT NOT NULL,
    ambassador  TEXT,
    salt        BLOB NOT NULL,
    hash        BLOB NOT NULL,
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    revoked_at  TEXT,
    revoked_by  TEXT
);
CREATE TRIGGER IF NOT EXISTS api_keys_no_delete BEFORE DELETE ON api_keys
BEGIN SELECT RAISE(ABORT, 'API keys are revoked, never deleted'); END;
"""


def unauthenticated(message: str) -> AuthError:
    """An :class:`AuthError` answered with 401 (no key, or a key that is not valid)."""
    err = AuthError(message, field="authorization")
    err.http_status = 401
    return err


@dataclass(frozen=True)
class ApiKey:
    """A stored key (without its secret)."""

    id: str
    name: str
    role: str
    ambassador: str | None
    created_at: str
    created_by: str
    revoked_at: str | None = None
    revoked_by: str | None = None

    def to_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "role": self.role, "ambassador": self.ambassador,
                "created_at": self.created_at, "created_by": self.created_by, "revoked_at": self.revoked_at,
                "revoked_by": self.revoked_by}


@dataclass(frozen=True)
class Principal:
    """The caller of a request: its key, role and the actor its writes are recorded with."""

    key_id: str
    name: str
    role: str
    ambassador: str | None = None

    @property
    def actor(self) -> str:
        return f"key:{self.key_id}:{self.role}:{self.name}"

    def can(self, capability: str) -> bool:
        return capability in CAPABILITIES.get(self.role, frozenset())

    def require(self, capability: str) -> Principal:
        """Return self, or raise 403 when the role lacks the capability."""
        if not self.can(capability):
            raise AuthError(f"a {self.role} key may not do this (needs a role with {capability!r}: "
                            f"{', '.join(r for r in ROLES if capability in CAPABILITIES[r])})",
                            field="authorization", details={"role": self.role, "needs": capability})
        return self

    def require_ambassador(self, name: str) -> Principal:
        """Field writes: an ambassador key only for its own ambassador (403 otherwise)."""
        self.require("field")
        if self.role == "ambassador" and str(name).strip() != self.ambassador:
            raise AuthError(f"this key belongs to {self.ambassador}: it may not write for {name!r}",
                            field="ambassador", details={"key_ambassador": self.ambassador})
        return self

    def to_dict(self) -> dict:
        return {"key_id": self.key_id, "name": self.name, "role": self.role, "ambassador": self.ambassador,
                "actor": self.actor, "capabilities": sorted(CAPABILITIES.get(self.role, ()))}


def parse_token(token: str) -> tuple[str, str]:
    """``(key id, secret)`` of a key text.

    Raises
    ------
    AuthError
        (401) When the text does not look like a key.
    """
    m = _TOKEN.match(token.strip())
    if not m:
        raise unauthenticated("the API key is malformed (expected patrol_<id>_<secret>)")
    return m.group(1), m.group(2)


def _digest(salt: bytes, token: str) -> bytes:
    return hashlib.sha256(salt + token.encode()).digest()


class KeyStore:
    """API keys in a small SQLite file (created on open).

    Parameters
    ----------
    path : str or Path
        The key file (``":memory:"`` for tests).
    cache_s : float
        Seconds a verified key is trusted before the file is read again.
    """

    def __init__(self, path: str | Path, *, cache_s: float = 5.0):
        self.path = str(path)
        self.cache_s = float(cache_s)
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, Principal]] = {}
        new = self.path != ":memory:" and not Path(self.path).exists()
        if new:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self._conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None, check_same_thread=False)
            if new:  # the key hashes are nobody else's business: 0600, before anything is written
                os.chmod(self.path, 0o600)
            self._conn.row_factory = sqlite3.Row
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=FULL")
            self._conn.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise RecordError(f"cannot open the key file {self.path}: {exc}", field="keys") from exc

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # ------------------------------------------------------------------ management
    def create(self, role: str, *, name: str, ambassador: str | None = None, created_by: str = "cli",
               known_ambassadors: list[str] | None = None) -> tuple[str, ApiKey]:
        """Create a key; return ``(key text, ApiKey)``.  The text is not stored and cannot be shown again.

        Raises
        ------
        InputError
            For an unknown role, an empty name, an ambassador key without its (known) ambassador, or
            an ambassador named for another role.
        """
        role = str(role).strip().lower()
        if role not in ROLES:
            raise InputError(f"role {role!r} is not one of: {', '.join(ROLES)}", field="role")
        name = str(name or "").strip()
        if not name or len(name) > 100:
            raise InputError("a key needs a name of 1-100 characters (who holds it)", field="name")
        amb = None if ambassador is None else str(ambassador).strip() or None
        if role == "ambassador":
            if amb is None:
                raise InputError("an ambassador key needs its ambassador name", field="ambassador")
            if known_ambassadors is not None and amb not in known_ambassadors:
                raise InputError(f"unknown ambassador {amb!r}; known: {', '.join(known_ambassadors)}",
                                 field="ambassador")
        elif amb is not None:
            raise InputError("only an ambassador key is bound to an ambassador", field="ambassador")
        kid = secrets.token_hex(4)
        token = f"patrol_{kid}_{secrets.token_urlsafe(32)}"
        salt = secrets.token_bytes(16)
        now = iso()
        with self._lock:
            self._conn.execute(
                "INSERT INTO api_keys(id, name, role, ambassador, salt, hash, created_at, created_by) "
                "VALUES (?,?,?,?,?,?,?,?)", (kid, name, role, amb, salt, _digest(salt, token), now, created_by))
        log.info("created %s key %s for %s", role, kid, name)
        return token, ApiKey(kid, name, role, amb, now, created_by)

    def revoke(self, key_id: str, *, by: str = "cli") -> ApiKey:
        """Revoke a key (it answers 401 from then on; at most ``cache_s`` later in other processes).

        Raises
        ------
        NotFoundError
            For an unknown key id.
        """
        with self._lock:
            cur = self._conn.execute("UPDATE api_keys SET revoked_at=?, revoked_by=? WHERE id=? AND revoked_at IS NULL",
                                     (iso(), by, str(key_id)))
            self._cache = {t: v for t, v in self._cache.items() if v[1].key_id != key_id}
        key = self.get(key_id)
        if not cur.rowcount:
            log.info("key %s was already revoked", key_id)
        return key

    def get(self, key_id: str) -> ApiKey:
        with self._lock:
            row = self._conn.execute("SELECT * FROM api_keys WHERE id=?", (str(key_id),)).fetchone()
        if row is None:
            raise NotFoundError(f"no API key {key_id!r}", field="key_id")
        return _key(row)

    def list(self) -> list[ApiKey]:
        with self._lock:
            rows = self._conn.execute("SELECT * FROM api_keys ORDER BY created_at, id").fetchall()
        return [_key(r) for r in rows]

    def count(self, role: str | None = None) -> int:
        sql, params = "SELECT count(*) FROM api_keys WHERE revoked_at IS NULL", []
        if role is not None:
            sql += " AND role=?"
            params.append(role)
        with self._lock:
            return int(self._conn.execute(sql, params).fetchone()[0])

    # ------------------------------------------------------------------ verification
    def verify(self, token: str | None) -> Principal:
        """The principal of a key text.

        Raises
        ------
        AuthError
            (401) When the key is missing, malformed, unknown or revoked.
        """
        if not token:
            raise unauthenticated("an API key is required (header 'Authorization: Bearer <key>' or 'X-API-Key')")
        now = time.monotonic()
        hit = self._cache.get(token)
        if hit is not None and now - hit[0] <= self.cache_s:
            return hit[1]
        kid, _ = parse_token(token)
        with self._lock:
            try:
                row = self._conn.execute("SELECT * FROM api_keys WHERE id=?", (kid,)).fetchone()
            except sqlite3.DatabaseError as exc:
                raise RecordUnavailableError(f"the key file cannot be read now: {exc}", field="keys") from exc
        if row is None or not hmac.compare_digest(_digest(row["salt"], token), row["hash"]):
            raise unauthenticated("the API key is not valid")
        if row["revoked_at"] is not None:
            raise unauthenticated(f"the API key {kid} was revoked at {row['revoked_at']}")
        principal = Principal(kid, row["name"], row["role"], row["ambassador"])
        if len(self._cache) > 10000:
            self._cache.clear()
        self._cache[token] = (now, principal)
        return principal


def _key(row: sqlite3.Row) -> ApiKey:
    return ApiKey(row["id"], row["name"], row["role"], row["ambassador"], row["created_at"], row["created_by"],
                  row["revoked_at"], row["revoked_by"])
