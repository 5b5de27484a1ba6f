"""The incident record's SQLite schema, versioned.

``MIGRATIONS[i]`` brings a database from version ``i`` to ``i + 1``; :func:`migrate` applies the
missing ones in one transaction each, records them in ``schema_version`` and sets
``PRAGMA user_version``.  A later issue adds a version by appending a script, never by editing one.
Documented table by table in ``docs/record-schema.md``.
"""

from __future__ import annotations

import logging
import sqlite3

from patrol.errors import RecordError

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "TABLES", "migrate"]

log = logging.getLogger(__name__)

_V1 = """
CREATE TABLE IF NOT EXISTS schema_version (
    version     INTEGER PRIMARY KEY,
    applied_at  TEXT NOT NULL
);

CREATE TABLE incidents (
    id            INTEGER PRIMARY KEY,
    received_at   TEXT NOT NULL,              -- when the call / report came in
    created_at    TEXT NOT NULL,              -- when it was entered in the record
    updated_at    TEXT NOT NULL,
    source        TEXT NOT NULL,              -- vocab.SOURCES
    type          TEXT NOT NULL,              -- vocab.INCIDENT_TYPES
    priority      TEXT NOT NULL,              -- vocab.PRIORITIES
    status        TEXT NOT NULL,              -- vocab.STATUSES
    location_text TEXT NOT NULL,
    matched       TEXT,
    lat           REAL,
    lon           REAL,
    block         INTEGER,
    offset_m      REAL,
    in_area       INTEGER,
    notes         TEXT NOT NULL DEFAULT '',
    created_by    TEXT NOT NULL
);
CREATE INDEX incidents_status ON incidents(status);
CREATE INDEX incidents_received ON incidents(received_at);

CREATE TABLE status_history (
    id           INTEGER PRIMARY KEY,
    incident_id  INTEGER NOT NULL REFERENCES incidents(id),
    at           TEXT NOT NULL,
    from_status  TEXT,
    to_status    TEXT NOT NULL,
    actor        TEXT NOT NULL,
    note         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX status_history_incident ON status_history(incident_id, id);

CREATE TABLE assignments (
    id             INTEGER PRIMARY KEY,
    incident_id    INTEGER NOT NULL REFERENCES incidents(id),
    ambassador     TEXT NOT NULL,             -- unit name (an ambassador, or a pair's name)
    members        TEXT NOT NULL,             -- JSON list of ambassador names
    assigned_at    TEXT NOT NULL,
    eta_min        REAL,
    distance_m     REAL,
    estimated      INTEGER,
    en_route_at    TEXT,
    arrived_at     TEXT,
    cleared_at     TEXT,
    cleared_reason TEXT,
    actor          TEXT NOT NULL
);
CREATE INDEX assignments_incident ON assignments(incident_id);
CREATE INDEX assignments_open ON assignments(cleared_at, ambassador);

CREATE TABLE outcomes (
    id           INTEGER PRIMARY KEY,
    incident_id  INTEGER NOT NULL REFERENCES incidents(id),
    kind         TEXT NOT NULL CHECK (kind IN ('outcome', 'action', 'referral')),
    value        TEXT NOT NULL,               -- vocab.OUTCOMES / ACTIONS / REFERRAL_TYPES
    at           TEXT NOT NULL,
    actor        TEXT NOT NULL,
    note         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX outcomes_incident ON outcomes(incident_id);

CREATE TABLE interactions (
    id             INTEGER PRIMARY KEY,
    at             TEXT NOT NULL,
    ambassador     TEXT NOT NULL,
    type           TEXT NOT NULL,             -- vocab.INTERACTION_TYPES
    referral_type  TEXT,                      -- vocab.REFERRAL_TYPES, for type 'referral'
    business       TEXT,
    incident_id    INTEGER REFERENCES incidents(id),
    lat            REAL,
    lon            REAL,
    block          INTEGER,
    offset_m       REAL,
    notes          TEXT NOT NULL DEFAULT '',
    actor          TEXT NOT NULL
);
CREATE INDEX interactions_at ON interactions(at);

CREATE TABLE pings (
    id           INTEGER PRIMARY KEY,
    ambassador   TEXT NOT NULL,
    t            TEXT NOT NULL,               -- the device's fix time
    lat          REAL NOT NULL,
    lon          REAL NOT NULL,
    accuracy_m   REAL,
    block        INTEGER,                     -- snapped onto the street network (NULL: not snapped)
    offset_m     REAL,
    received_at  TEXT NOT NULL,
    actor        TEXT NOT NULL
);
CREATE INDEX pings_ambassador_t ON pings(ambassador, t);
CREATE INDEX pings_t ON pings(t);

CREATE TABLE duty (
    id          INTEGER PRIMARY KEY,
    ambassador  TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('on shift', 'on break', 'busy', 'off duty')),
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    note        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX duty_ambassador_at ON duty(ambassador, at);

CREATE TABLE audit (
    id         INTEGER PRIMARY KEY,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    entity     TEXT NOT NULL,
    entity_id  INTEGER,
    data       TEXT NOT NULL DEFAULT '{}'     -- JSON: what changed
);
CREATE INDEX audit_entity ON audit(entity, entity_id);

CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
"""

