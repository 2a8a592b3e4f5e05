"""A fuzzer over every service's OpenAPI document (issue 13): schemathesis generates requests
for each operation, valid and invalid, under several roles' tokens, with a fixed seed and a
bounded number of examples; no answer may be a 5xx or break the document (status, content
type, body schema).

The services run behind real uvicorn servers on one database holding the small city, each
in a thread of its own, since schemathesis' clients are synchronous. Operations that stream
for ever (server-sent events) are left out: a fuzzer cannot read them to an end.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from services.evaluation.bootstrap import create_app as evaluation_app
from services.grid.bootstrap import create_app as grid_app
from services.issues.bootstrap import create_app as issues_app
from services.volunteers.bootstrap import create_app as volunteers_app
from shared import embedded_pg
from shared.settings import Settings
from tests.conftest import DATA_KEY, JWT_SECRET
from tests.utils.city import register_small_city
from tests.utils.serve import serve_in_thread
from tests.utils.tokens import bearer

SERVICES = {"issues": issues_app, "grid": grid_app, "evaluation": evaluation_app,
            "volunteers": volunteers_app}
ROLES = [
    bearer("admin", "km", sub="fuzz-admin"),
    bearer("district_staff", "km.guandu", sub="fuzz-district"),
    bearer("community_staff", "km.guandu.taihe.heping", sub="fuzz-community"),
    bearer("resident", "km.guandu.taihe.heping", sub="fuzz-resident"),
    bearer("department_staff", "km.guandu", sub="fuzz-dept", department="km-cgj"),
    {},  # no token at all
]
EXAMPLES = 3  # per operation and generation mode: the whole file stays near three minutes
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


@pytest.fixture(scope="module")
def urls(pg_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    url = embedded_pg.create_database(pg_server, f"t_{uuid.uuid4().hex[:12]}")
    settings = Settings(DATABASE_URL=url, home=Path(tmp_path_factory.mktemp("home")),
                        env="test", jwt_secret=JWT_SECRET, data_key=DATA_KEY,
                        consumer_poll_seconds=0.2)
    register_small_city(url)
    with ExitStack() as stack:
        yield {name: stack.enter_context(serve_in_thread(make(settings)))
               for name, make in SERVICES.items()}


def _streams(operation: Any) -> bool:
    responses = operation.definition.raw.get("responses", {})
    return any("text/event-stream" in (r.get("content") or {}) for r in responses.values())


def _fuzz(base_url: str, session: requests.Session, statuses: Counter[int]) -> list[str]:
    """Every operation of one service; returns what went wrong, one line each."""
    spec = session.get(f"{base_url}/openapi.json", timeout=30).json()
    schema = schemathesis.openapi.from_dict(spec)
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if not _streams(operation):
            for mode in schemathesis.GenerationMode:
                failures += _fuzz_operation(operation, mode, base_url, session, statuses)
    return failures


def _fuzz_operation(operation: Any, mode: schemathesis.GenerationMode, base_url: str,
                    session: requests.Session, statuses: Counter[int]) -> list[str]:
    seen: list[str] = []

    @given(case=operation.as_strategy(generation_mode=mode), who=st.sampled_from(ROLES))
    @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def run(case: schemathesis.Case, who: dict[str, str]) -> None:
        response = case.call(base_url=base_url, session=session, headers=who, timeout=30)
        statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=CHECKS, headers=who)
        except Exception as exc:  # every kind of check failure, reported together
            if len(seen) < 2:
                seen.append(f"{operation.label} [{mode.value}] -> {response.status_code} "
                            f"{response.text[:300]!r}: {str(exc)[:500]}")

    try:
        run()
    except Unsatisfiable:  # nothing in this operation can be made invalid (no parameters)
        assert mode is schemathesis.GenerationMode.NEGATIVE, operation.label
    return seen


@pytest.mark.parametrize("service", list(SERVICES))
def test_no_5xx_and_no_answer_breaking_the_document(urls, service) -> None:
    statuses: Counter[int] = Counter()
    with requests.Session() as session:
        failures = _fuzz(urls[service], session, statuses)
    print(f"{service}: {sum(statuses.values())} requests, by status {sorted(statuses.items())}")
    assert not failures, "\n".join(failures)
    assert statuses.total() > 100 and any(200 <= s < 300 for s in statuses)  # it did fuzz


def test_the_documents_say_what_errors_exports_and_open311_look_like(urls) -> None:
    docs = {name: requests.get(f"{url}/openapi.json", timeout=30).json()
            for name, url in urls.items()}
    for name, doc in docs.items():
        assert "HTTPValidationError" not in str(doc), name  # FastAPI's 422, never sent
        for path, operations in doc["paths"].items():
            for method, operation in operations.items():
                if path.startswith("/open311/"):
                    continue
                for status in ("422", "4XX"):
                    assert "application/problem+json" in operation["responses"][status][
                        "content"], (name, method, path, status)
                if method in ("post", "put", "patch", "delete"):
                    assert any(p["name"].lower() == "idempotency-key"
                               for p in operation["parameters"]), (name, method, path)
    report = docs["evaluation"]["paths"]["/v1/tiers/{path}/report"]["get"]["responses"]["200"]
    assert {"application/json", "text/csv",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"} <= set(
        report["content"])
    open311 = docs["issues"]["paths"]["/open311/v2/requests.{fmt}"]
    assert {"start_date", "end_date", "status", "service_code", "jurisdiction_id"} <= {
        p["name"] for p in open311["get"]["parameters"]}
    form = open311["post"]["requestBody"]["content"]["application/x-www-form-urlencoded"]
    assert {"api_key", "service_code", "lat", "long", "description"} <= set(
        form["schema"]["properties"])
    assert "text/xml" in open311["get"]["responses"]["4XX"]["content"]
