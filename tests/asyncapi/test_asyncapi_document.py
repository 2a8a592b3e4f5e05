"""The AsyncAPI document of every contract (docs/asyncapi.md): the AsyncAPI project's own
parser finds no error in it, it lists every type in contracts.REGISTRY on its service's
topic, the committed docs/asyncapi.json is what the generator makes now, and each service
serves its own channels at /asyncapi.json, publicly, beside /openapi.json."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from fastapi import FastAPI
from typer.testing import CliRunner

from contracts import REGISTRY
from contracts.asyncapi import document, render
from gongzhi import cli
from services.grid.bootstrap import create_app as create_grid
from services.issues.bootstrap import create_app as create_issues
from shared.settings import Settings
from tests.asyncapi.parser import errors

COMMITTED = Path(__file__).parents[2] / "docs" / "asyncapi.json"
DOC = document()


def test_the_documents_pass_the_asyncapi_parser(tmp_path: Path) -> None:
    """The whole one, and one service's, as /asyncapi.json serves it (grid's has the most)."""
    found = errors({"whole": DOC, "grid": document(services=["grid"])}, tmp_path)
    assert found == {"whole": [], "grid": []}


def test_the_document_lists_every_type_in_the_registry_on_its_services_topic() -> None:
    assert REGISTRY, "the contracts package registered nothing"
    for type_, contract in REGISTRY.items():
        channel = DOC["channels"][contract.service]
        assert channel["address"] == f"gongzhi.{contract.service}"
        assert type_ in channel["messages"], f"{type_} is not on {channel['address']}"
        message = DOC["components"]["messages"][type_]
        assert message["name"] == type_
        assert message["headers"]["properties"]["ce_type"]["const"] == type_
        offers_departments = "ce_departments" in message["headers"]["properties"]
        assert offers_departments == contract.concerns_departments, type_
        payload = DOC["components"]["schemas"][type_]
        assert set(payload["properties"]) == set(contract.fields), type_
        assert set(payload.get("required", ())) == set(contract.required), type_
    kafka_messages = {key for name, channel in DOC["channels"].items()
                      if not name.startswith("department_") for key in channel["messages"]}
    assert kafka_messages - {"unreadable"} == set(REGISTRY)


def test_the_committed_document_is_up_to_date() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == render(DOC), (
        "docs/asyncapi.json is stale: run `.venv/bin/gongzhi asyncapi --output "
        "docs/asyncapi.json` and commit it")


def _settings(tmp_path: Path) -> Settings:
    return Settings(env="test", home=tmp_path, jwt_secret="x" * 32, data_key="y" * 44,
                    kafka_namespace="city7", kafka_bootstrap="kafka.city7:9092")


async def _served(app: FastAPI) -> dict:
    """Without a token and without the app started: the route needs neither."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://grid.city7:8002") as c:
        r = await c.get("/asyncapi.json")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    return r.json()


async def test_grid_serves_its_own_channels_from_where_it_is_asked(tmp_path: Path) -> None:
    served = await _served(create_grid(_settings(tmp_path)))
    assert set(served["channels"]) == {"grid", "grid_dead_letters", "department_webhook",
                                       "department_stream"}
    assert served["channels"]["grid"]["address"] == "city7.grid"
    assert served["servers"]["kafka"]["host"] == "kafka.city7:9092"
    assert served["servers"]["grid"]["host"] == "grid.city7:8002"
    grid_types = {t for t, c in REGISTRY.items() if c.service == "grid"}
    assert set(served["channels"]["grid"]["messages"]) == grid_types
    assert served == document(services=["grid"], namespace="city7",
                              bootstrap="kafka.city7:9092", grid_http="grid.city7:8002")


async def test_a_service_without_whistles_serves_no_department_channels(
        tmp_path: Path) -> None:
    served = await _served(create_issues(_settings(tmp_path)))
    assert set(served["channels"]) == {"issues", "issues_dead_letters"}
    assert "grid" not in served["servers"]
    assert {REGISTRY[t].service for t in served["channels"]["issues"]["messages"]} == {"issues"}


def test_the_command_in_docs_asyncapi_md_writes_the_committed_document(tmp_path: Path) -> None:
    out = tmp_path / "asyncapi.json"
    result = CliRunner().invoke(cli.app, ["asyncapi", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8") == COMMITTED.read_text(encoding="utf-8")
    one = CliRunner().invoke(cli.app, ["asyncapi", "--service", "evaluation"])
    assert set(json.loads(one.stdout)["channels"]) == {"evaluation", "evaluation_dead_letters"}