_V1_TABLES = ("incidents", "status_history", "assignments", "outcomes", "interactions", "pings", "duty", "audit")

_NO_DELETE = "\n".join(
    f"CREATE TRIGGER {t}_no_delete BEFORE DELETE ON {t} "
    f"BEGIN SELECT RAISE(ABORT, 'nothing is deleted from the record ({t})'); END;"
    for t in _V1_TABLES if t != "audit"
)
#: Immutable history tables: rows are never updated either.
_NO_UPDATE = "\n".join(
    f"CREATE TRIGGER {t}_no_update BEFORE UPDATE ON {t} "
    f"BEGIN SELECT RAISE(ABORT, 'rows of {t} are never changed'); END;"
    for t in ("status_history", "outcomes", "interactions", "pings", "duty")
)

# Version 2 (issue 15): idempotency keys.  A create or change sent with a client key is stored with the key, a
# fingerprint of the request and the response answered, in the write's own transaction; a position fix may carry
# its own client key (unique per actor), so a re-uploaded fix is recognised and not stored twice.
_V2 = """
CREATE TABLE idempotency (
    actor        TEXT NOT NULL,               -- who wrote (the service: one API key); keys are per actor
    key          TEXT NOT NULL,               -- the client's key (Idempotency-Key header)
    fingerprint  TEXT NOT NULL,               -- sha256 of the request (method, path, body)
    at           TEXT NOT NULL,
    status       INTEGER NOT NULL,            -- the response answered: HTTP status
    response     TEXT NOT NULL,               -- and JSON body, answered again to a repeat
    PRIMARY KEY (actor, key)
) WITHOUT ROWID;
CREATE TRIGGER idempotency_no_delete BEFORE DELETE ON idempotency
BEGIN SELECT RAISE(ABORT, 'nothing is deleted from the record (idempotency)'); END;
CREATE TRIGGER idempotency_no_update BEFORE UPDATE ON idempotency
BEGIN SELECT RAISE(ABORT, 'rows of idempotency are never changed'); END;

ALTER TABLE pings ADD COLUMN client_key TEXT;  -- the phone's own id of the fix (NULL: none given)
CREATE UNIQUE INDEX pings_client_key ON pings(actor, client_key) WHERE client_key IS NOT NULL;
"""

#: Tables of the record (nothing is ever deleted from any of them).
TABLES: tuple[str, ...] = (*_V1_TABLES, "idempotency", "plan_versions")

#: Version 3 (issue 14): an assignment records when the unit accepted it (the field page's "accept").
_V3 = """
ALTER TABLE assignments ADD COLUMN accepted_at TEXT;
"""

#: Version 4 (issue 13): every version of a day's plan (the morning's, each re-plan), with who and why.
_V4 = """
CREATE TABLE plan_versions (
    id         INTEGER PRIMARY KEY,
    day        TEXT NOT NULL,                 -- the plan's date (ISO), else its day (tue)
    version    INTEGER NOT NULL,              -- 1 the morning's, then one more per re-plan
    made_at    TEXT NOT NULL,
    minute     REAL,                          -- a re-plan's minute (minutes after local midnight)
    actor      TEXT NOT NULL,
    why        TEXT NOT NULL DEFAULT '',
    path       TEXT NOT NULL DEFAULT '',      -- where the plan.json was written
    plan       TEXT NOT NULL,                 -- the plan.json content
    UNIQUE (day, version)
);
CREATE TRIGGER plan_versions_no_delete BEFORE DELETE ON plan_versions
BEGIN SELECT RAISE(ABORT, 'nothing is deleted from the record (plan_versions)'); END;
CREATE TRIGGER plan_versions_no_update BEFORE UPDATE ON plan_versions
BEGIN SELECT RAISE(ABORT, 'rows of plan_versions are never changed'); END;
"""

