"""Fuzz every endpoint of the real service from its OpenAPI document (schemathesis): no input gets a 5xx.

A ``patrol serve`` process on loopback with an admin key (every endpoint open to it); schemathesis
generates valid and invalid requests (bounded, derandomized examples per operation) and the test fails
on any 5xx answer.  Issue 15, Tests.
"""

from __future__ import annotations

import httpx
import pytest

schemathesis = pytest.importorskip("schemathesis")

import requests  # noqa: E402  (schemathesis' transport)
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402  (after the importorskip)
from hypothesis.errors import Unsatisfiable  # noqa: E402
from schemathesis.config import SchemathesisConfig  # noqa: E402
from schemathesis.generation import GenerationMode  # noqa: E402

from patrol.service.process import ServiceProcess, create_key  # noqa: E402

pytestmark = pytest.mark.slow

EXAMPLES = 20  # per operation and generation mode: bounded


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory):
    d = tmp_path_factory.mktemp("fuzz")
    db = d / "record.db"
    key = create_key(db, "admin", "fuzzer")
    with ServiceProcess(db, log_path=d / "server.log") as srv:
        with srv.client(key) as c:  # ids 1 and 2 exist
            for place in ("Lake & Hennepin", "Lake & Girard"):
                c.post("/api/incidents", json={"location": place, "type": "other"}).raise_for_status()
        yield srv, key, d / "server.log"


@pytest.fixture(scope="module")
def fuzz_schema(fuzz_server):
    srv, key, _ = fuzz_server
    doc = httpx.get(srv.url + "/api/openapi.json", headers={"X-API-Key": key}, timeout=30).json()
    config = SchemathesisConfig()
    config.projects.default.update(base_url=srv.url, headers={"X-API-Key": key})
    config.projects.default.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
                                              max_examples=EXAMPLES, deterministic=True)
    return schemathesis.openapi.from_dict(doc, config=config)


def test_no_input_gets_a_server_error(fuzz_schema, fuzz_server):
    # one test over every operation (schemathesis' lazy pytest fixture does not run under pytest 9): hypothesis
    # draws EXAMPLES valid and EXAMPLES invalid requests per operation, derandomized (reproducible)
    srv, key, log = fuzz_server
    failures: list[tuple] = []
    skipped: list[str] = []
    operations = [op.ok() for op in fuzz_schema.get_all_operations()]
    assert len(operations) >= 25

    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                      suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
            def run(case) -> None:
                # no shrinking phase: a server that stopped answering would be asked again for every shrink step
                # (each waiting out the timeout), for hours; the first failure ends the operation's run instead
                try:
                    response = case.call(base_url=srv.url, headers={"X-API-Key": key}, timeout=30)
                except requests.RequestException as exc:
                    raise AssertionError(f"no answer to {case.method} {case.formatted_path}: {exc!r}; server log: "
                                         f"{log.read_text()[-2000:]}") from exc
                if response.status_code >= 500:
                    failures.append((case.method, case.formatted_path, case.query, case.body, response.status_code,
                                     response.text[:300]))
                elif response.status_code >= 400:  # every refusal has the shared error body
                    body = response.json()
                    if set(body) != {"error"} or not body["error"].get("type") or not body["error"].get("message"):
                        failures.append((case.method, case.formatted_path, "error body", body))

            try:
                run()
            except Unsatisfiable:  # nothing invalid to send (an operation without parameters or body)
                assert mode is GenerationMode.NEGATIVE, operation.label
                skipped.append(operation.label)
    assert not failures, failures[:5]
    assert len(skipped) < len(operations) // 2, skipped
