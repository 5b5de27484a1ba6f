"""The service's parts in process: config, API keys, roles, the plan endpoint, the ``patrol keys`` CLI."""

from __future__ import annotations

import json
import sqlite3
import warnings

import pytest

from patrol.cli import main
from patrol.errors import AuthError, ConfigError, InputError, NotFoundError
from patrol.service.auth import KeyStore, Principal, parse_token
from patrol.service.config import ENV_VAR, ServiceConfig, keys_path_for


def test_config_defaults_validation_and_env_round_trip():
    cfg = ServiceConfig(db_path="/tmp/x/r.db")
    assert cfg.host == "127.0.0.1" and cfg.resolved_keys_path == "/tmp/x/r.db.keys"
    assert ServiceConfig(db_path=":memory:").resolved_keys_path == ":memory:"
    assert str(keys_path_for("a/b.db")) == "a/b.db.keys"
    for bad in ({"port": 70000}, {"workers": 0}, {"max_body_bytes": 10}, {"default_page_size": 600},
                {"max_page_size": 0}):
        with pytest.raises(ConfigError):
            ServiceConfig(**bad)
    env = {ENV_VAR: cfg.with_(port=9000).to_env()}
    assert ServiceConfig.from_env(env) == cfg.with_(port=9000)
    with pytest.raises(ConfigError):
        ServiceConfig.from_env({})
    with pytest.raises(ConfigError):
        ServiceConfig.from_env({ENV_VAR: json.dumps({"db_path": "x", "colour": "red"})})


def test_keys_are_stored_hashed_verified_and_revoked(tmp_path):
    path = tmp_path / "k.keys"
    store = KeyStore(path, cache_s=0)
    token, key = store.create("dispatcher", name="maya")
    kid, secret = parse_token(token)
    assert kid == key.id and len(secret) >= 40
    p = store.verify(token)
    assert p == Principal(key.id, "maya", "dispatcher") and p.actor == f"key:{key.id}:dispatcher:maya"
    raw = sqlite3.connect(path).execute("SELECT * FROM api_keys").fetchall()
    assert token not in repr(raw) and secret not in repr(raw)  # only the salted hash is stored
    for bad in (None, "", "patrol_zz_x", token[:-1] + ("A" if token[-1] != "A" else "B"), f"patrol_{kid}_" + "x" * 43):
        with pytest.raises(AuthError) as exc:
            store.verify(bad)
        assert exc.value.http_status == 401
    store.revoke(key.id, by="test")
    with pytest.raises(AuthError, match="revoked"):
        store.verify(token)
    with pytest.raises(NotFoundError):
        store.revoke("00000000")
    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(path).execute("DELETE FROM api_keys")
    assert [k.revoked_by for k in store.list()] == ["test"]
    store.close()


def test_key_creation_rules_and_roles(tmp_path):
    store = KeyStore(tmp_path / "k.keys")
    with pytest.raises(InputError, match="role"):
        store.create("root", name="x")
    with pytest.raises(InputError, match="name"):
        store.create("viewer", name=" ")
    with pytest.raises(InputError, match="ambassador"):
        store.create("ambassador", name="phone")
    with pytest.raises(InputError, match="unknown ambassador"):
        store.create("ambassador", name="phone", ambassador="amb9", known_ambassadors=["amb2"])
    with pytest.raises(InputError, match="only an ambassador key"):
        store.create("viewer", name="v", ambassador="amb2")
    _, k = store.create("ambassador", name="phone", ambassador="amb2", known_ambassadors=["amb2"])
    amb = Principal(k.id, "phone", "ambassador", "amb2")
    assert amb.require_ambassador("amb2") is amb
    with pytest.raises(AuthError) as exc:
        amb.require_ambassador("amb3")
    assert exc.value.http_status == 403 and exc.value.field == "ambassador"
    with pytest.raises(AuthError):
        amb.require("read")
    viewer = Principal("a" * 8, "v", "viewer")
    assert viewer.can("read") and not viewer.can("dispatch")
    with pytest.raises(AuthError):
        viewer.require_ambassador("amb2")
    disp = Principal("b" * 8, "d", "dispatcher")
    assert disp.require_ambassador("amb7") is disp and not disp.can("keys")
    assert Principal("c" * 8, "a", "admin").can("keys")
    store.close()


def test_plan_endpoint_serves_the_plan_given_at_startup(tmp_path, uptown):
    from patrol.service.app import create_app

    with warnings.catch_warnings():  # starlette's TestClient warns about httpx at import
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    plan = tmp_path / "plan.json"
    legs = [{"t0": 600, "t1": 1080, "block": 4, "off0": 0.0, "off1": 0.0, "activity": "post", "ref": ""}]
    plan.write_text(json.dumps({"date": "2026-06-02", "district": uptown.name,
                                "district_fingerprint": uptown.fingerprint, "district_source": "embedded",
                                "timeline": {"amb2": legs}}))
    app = create_app(ServiceConfig(db_path=str(tmp_path / "r.db"), plan_path=str(plan)))
    store = app.state.patrol.keys
    viewer, _ = store.create("viewer", name="v")
    amb, _ = store.create("ambassador", name="p", ambassador="amb2")
    with TestClient(app) as client:
        r = client.get("/api/plan", headers={"X-API-Key": viewer})
        assert r.status_code == 200 and r.json()["timeline"]["amb2"][0]["block"] == 4
        assert client.get("/api/plan", headers={"X-API-Key": amb}).status_code == 403
        assert client.get("/api/plan").status_code == 401
        assert client.get("/api/health").json()["status"] == "ok"
        units = client.get("/api/vocab", headers={"X-API-Key": viewer}).json()["units"]
        assert [u["name"] for u in units][:2] == ["lead", "amb2"]


def test_keys_cli(tmp_path, capsys):
    db = str(tmp_path / "r.db")
    assert main(["keys", "create", "--role", "admin", "--name", "boss", "--db", db]) == 0
    token = capsys.readouterr().out.strip()
    assert token.startswith("patrol_")
    assert main(["keys", "create", "--role", "ambassador", "--name", "p", "--ambassador", "amb9", "--db", db,
                 "--json"]) == 2
    assert json.loads(capsys.readouterr().out)["error"]["field"] == "ambassador"
    assert main(["keys", "list", "--db", db, "--json"]) == 0
    [key] = json.loads(capsys.readouterr().out)
    assert key["role"] == "admin" and "hash" not in key
    assert main(["keys", "revoke", key["id"], "--db", db]) == 0
    store = KeyStore(keys_path_for(db))
    with pytest.raises(AuthError):
        store.verify(token)
    store.close()