#: Version 5 (issue 19): ambassadors' safety and messages.  ``alerts``: SOS presses and the overdue alerts the
#: service finds from the record and its clock (an on-scene check-in unanswered, no ping), each recorded once
#: (an overdue alert by its ``basis``); their facts are never changed, only stamped once when acknowledged and
#: when closed.  ``alert_actions``: what the desk did (backup sent, 911 called, a note).  ``safety_checks``: an
#: ambassador's "I'm OK".  ``messages`` and ``message_recipients``: the desk's messages to phones, the recipients
#: chosen when sent, each acknowledged once.  See ``docs/record-schema.md`` and :mod:`patrol.dispatch.alerts`.
_V5 = """
CREATE TABLE alerts (
    id               INTEGER PRIMARY KEY,
    kind             TEXT NOT NULL CHECK (kind IN ('sos', 'check-in overdue', 'no ping')),
    unit             TEXT NOT NULL,             -- the unit (an ambassador, or a pair's name)
    ambassador       TEXT NOT NULL,             -- who pressed SOS; the unit for an overdue alert
    raised_at        TEXT NOT NULL,             -- SOS: when pressed; overdue: when it fell due
    recorded_at      TEXT NOT NULL,             -- when the record learnt it
    basis            TEXT,                      -- what an overdue alert is about (recorded once); NULL for SOS
    incident_id      INTEGER REFERENCES incidents(id),  -- the incident it concerns; SOS: the one opened for it
    lat              REAL,                      -- the last position known
    lon              REAL,
    block            INTEGER,
    offset_m         REAL,
    position_at      TEXT,                      -- the time of that position
    position_source  TEXT,                      -- phone fix, ping, plan, on scene ...
    detail           TEXT NOT NULL DEFAULT '{}',  -- JSON: what else is known (last activity, note ...)
    acknowledged_at  TEXT,
    acknowledged_by  TEXT,
    closed_at        TEXT,
    closed_by        TEXT,
    actor            TEXT NOT NULL
);
CREATE UNIQUE INDEX alerts_basis ON alerts(kind, basis) WHERE basis IS NOT NULL;
CREATE INDEX alerts_raised ON alerts(raised_at);
CREATE INDEX alerts_open ON alerts(closed_at);
CREATE TRIGGER alerts_no_delete BEFORE DELETE ON alerts
BEGIN SELECT RAISE(ABORT, 'nothing is deleted from the record (alerts)'); END;
CREATE TRIGGER alerts_facts_fixed BEFORE UPDATE OF id, kind, unit, ambassador, raised_at, recorded_at, basis, lat, lon,
    block, offset_m, position_at, position_source, detail, actor ON alerts
BEGIN SELECT RAISE(ABORT, 'the facts of an alert are never changed'); END;
CREATE TRIGGER alerts_stamped_once BEFORE UPDATE ON alerts
WHEN (OLD.acknowledged_at IS NOT NULL AND NEW.acknowledged_at IS NOT OLD.acknowledged_at)
  OR (OLD.closed_at IS NOT NULL AND NEW.closed_at IS NOT OLD.closed_at)
  OR (OLD.incident_id IS NOT NULL AND NEW.incident_id IS NOT OLD.incident_id)
BEGIN SELECT RAISE(ABORT, 'an alert is acknowledged, closed and linked to an incident once'); END;

CREATE TABLE alert_actions (
    id           INTEGER PRIMARY KEY,
    alert_id     INTEGER NOT NULL REFERENCES alerts(id),
    action       TEXT NOT NULL CHECK (action IN ('backup sent', '911 called', 'note')),
    at           TEXT NOT NULL,
    unit         TEXT,                          -- backup sent: the unit sent
    incident_id  INTEGER REFERENCES incidents(id),
    note         TEXT NOT NULL DEFAULT '',
    actor        TEXT NOT NULL
);
CREATE INDEX alert_actions_alert ON alert_actions(alert_id, id);

CREATE TABLE safety_checks (
    id           INTEGER PRIMARY KEY,
    unit         TEXT NOT NULL,
    ambassador   TEXT NOT NULL,
    incident_id  INTEGER REFERENCES incidents(id),  -- the incident on scene, when there is one
    at           TEXT NOT NULL,                 -- when the ambassador answered "I'm OK"
    lat          REAL,
    lon          REAL,
    actor        TEXT NOT NULL
);
CREATE INDEX safety_checks_unit_at ON safety_checks(unit, at);

CREATE TABLE messages (
    id             INTEGER PRIMARY KEY,
    at             TEXT NOT NULL,
    text           TEXT NOT NULL,
    audience       TEXT NOT NULL CHECK (audience IN ('one', 'all on duty', 'near')),
    target         TEXT,                        -- one: the ambassador or unit named
    location_text  TEXT,                        -- near: the point, as typed
    lat            REAL,
    lon            REAL,
    block          INTEGER,
    offset_m       REAL,
    radius_m       REAL,                        -- near: walking distance from the point
    actor          TEXT NOT NULL
);
CREATE INDEX messages_at ON messages(at);

CREATE TABLE message_recipients (
    message_id       INTEGER NOT NULL REFERENCES messages(id),
    ambassador       TEXT NOT NULL,
    unit             TEXT NOT NULL,
    distance_m       REAL,                      -- near: walking distance from the point when sent
    acknowledged_at  TEXT,
    acknowledged_by  TEXT,
    PRIMARY KEY (message_id, ambassador)
);
CREATE INDEX message_recipients_ambassador ON message_recipients(ambassador, acknowledged_at);
CREATE TRIGGER message_recipients_fixed BEFORE UPDATE OF message_id, ambassador, unit, distance_m ON message_recipients
BEGIN SELECT RAISE(ABORT, 'the recipients of a message are never changed'); END;
CREATE TRIGGER message_recipients_ack_once BEFORE UPDATE ON message_recipients
WHEN OLD.acknowledged_at IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'a message is acknowledged once'); END;
""" + "\n".join(
    f"CREATE TRIGGER {t}_no_delete BEFORE DELETE ON {t} "
    f"BEGIN SELECT RAISE(ABORT, 'nothing is deleted from the record ({t})'); END;"
    for t in ("alert_actions", "safety_checks", "messages", "message_recipients")
) + "\n" + "\n".join(
    f"CREATE TRIGGER {t}_no_update BEFORE UPDATE ON {t} "
    f"BEGIN SELECT RAISE(ABORT, 'rows of {t} are never changed'); END;"
    for t in ("alert_actions", "safety_checks", "messages")
)
#: Tables of version 5.
_V5_TABLES = ("alerts", "alert_actions", "safety_checks", "messages", "message_recipients")
TABLES = (*TABLES, *_V5_TABLES)

