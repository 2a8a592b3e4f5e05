"""The AsyncAPI document describes the events the platform really stores and sends: every
event of the seeded demo city and of a generated month of issues, whistles and ratings
(four services, dozens of types), as the relay would publish it, has data its message's
payload schema accepts and `ce_*` headers its message's headers schema accepts (so
`ce_departments` only where the document offers it); a whistle event's structured
CloudEvent (webhooks, SSE) is what its `structured.<type>` message says. Checked by Ajv,
the validator the AsyncAPI parser itself uses, through node."""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path

import psycopg

from contracts.asyncapi import DEPARTMENT_FEED, document
from gongzhi.demo.seed import seed
from shared import embedded_pg
from shared.bus.cloudevents import to_kafka, to_structured
from shared.bus.envelope import from_stored
from tests.asyncapi.parser import HERE
from tests.conftest import DATA_KEY
from tests.utils.kpi_month import generate
from tests.utils.store import stored_events

SERVICES = ("issues", "grid", "volunteers", "evaluation")


def _published(database_url: str) -> list[dict]:
    """Every stored event as the relay publishes it (shared/bus/cloudevents.py)."""
    events = []
    for service in SERVICES:
        if not _has_log(database_url, service):
            continue
        for originator, version, topic, state in stored_events(database_url, service):
            envelope = from_stored(service, originator, version, topic, state)
            _, _, headers = to_kafka(envelope)
            event = {"id": envelope.id, "type": envelope.type, "data": envelope.data,
                     "headers": {k: v.decode() for k, v in headers}}
            if envelope.type.startswith(DEPARTMENT_FEED):  # also sent by webhooks and SSE
                event["structured"] = json.loads(to_structured(envelope))
            events.append(event)
    return events


def _has_log(database_url: str, service: str) -> bool:
    with psycopg.connect(database_url) as conn:
        return conn.execute("SELECT to_regclass(%s)",
                            (f'"{service}"."{service}_events"',)).fetchone()[0] is not None


def test_every_stored_event_matches_its_message_in_the_document(
        pg_server: str, database_url: str, tmp_path: Path) -> None:
    seed(database_url, DATA_KEY)  # grid's city and the volunteers
    month = embedded_pg.create_database(pg_server, f"t_{uuid.uuid4().hex[:12]}")
    generate(month, issues=40, whistles=8)  # issues, whistles, ratings, evaluations
    events = _published(database_url) + _published(month)
    types = {e["type"] for e in events}
    assert len(types) >= 30, f"the demo city stored only {sorted(types)}"
    # Forgeries, to see the check bite: a required field gone, a header not offered, a
    # webhook body without its data.
    required = next(e for e in events if e["type"] == "gongzhi.node.registered.v1")
    whistle = next(e for e in events if "structured" in e)
    forged = [{**required, "id": "forged/1", "data": {
                  k: v for k, v in required["data"].items() if k != "path"}},
              {**required, "id": "forged/2", "headers": {
                  **required["headers"], "ce_departments": "km-cgj"}},
              {**whistle, "id": "forged/3", "structured": {
                  k: v for k, v in whistle["structured"].items() if k != "data"}}]
    (tmp_path / "asyncapi.json").write_text(json.dumps(document()), encoding="utf-8")
    (tmp_path / "events.json").write_text(json.dumps(events + forged, ensure_ascii=False),
                                          encoding="utf-8")
    done = subprocess.run(["node", str(HERE / "check_events.js"), str(tmp_path / "asyncapi.json"),
                           str(tmp_path / "events.json")], cwd=HERE, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    failures = json.loads(done.stdout)
    caught = [f for f in failures if f["id"].startswith("forged/")]
    assert [(f["id"], f["part"]) for f in caught] == [
        ("forged/1", "data"), ("forged/2", "headers"), ("forged/3", "structured")], caught
    real = [f for f in failures if f not in caught]
    assert real == [], json.dumps(real[:5], ensure_ascii=False, indent=1)
