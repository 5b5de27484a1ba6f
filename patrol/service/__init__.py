"""The HTTP service (``patrol serve``): a thin shell over :mod:`patrol.dispatch`, with a console and a phone page.

Modules
-------
config    ServiceConfig: the one settings object handed to the app factory
auth      API keys (salted hashes in a key file), roles, the actor written to the audit trail
deps      the service state the routers close over; the caller's key checked against a role
schemas   request / response bodies with the field constraints
handlers  the shared error body for every 4xx/5xx (the key checked first), the request body size limit
security  security headers on every answer (CSP without inline script, framing, sniffing, caching)
idempotent the Idempotency-Key header on every create or change
incidents incident endpoints (create with ranking, assign, status, outcomes, list, show)
field     ambassadors: duty, positions, pings (each fix judged alone), interactions, check-ins; the phone page's
          day, assignments, backup
today     an ambassador's day from plan.json in plain words (tasks, check-ins), the plan file's version
batcher   the writes of requests in flight made in one thread hop and one transaction; single pings grouped per key
admin     key management endpoints
events    special events: list (any key), add, remove
escorts   safety escorts: the dispatcher's (request with the ranking at A, assign, steps, finish, cancel), the phone's
cameras   the camera registry, edits kept in the record, incidents seen on a camera
materials the district's services and written materials
console   the dispatcher's console page (static/), Leaflet, the street network as GeoJSON
field_page the ambassador's phone page (/field): shell, service worker, manifest
app       create_app(config): the FastAPI app
process   run ``patrol serve`` in a child process (tests, load script)
"""

from patrol.service.app import create_app
from patrol.service.auth import ROLES, KeyStore, Principal
from patrol.service.config import ServiceConfig

__all__ = ["ROLES", "KeyStore", "Principal", "ServiceConfig", "create_app"]