# Version 6, issue 17 (one self-contained script): special events, safety escorts, camera edits and written materials.
# Events and camera edits are kept per district (``district``: the district's name).  Nothing is deleted: an
# event is removed by stamping ``removed_at`` once (its other columns never change); a camera edit is a new
# row (``set`` with the camera's fields, or ``remove``) over the district's ``cameras.toml``; an escort moves
# along its own life cycle (``requested`` -> ``assigned`` -> ``under way`` -> ``done``, or ``cancelled``); a
# handout is one written material given with a logged interaction.  An incident may name the camera it was
# seen on.
_V6_ISSUE17 = """
CREATE TABLE events (
    id            INTEGER PRIMARY KEY,
    district      TEXT NOT NULL,              -- the district's name
    name          TEXT NOT NULL,
    place         TEXT,                       -- what the geocoder resolves (NULL: the blocks were listed)
    blocks        TEXT NOT NULL,              -- JSON list of block ids (resolved when added)
    radius_m      REAL NOT NULL DEFAULT 0,    -- blocks within this walk of the place belong to the event
    start_at      TEXT NOT NULL,
    end_at        TEXT NOT NULL,
    crowd         INTEGER,                    -- expected people
    info          TEXT NOT NULL DEFAULT '',   -- what to tell people
    ambassadors   INTEGER NOT NULL DEFAULT 1 CHECK (ambassadors >= 1),
    presence      TEXT NOT NULL DEFAULT 'dwell' CHECK (presence IN ('dwell', 'loop')),
    before_min    REAL NOT NULL DEFAULT 0,    -- set-up: presence starts this long before start_at
    after_min     REAL NOT NULL DEFAULT 0,    -- dispersal: and ends this long after end_at
    created_at    TEXT NOT NULL,
    created_by    TEXT NOT NULL,
    removed_at    TEXT,
    removed_by    TEXT
);
CREATE INDEX events_window ON events(district, start_at, end_at);
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'nothing is deleted from the record (events): remove an event instead'); END;
CREATE TRIGGER events_frozen BEFORE UPDATE OF id, district, name, place, blocks, radius_m, start_at, end_at, crowd,
    info, ambassadors, presence, before_min, after_min, created_at, created_by ON events
BEGIN SELECT RAISE(ABORT, 'an event is never changed: remove it and add another'); END;
CREATE TRIGGER events_removed_once BEFORE UPDATE OF removed_at, removed_by ON events WHEN OLD.removed_at IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'the event was already removed'); END;

CREATE TABLE escorts (
    id             INTEGER PRIMARY KEY,
    requested_at   TEXT NOT NULL,             -- when the request came in
    wanted_at      TEXT NOT NULL,             -- when the person(s) want to set off from A
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    source         TEXT NOT NULL,             -- vocab.SOURCES (walk-up, phone, patrol ...)
    status         TEXT NOT NULL CHECK (status IN ('requested', 'assigned', 'under way', 'done', 'cancelled')),
    people         INTEGER NOT NULL DEFAULT 1 CHECK (people >= 1),
    from_text      TEXT NOT NULL,
    from_matched   TEXT,
    from_lat       REAL NOT NULL,
    from_lon       REAL NOT NULL,
    from_block     INTEGER NOT NULL,
    from_offset_m  REAL NOT NULL,
    to_text        TEXT NOT NULL,
    to_matched     TEXT,
    to_lat         REAL NOT NULL,
    to_lon         REAL NOT NULL,
    to_block       INTEGER NOT NULL,
    to_offset_m    REAL NOT NULL,
    distance_m     REAL NOT NULL,             -- the walk from A to B along the streets
    duration_min   REAL NOT NULL,             -- expected: distance_m at speeds.patrol_m_s
    notes          TEXT NOT NULL DEFAULT '',
    unit           TEXT,                      -- the unit sent
    members        TEXT,                      -- JSON list of its ambassadors
    assigned_at    TEXT,
    depart_at      TEXT,                      -- when the unit sets off to A (wanted_at - its walk, >= assigned_at)
    eta_min        REAL,                      -- its walk to A, minutes, at the assignment
    travel_m       REAL,
    accepted_at    TEXT,
    en_route_at    TEXT,
    started_at     TEXT,                      -- walking with the person(s) from A
    ended_at       TEXT,                      -- done (at B, or ended early) or cancelled
    outcome        TEXT,
    created_by     TEXT NOT NULL
);
CREATE INDEX escorts_status ON escorts(status);
CREATE INDEX escorts_unit ON escorts(unit, depart_at);
CREATE TRIGGER escorts_no_delete BEFORE DELETE ON escorts
BEGIN SELECT RAISE(ABORT, 'nothing is deleted from the record (escorts)'); END;

CREATE TABLE camera_edits (
    id         INTEGER PRIMARY KEY,
    district   TEXT NOT NULL,
    camera_id  TEXT NOT NULL,
    action     TEXT NOT NULL CHECK (action IN ('set', 'remove')),
    data       TEXT NOT NULL DEFAULT '{}',    -- JSON: the camera's fields (action 'set')
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL
);
CREATE INDEX camera_edits_camera ON camera_edits(district, camera_id, id);
CREATE TRIGGER camera_edits_no_delete BEFORE DELETE ON camera_edits
BEGIN SELECT RAISE(ABORT, 'nothing is deleted from the record (camera_edits)'); END;
CREATE TRIGGER camera_edits_no_update BEFORE UPDATE ON camera_edits
BEGIN SELECT RAISE(ABORT, 'rows of camera_edits are never changed'); END;

CREATE TABLE handouts (
    id              INTEGER PRIMARY KEY,
    interaction_id  INTEGER NOT NULL REFERENCES interactions(id),
    at              TEXT NOT NULL,
    ambassador      TEXT NOT NULL,
    material        TEXT NOT NULL,            -- the id in the district's materials.toml
    kind            TEXT NOT NULL,            -- its kind then (shelter, food, event flyer ...)
    count           INTEGER NOT NULL DEFAULT 1 CHECK (count >= 1),
    actor           TEXT NOT NULL
);
CREATE INDEX handouts_at ON handouts(at);
CREATE TRIGGER handouts_no_delete BEFORE DELETE ON handouts
BEGIN SELECT RAISE(ABORT, 'nothing is deleted from the record (handouts)'); END;
CREATE TRIGGER handouts_no_update BEFORE UPDATE ON handouts
BEGIN SELECT RAISE(ABORT, 'rows of handouts are never changed'); END;

ALTER TABLE incidents ADD COLUMN camera_id TEXT;  -- the camera the incident was seen on (NULL: none)
"""
#: Tables added by :data:`_V6_ISSUE17`.
_V6_TABLES = ("events", "escorts", "camera_edits", "handouts")

