"""A generated month of a district, replayed into the evaluation service: every KPI its read
model reports equals the same KPI computed here, independently, straight from the stored
events; so does the ranking order; "as of" mid-month sees only the events up to then; the
exports hold the same numbers."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import math
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import openpyxl
import psycopg
import pytest

from services.evaluation.bootstrap import create_app
from shared.clock import ManualClock
from shared.settings import Settings
from tests.utils.kpi_month import DISTRICT, SETTLED, STREETS, generate
from tests.utils.serve import serve
from tests.utils.store import stored_events
from tests.utils.tokens import bearer
from tests.utils.wait import eventually

BEIJING = timezone(timedelta(hours=8))
NOVEMBER = (datetime(2026, 11, 1, tzinfo=BEIJING), datetime(2026, 12, 1, tzinfo=BEIJING))
OCTOBER = (datetime(2026, 10, 1, tzinfo=BEIJING), NOVEMBER[0])
MID_NOVEMBER = datetime(2026, 11, 15, 12, 0, tzinfo=BEIJING)
DISTRICT_STAFF = bearer("district_staff", DISTRICT, sub="d-guandu")
CITY = bearer("city_staff", "km", sub="c-km")
NODE_WEIGHTS = {"response_rate": 0.3, "resolution_rate": 0.3, "satisfaction_rate": 0.3,
                "report_in_rate": 0.1}
DEPARTMENT_WEIGHTS = {"report_in_rate": 0.5, "evaluation_index": 0.5}
APPROX = 1e-9


# -- the independent computation: the stored events, read the way an auditor would -------


def _state(raw: bytes) -> dict[str, Any]:
    return json.loads(raw)


def _t(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


class Ledger:
    """What happened, per issue, whistle summons and evaluation, from the three logs."""

    def __init__(self, database_url: str) -> None:
        self.issues: dict[str, dict[str, Any]] = {}
        self.ratings: list[dict[str, Any]] = []
        self.summons: dict[tuple[str, str], dict[str, Any]] = {}
        self.evaluations: list[dict[str, Any]] = []
        for subject, _, topic, raw in stored_events(database_url, "issues"):
            self._issue_event(subject, topic, _state(raw))
        for subject, _, topic, raw in stored_events(database_url, "grid"):
            self._grid_event(subject, topic, _state(raw))
        for _, _, topic, raw in stored_events(database_url, "evaluation"):
            d = _state(raw)
            if topic == "gongzhi.rating.issue_rated.v1":
                self.ratings.append({"issue": d["issue_id"], "round": d["round"],
                                     "verdict": d["verdict"], "at": _t(d["at"])})
            elif topic == "gongzhi.department_evaluation.recorded.v1":
                self.evaluations.append({"department": d["department"], "node": d["node"],
                                         "at": _t(d["at"]),
                                         "scores": (d["timeliness"], d["effectiveness"],
                                                    d["attitude"])})

    def _issue_event(self, subject: str, topic: str, d: dict[str, Any]) -> None:
        kind = topic.split(".")[2]
        if kind == "raised":
            self.issues[subject] = {"node": d["node"], "raised": _t(d["at"]), "ack_by": None,
                                    "acked": None, "resolved": [], "reopened": [],
                                    "merged": None}
            return
        issue = self.issues[subject]
        if kind == "triaged" and issue["ack_by"] is None:
            issue["ack_by"] = _t(d["ack_by"])
        elif kind == "acknowledged" and issue["acked"] is None:
            issue["acked"] = _t(d["at"])
        elif kind == "resolved":
            issue["resolved"].append(_t(d["at"]))
        elif kind == "reopened":
            issue["reopened"].append(_t(d["at"]))
        elif kind == "merged":
            issue["merged"] = _t(d["at"])

    def _grid_event(self, subject: str, topic: str, d: dict[str, Any]) -> None:
        if topic == "gongzhi.whistle.blown.v1":
            for code, deadline in d["summons"].items():
                self.summons[(subject, code)] = {"node": d["node"], "blown": _t(d["at"]),
                                                 "deadline": _t(deadline), "reported": None}
        elif topic == "gongzhi.whistle.department_reported.v1":
            self.summons[(subject, d["department"])]["reported"] = _t(d["at"])


def _key(node: str, under: str, by_child: bool) -> str | None:
    if by_child:
        if not node.startswith(under + "."):
            return None
        return under + "." + node[len(under) + 1:].split(".")[0]
    return under if node == under or node.startswith(under + ".") else None


def _in(at: datetime, month: tuple[datetime, datetime], as_of: datetime) -> bool:
    return month[0] <= at < month[1] and at <= as_of


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _p90(values: list[float]) -> float | None:
    """The smallest value at or above which lie 90% of them (nearest rank)."""
    return sorted(values)[math.ceil(0.9 * len(values)) - 1] if values else None


def _share(n: int, d: int) -> float | None:
    return n / d if d else None


def _score(figures: dict[str, Any], weights: dict[str, float]) -> float | None:
    present = {k: w for k, w in weights.items() if figures[k] is not None}
    if not present:
        return None
    return round(100 * sum(figures[k] * w for k, w in present.items())
                 / sum(present.values()), 2)


def expected_nodes(ledger: Ledger, under: str, by_child: bool, month: tuple[datetime, datetime],
                   as_of: datetime) -> dict[str, dict[str, Any]]:
    acc: dict[str, dict[str, Any]] = defaultdict(lambda: defaultdict(list))
    counted = set()
    for issue_id, i in ledger.issues.items():
        key = _key(i["node"], under, by_child)
        if key is None or not _in(i["raised"], month, as_of):
            continue
        if i["merged"] is not None and i["merged"] <= as_of:
            continue
        counted.add(issue_id)
        a = acc[key]
        a["issues"].append(1)
        acked = i["acked"] if i["acked"] and i["acked"] <= as_of else None
        if i["ack_by"] <= as_of or acked:
            a["ack_due"].append(1)
        if acked and acked <= i["ack_by"]:
            a["ack_on_time"].append(1)
        if acked:
            a["ack_hours"].append((acked - i["raised"]).total_seconds() / 3600)
        resolutions = [t for t in i["resolved"] if t <= as_of]
        reopenings = [t for t in i["reopened"] if t <= as_of]
        a["resolutions"].append(len(resolutions))
        if len(resolutions) > len(reopenings):
            a["resolved"].append(1)
        if resolutions:
            a["resolve_hours"].append((min(resolutions) - i["raised"]).total_seconds() / 3600)
        a["key_of"].append((issue_id, key))
    key_of = {issue: key for a in acc.values() for issue, key in a["key_of"]}
    for r in ledger.ratings:
        if r["issue"] in counted and r["at"] <= as_of:
            a = acc[key_of[r["issue"]]]
            a["rated"].append(1)
            a["rated_round"].append((r["issue"], r["round"]))
            if r["verdict"] != "unsatisfied":
                a["satisfied"].append(1)
    for s in ledger.summons.values():
        key = _key(s["node"], under, by_child)
        if key is None or not _in(s["blown"], month, as_of):
            continue
        reported = s["reported"] if s["reported"] and s["reported"] <= as_of else None
        if s["deadline"] <= as_of or reported:
            acc[key]["summons_due"].append(1)
        if reported and reported <= s["deadline"]:
            acc[key]["reported_on_time"].append(1)
    for e in ledger.evaluations:
        key = _key(e["node"], under, by_child)
        if key is not None and _in(e["at"], month, as_of):
            acc[key]["scores"].append(e["scores"])
    out = {}
    for key, a in acc.items():
        f = {k: len(a[k]) for k in ("issues", "ack_due", "ack_on_time", "resolved", "rated",
                                    "satisfied", "summons_due", "reported_on_time")}
        f |= {"resolutions": sum(a["resolutions"]), "rated_rounds": len(set(a["rated_round"])),
              "ack_hours_mean": _mean(a["ack_hours"]), "ack_hours_p90": _p90(a["ack_hours"]),
              "resolve_hours_mean": _mean(a["resolve_hours"]),
              "resolve_hours_p90": _p90(a["resolve_hours"]), "evaluations": len(a["scores"])}
        for n, aspect in enumerate(("timeliness", "effectiveness", "attitude")):
            f[f"{aspect}_mean"] = _mean([s[n] for s in a["scores"]])
        f |= {"response_rate": _share(f["ack_on_time"], f["ack_due"]),
              "resolution_rate": _share(f["resolved"], f["issues"]),
              "satisfaction_rate": _share(f["satisfied"], f["rated"]),
              "rating_coverage": _share(f["rated_rounds"], f["resolutions"]),
              "report_in_rate": _share(f["reported_on_time"], f["summons_due"])}
        out[key] = f | {"score": _score(f, NODE_WEIGHTS)}
    return out


def expected_departments(ledger: Ledger, month: tuple[datetime, datetime],
                         as_of: datetime) -> dict[str, dict[str, Any]]:
    acc: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for (_, code), s in ledger.summons.items():
        if not _in(s["blown"], month, as_of):
            continue
        reported = s["reported"] if s["reported"] and s["reported"] <= as_of else None
        a = acc[code]
        a["due"].append(s["deadline"] <= as_of or reported is not None)
        a["on_time"].append(bool(reported and reported <= s["deadline"]))
        if reported:
            a["minutes"].append((reported - s["blown"]).total_seconds() / 60)
    for e in ledger.evaluations:
        if _in(e["at"], month, as_of):
            acc[e["department"]]["scores"].append(e["scores"])
    out = {}
    for code, a in acc.items():
        scores = a["scores"]
        mean = _mean([sum(s) / 3 for s in scores])
        f = {"summons_due": sum(a["due"]), "reported_on_time": sum(a["on_time"]),
             "report_minutes_mean": _mean(a["minutes"]), "report_minutes_p90": _p90(a["minutes"]),
             "evaluations": len(scores), "evaluation_mean": mean,
             "evaluation_index": None if mean is None else (mean - 1) / 4}
        f["report_in_rate"] = _share(f["reported_on_time"], f["summons_due"])
        out[code] = f | {"score": _score(f, DEPARTMENT_WEIGHTS)}
    return out


def assert_same(got: dict[str, Any], want: dict[str, Any], where: str) -> None:
    for key, value in want.items():
        if value is None or isinstance(value, int):
            assert got[key] == value, f"{where}: {key} is {got[key]}, expected {value}"
        else:
            assert got[key] == pytest.approx(value, rel=APPROX, abs=APPROX), (
                f"{where}: {key} is {got[key]}, expected {value}")


def assert_ranking(rows: list[dict[str, Any]], want: dict[str, dict[str, Any]],
                   id_key: str) -> None:
    order = sorted(want, key=lambda k: -(want[k]["score"] or -1))
    assert [r[id_key] for r in rows] == order
    assert [r["rank"] for r in rows] == list(range(1, len(order) + 1))
    for row in rows:
        assert_same(row, want[row[id_key]], row[id_key])


# -- the service, caught up ------------------------------------------------------------


def _behind(database_url: str) -> int:
    """Events of the three logs the KPI facts have not applied yet."""
    with psycopg.connect(database_url) as conn:
        positions = dict(conn.execute(
            "SELECT stream, position FROM evaluation_kpi_facts.tracking").fetchall())
        behind = 0
        for service in ("issues", "grid", "evaluation"):
            head = conn.execute(f'SELECT coalesce(max(notification_id), 0) FROM '
                                f'"{service}"."{service}_events"').fetchone()[0]
            behind += head - positions.get(service, 0)
    return behind


async def caught_up(database_url: str, timeout: float = 120) -> float:
    started = time.monotonic()
    await eventually(lambda: asyncio.to_thread(_behind, database_url), lambda n: n == 0,
                     timeout=timeout)
    return time.monotonic() - started


async def test_a_generated_month_matches_an_independent_count(settings: Settings) -> None:
    started = time.monotonic()
    generated = await asyncio.to_thread(generate, settings.database_url)
    generating = time.monotonic() - started
    assert generated.issues >= 6000 and generated.merged and generated.reopened
    ledger = await asyncio.to_thread(Ledger, settings.database_url)
    clock = ManualClock(SETTLED + timedelta(days=1))
    async with serve(create_app(settings, clock=clock)) as api:
        catching_up = await caught_up(settings.database_url)
        print(f"\ngenerated {generated} in {generating:.1f}s; facts caught up in "
              f"{catching_up:.1f}s")
        settled = clock.now()

        # The district's month, its streets', and each street's communities'.
        r = await api.get(f"/v1/tiers/{DISTRICT}/report", params={"month": "2026-11"},
                          headers=DISTRICT_STAFF)
        assert r.status_code == 200, r.text
        report = r.json()
        assert_same(report["figures"],
                    expected_nodes(ledger, DISTRICT, False, NOVEMBER, settled)[DISTRICT],
                    DISTRICT)
        streets = expected_nodes(ledger, DISTRICT, True, NOVEMBER, settled)
        assert {c["node"] for c in report["children"]} == set(STREETS) == set(streets)
        for child in report["children"]:
            assert_same(child, streets[child["node"]], child["node"])
        for street in STREETS:
            r = await api.get(f"/v1/tiers/{street}/report", params={"month": "2026-11"},
                              headers=DISTRICT_STAFF)
            communities = expected_nodes(ledger, street, True, NOVEMBER, settled)
            for child in r.json()["children"]:
                assert_same(child, communities[child["node"]], child["node"])

        # The district's ranking of streets, with movement against October.
        r = await api.get("/v1/rankings", params={"parent": DISTRICT, "level": "street",
                                                  "month": "2026-11"}, headers=DISTRICT_STAFF)
        ranking = r.json()["rows"]
        assert_ranking(ranking, streets, "node")
        october = expected_nodes(ledger, DISTRICT, True, OCTOBER, settled)
        previous = {k: i + 1 for i, k in enumerate(
            sorted(october, key=lambda k: -(october[k]["score"] or -1)))}
        for row in ranking:
            assert row["previous_rank"] == previous[row["node"]]
            assert row["rank_change"] == previous[row["node"]] - row["rank"]
            assert row["score_change"] == pytest.approx(
                row["score"] - october[row["node"]]["score"], abs=0.011)
        # Streets were generated from best to worst; a month of thousands shows it.
        assert [row["node"] for row in ranking] == list(STREETS)

        r = await api.get("/v1/rankings/departments", params={"month": "2026-11"},
                          headers=CITY)
        assert_ranking(r.json()["rows"], expected_departments(ledger, NOVEMBER, settled),
                       "department")

        # As of mid-November: only what had happened by then.
        mid = {"month": "2026-11", "as_of": MID_NOVEMBER.isoformat()}
        r = await api.get(f"/v1/tiers/{DISTRICT}/report", params=mid, headers=DISTRICT_STAFF)
        then = r.json()
        want = expected_nodes(ledger, DISTRICT, False, NOVEMBER, MID_NOVEMBER)[DISTRICT]
        assert_same(then["figures"], want, f"{DISTRICT} as of {MID_NOVEMBER}")
        assert then["as_of"] == MID_NOVEMBER.isoformat()
        assert 0 < then["figures"]["issues"] < report["figures"]["issues"]
        r = await api.get("/v1/rankings", params=mid | {"parent": DISTRICT},
                          headers=DISTRICT_STAFF)
        assert_ranking(r.json()["rows"],
                       expected_nodes(ledger, DISTRICT, True, NOVEMBER, MID_NOVEMBER), "node")
        r = await api.get("/v1/rankings/departments", params=mid, headers=CITY)
        assert_ranking(r.json()["rows"], expected_departments(ledger, NOVEMBER, MID_NOVEMBER),
                       "department")

        # The ranking as an Excel workbook and the street report as CSV: the same numbers.
        r = await api.get("/v1/rankings", params={"parent": DISTRICT, "month": "2026-11",
                                                  "format": "xlsx"}, headers=DISTRICT_STAFF)
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
        sheet = openpyxl.load_workbook(io.BytesIO(r.content)).active
        table = list(sheet.iter_rows(values_only=True))
        header = table[0]
        for word in ("排名", "节点", "综合得分", "响应率", "解决率", "满意率", "名次变化"):
            assert word in header
        assert len(table) == 1 + len(ranking)
        for values, row in zip(table[1:], ranking, strict=True):
            cells = dict(zip(header, values, strict=True))
            assert (cells["节点"], cells["排名"], cells["综合得分"]) == (
                row["node"], row["rank"], row["score"])
            assert cells["诉求数"] == row["issues"]
            for header_, key in (("响应率", "response_rate"), ("解决率", "resolution_rate"),
                                 ("满意率", "satisfaction_rate")):
                # A workbook keeps 15 significant digits of a float, as Excel does.
                assert cells[header_] == pytest.approx(row[key], rel=1e-14)
        street = next(iter(STREETS))
        r = await api.get(f"/v1/tiers/{street}/report", params={"month": "2026-11",
                                                                 "format": "csv"},
                          headers=DISTRICT_STAFF)
        assert r.content.startswith("\ufeff".encode())
        rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
        own = streets[street]
        assert rows[0]["节点"] == street and int(rows[0]["诉求数"]) == own["issues"]
        assert float(rows[0]["满意率"]) == pytest.approx(own["satisfaction_rate"], rel=1e-12)
        assert [row["节点"] for row in rows[1:]] == [f"{street}.c{j}" for j in (1, 2, 3)]


@pytest.mark.parametrize("month", [NOVEMBER])
def test_beijing_months_are_what_the_ledger_assumes(month: tuple[datetime, datetime]) -> None:
    from services.evaluation.kpi.months import bounds

    assert bounds("2026-11") == month
    assert month[0].astimezone(UTC).hour == 16


# -- the CLI, rule changes, accountability and refusals, on a smaller month ------------

ADMIN = bearer("admin", "km", sub="admin")


async def _small_month(settings: Settings) -> Ledger:
    await asyncio.to_thread(generate, settings.database_url, 600, 60)
    return await asyncio.to_thread(Ledger, settings.database_url)


async def test_the_cli_prints_a_street_report_and_the_district_ranking(
        settings: Settings, tmp_path) -> None:
    from typer.testing import CliRunner

    from gongzhi.cli import app as cli
    from tests.utils.serve import serve_http

    await _small_month(settings)
    street = next(iter(STREETS))
    token = DISTRICT_STAFF["Authorization"].removeprefix("Bearer ")
    async with serve_http(create_app(settings, clock=ManualClock(SETTLED))) as api:
        await caught_up(settings.database_url)
        url = str(api.base_url)
        common = ["--month", "2026-11", "--url", url, "--token", token]

        def run(*args: str) -> Any:
            result = CliRunner().invoke(cli, [*args, *common])
            assert result.exit_code == 0, result.output
            return result.output

        shown = json.loads(await asyncio.to_thread(run, "report", "--node", street,
                                                   "--format", "json"))
        api_report = (await api.get(f"/v1/tiers/{street}/report", params={"month": "2026-11"},
                                    headers=DISTRICT_STAFF)).json()
        assert shown["figures"] == api_report["figures"] and shown["children"]
        table = await asyncio.to_thread(run, "report", "--node", street)
        assert "响应率" in table and "第1街道" in table and f"{street}.c1" in table

        table = await asyncio.to_thread(run, "ranking", "--parent", DISTRICT)
        ranking = (await api.get("/v1/rankings", params={"parent": DISTRICT,
                                                         "month": "2026-11"},
                                 headers=DISTRICT_STAFF)).json()["rows"]
        lines = [line.split()[1] for line in table.splitlines()[2:]]
        assert lines == [row["node"] for row in ranking]
        out = tmp_path / "ranking.xlsx"
        await asyncio.to_thread(run, "ranking", "--parent", DISTRICT, "--format", "xlsx",
                                "--out", str(out))
        sheet = openpyxl.load_workbook(out).active
        assert [r[1] for r in sheet.iter_rows(min_row=2, values_only=True)] == [
            row["node"] for row in ranking]

        # Out of scope: the service's refusal, on standard error, exit 1.
        other = bearer("street_staff", f"{DISTRICT}.s2").get("Authorization")[7:]
        result = await asyncio.to_thread(CliRunner().invoke, cli, [
            "report", "--node", street, "--url", url, "--token", other])
        assert result.exit_code == 1 and "outside that scope" in result.output


async def test_a_rule_change_rejudges_past_months_but_not_as_of_before_it(
        settings: Settings) -> None:
    ledger = await _small_month(settings)
    clock = ManualClock(SETTLED)
    async with serve(create_app(settings, clock=clock)) as api:
        await caught_up(settings.database_url)
        before = clock.now()
        params = {"parent": DISTRICT, "month": "2026-11"}
        old = (await api.get("/v1/rankings", params=params, headers=DISTRICT_STAFF)).json()
        streets = expected_nodes(ledger, DISTRICT, True, NOVEMBER, before)
        assert_ranking(old["rows"], streets, "node")

        rules = old["rules"] | {"node_weights": {"satisfaction_rate": 1}}
        clock.advance(timedelta(hours=1))
        r = await api.put("/v1/kpi-rules", json={"rules": rules, "reason": "只看满意率"},
                          headers=ADMIN)
        assert r.status_code == 200, r.text
        clock.advance(timedelta(hours=1))
        new = (await api.get("/v1/rankings", params=params, headers=DISTRICT_STAFF)).json()
        for row in new["rows"]:
            assert row["score"] == round(100 * streets[row["node"]]["satisfaction_rate"], 2)
        then = (await api.get("/v1/rankings", params=params | {"as_of": before.isoformat()},
                              headers=DISTRICT_STAFF)).json()
        assert [r["score"] for r in then["rows"]] == [r["score"] for r in old["rows"]]
        assert then["rules"]["node_weights"] == old["rules"]["node_weights"]
        history = (await api.get("/v1/kpi-rules/history", headers=ADMIN)).json()
        assert [(h["reason"], h["by"]["sub"]) for h in history] == [("只看满意率", "admin")]


async def test_accountability_flags_who_stayed_below_the_threshold(settings: Settings) -> None:
    ledger = await _small_month(settings)
    clock = ManualClock(SETTLED)
    async with serve(create_app(settings, clock=clock)) as api:
        await caught_up(settings.database_url)
        r = await api.get("/v1/accountability", params={"parent": DISTRICT, "month": "2026-11"},
                          headers=DISTRICT_STAFF)
        assert r.status_code == 200, r.text
        nov = expected_nodes(ledger, DISTRICT, True, NOVEMBER, clock.now())
        octo = expected_nodes(ledger, DISTRICT, True, OCTOBER, clock.now())
        below = {s for s in STREETS if nov[s]["score"] < 80 and octo[s]["score"] < 80}
        flagged = {f["node"]: f for f in r.json()["flagged"]}
        assert set(flagged) == below and below  # the poorer streets are generated below 80
        for node, f in flagged.items():
            assert f["breached"] == ["score"]
            assert [m["month"] for m in f["months"]] == ["2026-10", "2026-11"]
            assert f["months"][1]["score"] == nov[node]["score"]
        r = await api.get("/v1/accountability/departments", params={"month": "2026-11"},
                          headers=CITY)
        departments = expected_departments(ledger, NOVEMBER, clock.now())
        october = expected_departments(ledger, OCTOBER, clock.now())
        assert {f["department"] for f in r.json()["flagged"]} == {
            d for d in departments if departments[d]["score"] < 80
            and d in october and october[d]["score"] < 80}


@pytest.mark.parametrize(("path", "params", "headers", "status", "words"), [
    (f"/v1/tiers/{DISTRICT}/report", {}, bearer("street_staff", f"{DISTRICT}.taihe"), 403,
     "outside that scope"),
    (f"/v1/tiers/{DISTRICT}/report", {}, bearer("resident", DISTRICT), 403, "resident"),
    (f"/v1/tiers/{DISTRICT}/report", {"month": "2026-13"}, DISTRICT_STAFF, 422, "month"),
    (f"/v1/tiers/{DISTRICT}/report", {"as_of": "2026-11-15T12:00:00"}, DISTRICT_STAFF, 422,
     "time zone"),
    (f"/v1/tiers/{DISTRICT}.nowhere/report", {}, DISTRICT_STAFF, 404, "unknown tier node"),
    ("/v1/rankings", {"parent": DISTRICT, "format": "pdf"}, DISTRICT_STAFF, 422, "format"),
    ("/v1/rankings/departments", {}, bearer("street_staff", f"{DISTRICT}.taihe"), 403,
     "district or city"),
    ("/v1/departments/km-cgj/report", {},
     bearer("department_staff", DISTRICT, department="km-gaj"), 403, "own staff"),
    ("/v1/accountability/departments", {},
     bearer("department_staff", DISTRICT, department="km-gaj"), 403, "leaders"),
])
async def test_kpi_refusals_say_why(settings: Settings, path: str, params: dict,
                                    headers: dict, status: int, words: str) -> None:
    from tests.utils.city import register_small_city

    await asyncio.to_thread(register_small_city, settings.database_url)
    async with serve(create_app(settings, clock=ManualClock(SETTLED))) as api:
        r = await api.get(path, params=params, headers=headers)
        assert r.status_code == status, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert words in r.json()["detail"]


async def test_only_valid_rules_from_an_administrator_are_stored(settings: Settings) -> None:
    from tests.utils.city import register_small_city
    from tests.utils.store import count_events

    await asyncio.to_thread(register_small_city, settings.database_url)  # tokens name nodes
    async with serve(create_app(settings, clock=ManualClock(SETTLED))) as api:
        rules = (await api.get("/v1/kpi-rules", headers=CITY)).json()["rules"]
        before = count_events(settings.database_url, "evaluation")
        for body, headers, status, words in [
            ({"rules": rules | {"consecutive_months": 2.5}, "reason": "x"}, ADMIN, 422,
             "1 to 12"),
            ({"rules": rules | {"node_weights": {"speed": 1}}, "reason": "x"}, ADMIN, 422,
             "may weigh only"),
            ({"rules": rules | {"consecutive_months": 3}, "reason": "x"}, CITY, 403,
             "administrator"),
            ({"rules": rules, "reason": ""}, ADMIN, 422, "reason"),
        ]:
            r = await api.put("/v1/kpi-rules", json=body, headers=headers)
            assert r.status_code == status, r.text
            assert words in r.json()["detail"]
        assert count_events(settings.database_url, "evaluation") == before
        r = await api.put("/v1/kpi-rules", json={"rules": rules | {"consecutive_months": 3},
                                                 "reason": "三个月"}, headers=ADMIN)
        assert r.status_code == 200 and r.json()["rules"]["consecutive_months"] == 3
        r = await api.put("/v1/kpi-rules", json={"rules": r.json()["rules"], "reason": "同上"},
                          headers=ADMIN)
        assert r.status_code == 409 and "already the rules" in r.json()["detail"]
        assert count_events(settings.database_url, "evaluation") == before + 1


def assert_same_month(got: dict[str, Any], want: dict[str, Any], where: str) -> None:
    """Counts, rates and scores exactly; a mean of hours may differ in its last bit, as
    PostgreSQL adds the same floats in another order when a query groups by month."""
    assert got.keys() == want.keys(), where
    for key, value in want.items():
        if key.endswith("_mean") and value is not None:
            assert got[key] == pytest.approx(value, rel=1e-12), f"{where}: {key}"
        else:
            assert got[key] == value, f"{where}: {key} is {got[key]}, expected {value}"


async def test_a_trend_is_six_reports_in_one_request(settings: Settings) -> None:
    """The dashboard's trend answers each month with the very figures and score the month's
    own report gives, for months with facts and without, now and as of an earlier instant."""
    await _small_month(settings)
    street = next(iter(STREETS))
    async with serve(create_app(settings, clock=ManualClock(SETTLED))) as api:
        await caught_up(settings.database_url)
        cases = [(DISTRICT, {"month": "2026-12"}), (street, {"month": "2026-11"}),
                 (DISTRICT, {"as_of": MID_NOVEMBER.isoformat()})]
        for path, when in cases:
            r = await api.get(f"/v1/tiers/{path}/trend", params={**when, "months": 6},
                              headers=DISTRICT_STAFF)
            assert r.status_code == 200, r.text
            trend = r.json()
            assert len(trend["months"]) == 6 and trend["node"] == path
            assert trend["months"][-1]["month"] == when.get("month", "2026-11")
            with_issues = [m for m in trend["months"] if m["figures"]["issues"]]
            assert len(with_issues) == 2  # October and November; the others are empty
            for m in trend["months"]:
                r = await api.get(f"/v1/tiers/{path}/report",
                                  params={**when, "month": m["month"]}, headers=DISTRICT_STAFF)
                assert r.status_code == 200, r.text
                assert_same_month(m["figures"], r.json()["figures"], f"{path} {m['month']}")
        community = bearer("community_staff", f"{street}.c1", sub="c-1")
        refused = await api.get(f"/v1/tiers/{DISTRICT}/trend", headers=community)
        assert refused.status_code == 403
        too_many = await api.get(f"/v1/tiers/{DISTRICT}/trend", params={"months": 25},
                                 headers=DISTRICT_STAFF)
        assert too_many.status_code == 422 and too_many.json()["errors"][0]["field"] == \
            "query.months"
