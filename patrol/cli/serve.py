"""``patrol serve`` (the HTTP service and console) and ``patrol keys`` (its API keys).

``patrol serve`` listens on 127.0.0.1 by default; ``--host 0.0.0.0`` exposes it to the network (put
it behind TLS then).  ``patrol keys create --role admin --name NAME`` makes the first admin key,
printed once; further keys can be made from the API with it.

``patrol serve --program DIR [--plans PLANS]`` serves every district of a program (:mod:`patrol.program`) from
one console and one record (default: the program's ``shared.record``); ``PLANS`` is the folder
``patrol plan --program`` wrote (``PLANS/<district>/plan.json``).  ``patrol keys ... --program DIR`` keeps the keys
of that record and knows every district's ambassadors.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from patrol.cli._common import add_district_arg, print_json
from patrol.cli.program import program_arg
from patrol.errors import InputError

__all__ = ["register"]

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="run the dispatch HTTP service and the dispatcher's console")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    _add_db(p)
    p.add_argument("--plan", metavar="PLAN.json", help="today's plan (served at /api/plan; positions when pings are "
                                                       "stale)")
    p.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    p.add_argument("--max-body-bytes", type=int, default=64 * 1024, help="largest request body (default 65536)")
    p.add_argument("--max-page-size", type=int, default=500, help="largest page of a list (default 500)")
    p.add_argument("--field-poll-s", type=float, default=5.0,
                   help="how often the ambassadors' phone page asks for news, seconds (default 5)")
    p.add_argument("--field-ping-s", type=float, default=30.0,
                   help="how often the phone page sends its position while on duty, seconds (default 30)")
    p.add_argument("--clock-start", metavar="TIME", help="tests and benchmarks: the service's clock reads this "
                                                         "ISO-8601 time now and runs on from it (default: real time)")
    add_district_arg(p)
    p.add_argument("--program", type=program_arg, metavar="DIR",
                   help="serve every district of a program (program.toml) from one console and one record")
    p.add_argument("--plans", metavar="DIR", help="with --program: the day's plans, DIR/<district>/plan.json (what "
                                                  "`patrol plan --program` writes)")
    p.set_defaults(func=_serve)

    k = sub.add_parser("keys", help="API keys of the service: create (the first admin key), list, revoke")
    ksub = k.add_subparsers(dest="keys_command", metavar="VERB", required=True)
    c = ksub.add_parser("create", help="create a key and print it (once: only its hash is stored)")
    c.add_argument("--role", required=True, choices=["admin", "dispatcher", "viewer", "ambassador"])
    c.add_argument("--name", required=True, help="who holds the key")
    c.add_argument("--ambassador", help="the ambassador an ambassador key writes for")
    _add_key_common(c)
    c.set_defaults(func=_create)
    ls = ksub.add_parser("list", help="list keys (without secrets)")
    _add_key_common(ls)
    ls.set_defaults(func=_list)
    rv = ksub.add_parser("revoke", help="revoke a key by its id")
    rv.add_argument("key_id")
    _add_key_common(rv)
    rv.set_defaults(func=_revoke)


def _add_db(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", metavar="PATH", help="the incident record (default: the district's dispatch.db); "
                                                "keys live beside it in PATH.keys")


def _add_key_common(p: argparse.ArgumentParser) -> None:
    _add_db(p)
    p.add_argument("--keys", metavar="PATH", help="the key file (default: <db>.keys)")
    add_district_arg(p)
    p.add_argument("--program", type=program_arg, metavar="DIR",
                   help="a program's record and its districts' ambassadors (default record: the program's)")
    p.add_argument("--json", action="store_true", help="print JSON")


def _program(args):
    """The program of ``--program`` (``None`` without it); refuses ``--district`` beside it."""
    if not getattr(args, "program", None):
        return None
    if args.district:
        raise InputError("give --program or --district, not both (a program lists its districts)", field="district")
    from patrol.program import load_program

    return load_program(args.program)


def _db(args, district=None, program=None) -> str:
    if args.db:
        return args.db
    if program is not None:
        return str(program.record_path)
    if district is None:
        from patrol.district import load_district

        district = load_district(getattr(args, "district", None))
    return str(district.settings.dispatch.db)


def _config(args, program=None):
    from patrol.dispatch.clock import OffsetClock, parse_time
    from patrol.service.config import ServiceConfig

    offset = 0.0
    if args.clock_start:
        offset = OffsetClock.starting_at(parse_time(args.clock_start, field="--clock-start")).offset_s
    if program is None and args.plans:
        raise InputError("--plans is for a program's districts (--program DIR); one district's plan is --plan",
                         field="plans")
    if program is not None and args.plan:
        raise InputError("--plan is one district's plan: with --program give --plans DIR (DIR/<district>/plan.json)",
                         field="plan")
    return ServiceConfig(db_path=_db(args, program=program), district_path=args.district, plan_path=args.plan,
                         program_path=None if program is None else str(program.folder), plans_dir=args.plans,
                         host=args.host,
                         port=args.port, workers=args.workers, max_body_bytes=args.max_body_bytes,
                         max_page_size=args.max_page_size, field_poll_s=args.field_poll_s,
                         field_ping_s=args.field_ping_s, clock_offset_s=offset)


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from patrol.service.config import ENV_VAR

    program = _program(args)
    config = _config(args, program)
    opts = {"host": config.host, "port": config.port, "log_level": "warning", "access_log": False}
    url = f"http://{config.host}:{config.port}"
    banner = f"patrol: serving on {url}/console (dispatchers) and {url}/field (ambassadors' phones), " \
             f"record {config.db_path}"
    if program is not None:
        banner += f", program {program.name!r}: {', '.join(program.names)}"
    if config.workers > 1:
        # fail here, with the CLI's error message, rather than in every worker
        if program is not None:
            from patrol.service.program import build_program_state

            st = build_program_state(config)
            factory = "patrol.service.program:program_app_from_env"
        else:
            from patrol.service.app import build_state

            st = build_state(config)
            factory = "patrol.service.app:app_from_env"
        st.record.close()
        st.keys.close()
        os.environ[ENV_VAR] = config.to_env()
        print(banner + f", {config.workers} workers", file=sys.stderr, flush=True)
        uvicorn.run(factory, factory=True, workers=config.workers, **opts)
    else:
        if program is not None:
            from patrol.service.program import create_program_app

            app = create_program_app(config)
        else:
            from patrol.service.app import create_app

            app = create_app(config)
        print(banner, file=sys.stderr, flush=True)
        uvicorn.run(app, **opts)
    return 0


def _store(args, *, must_exist: bool = False):
    from pathlib import Path

    from patrol.errors import RecordError
    from patrol.service.auth import KeyStore
    from patrol.service.config import keys_path_for

    path = Path(args.keys or keys_path_for(args.db or _db(args, program=_program(args))))
    if must_exist and not path.is_file():
        raise RecordError(f"no key file at {path}: it was expected there (give --db PATH or --keys PATH; "
                          "`patrol keys create` makes it)", field="keys")
    return KeyStore(path)


def _create(args: argparse.Namespace) -> int:
    from patrol.district import load_district

    program = _program(args)
    if program is not None:
        if not args.db:
            args.db = str(program.record_path)
        names = sorted(program.ambassadors)
    else:
        district = load_district(args.district)
        if not args.db:
            args.db = _db(args, district)
        names = sorted(set(district.settings.roster.ambassador_names()))
    store = _store(args)
    try:
        token, key = store.create(args.role, name=args.name, ambassador=args.ambassador,
                                  created_by=_cli_actor(), known_ambassadors=names)
    finally:
        store.close()
    if args.json:
        print_json({"key": token, **key.to_dict()})
    else:
        print(token)
        print(f"patrol: {key.role} key {key.id} for {key.name} (shown once: store it now)", file=sys.stderr)
        if key.role == "ambassador":
            print(f"patrol: on {key.ambassador}'s phone open <service address>/field#key={token} "
                  "(the page keeps the key and takes it out of the address)", file=sys.stderr)
    return 0


def _list(args: argparse.Namespace) -> int:
    store = _store(args, must_exist=True)
    try:
        keys = store.list()
    finally:
        store.close()
    if args.json:
        print_json([k.to_dict() for k in keys])
        return 0
    for k in keys:
        state = f"revoked {k.revoked_at}" if k.revoked_at else "active"
        amb = f" ({k.ambassador})" if k.ambassador else ""
        print(f"{k.id}  {k.role:<10} {k.name}{amb}  created {k.created_at} by {k.created_by}  {state}")
    return 0


def _revoke(args: argparse.Namespace) -> int:
    store = _store(args, must_exist=True)
    try:
        key = store.revoke(args.key_id, by=_cli_actor())
    finally:
        store.close()
    if args.json:
        print_json(key.to_dict())
    else:
        print(f"revoked {key.id} ({key.role}, {key.name})")
    return 0


def _cli_actor() -> str:
    from patrol.dispatch.rows import default_actor

    return default_actor()