TABLES = (*TABLES, *_V6_TABLES)

#: Version 7 (issue 18, after issue 17's version 6): several districts, one record (``patrol serve --program``).
#: ``incidents.district``: the program's name of the district the incident belongs to (its point,
#: ``block``/``offset_m``, is on that district's streets); NULL in a one-district record.  ``plan_versions`` is
#: rebuilt with a ``district`` column ('' in a one-district record) so that each district keeps its own versions of
#: the same day: SQLite cannot change the table's ``UNIQUE (day, version)``, so the rows are copied into a table
#: keyed ``UNIQUE (district, day, version)`` (ids kept) and its triggers made again.  Pings, duty, interactions and
#: alerts name an ambassador or unit, whose district the program's rosters say (names are unique across a program).
_V7 = """
ALTER TABLE incidents ADD COLUMN district TEXT;
CREATE INDEX incidents_district ON incidents(district, received_at);

CREATE TABLE plan_versions_v7 (
    id         INTEGER PRIMARY KEY,
    district   TEXT NOT NULL DEFAULT '',      -- the program's name of the district ('' in a one-district record)
    day        TEXT NOT NULL,
    version    INTEGER NOT NULL,
    made_at    TEXT NOT NULL,
    minute     REAL,
    actor      TEXT NOT NULL,
    why        TEXT NOT NULL DEFAULT '',
    path       TEXT NOT NULL DEFAULT '',
    plan       TEXT NOT NULL,
    UNIQUE (district, day, version)
);
INSERT INTO plan_versions_v7(id, district, day, version, made_at, minute, actor, why, path, plan)
    SELECT id, '', day, version, made_at, minute, actor, why, path, plan FROM plan_versions ORDER BY id;
DROP TABLE plan_versions;
ALTER TABLE plan_versions_v7 RENAME TO plan_versions;
CREATE TRIGGER plan_versions_no_delete BEFORE DELETE ON plan_versions
BEGIN SELECT RAISE(ABORT, 'nothing is deleted from the record (plan_versions)'); END;
CREATE TRIGGER plan_versions_no_update BEFORE UPDATE ON plan_versions
BEGIN SELECT RAISE(ABORT, 'rows of plan_versions are never changed'); END;
"""

#: Version 8 (issue 15): the open incidents, newest first, from an index of their own.  The console polls them
#: every few seconds; with thousands of incidents in the record SQLite found the open ones by status and sorted
#: them (25 ms a poll at 5,000 open).  A partial index (SQLite 3.8+) holds only the open ones, in the order the
#: list is read; :meth:`patrol.dispatch.record.Record.list_incidents` writes the same condition as the index (the
#: statuses of :data:`patrol.dispatch.lifecycle.OPEN_STATUSES`, as literals) so that SQLite can use it.
_V8 = """
CREATE INDEX incidents_open ON incidents(received_at, id)
    WHERE status IN ('assigned', 'en route', 'new', 'on scene');
"""

#: ``MIGRATIONS[i]`` upgrades version ``i`` to ``i + 1``.
MIGRATIONS: tuple[str, ...] = (_V1 + _NO_DELETE + "\n" + _NO_UPDATE, _V2, _V3, _V4, _V5, _V6_ISSUE17, _V7, _V8)
#: The version this code writes.
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(conn: sqlite3.Connection, now: str) -> int:
    """Bring the database to :data:`SCHEMA_VERSION`; return the version found before.

    Raises
    ------
    RecordError
        When the file was written by a newer version of ``patrol``.
    """
    found = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if found > SCHEMA_VERSION:
        raise RecordError(f"the record has schema version {found}, newer than this patrol ({SCHEMA_VERSION})",
                          field="schema_version")
    for v in range(found, SCHEMA_VERSION):
        conn.execute("BEGIN IMMEDIATE")
        try:
            current = int(conn.execute("PRAGMA user_version").fetchone()[0])
            if current > v:  # another process migrated meanwhile
                conn.execute("ROLLBACK")
                continue
            for stmt in _statements(MIGRATIONS[v]):
                conn.execute(stmt)
            conn.execute("INSERT INTO schema_version(version, applied_at) VALUES (?, ?)", (v + 1, now))
            conn.execute(f"PRAGMA user_version = {v + 1}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        log.info("record schema migrated to version %d", v + 1)
    return found


def _statements(script: str) -> list[str]:
    """Split a script into statements (``sqlite3.complete_statement`` keeps triggers whole)."""
    out, buf = [], ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip())
    return out
