"""Survey results at every node of a survey's subtree.

A response from a household at `…heping.g03.y017` counts at that node and at each ancestor
up to the surveyed node (not above it: the campaign covers its subtree only), so a node's
figures are its whole subtree's. Per node: how many responded; per scale question the sum
and count (the mean is their quotient) and how many gave each score; per choice and yes/no
question how many gave each answer. A batch's responses are summed in memory and written in
one statement per table; a response already counted (the same household of the same survey)
is never counted again, whoever hands it over twice.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any
from uuid import UUID

import asyncpg

from contracts import read
from contracts.evaluation import SurveyClosed, SurveyOpened, SurveyResponseRecorded
from shared.bus.envelope import Envelope, business_time
from shared.projections.projection import Projection
from shared.tiers import ancestors_and_self, is_within, subtree_like


class SurveyResults(Projection):
    schema = "evaluation_survey_results"
    streams = ("evaluation",)
    ddl = """
    CREATE TABLE IF NOT EXISTS {schema}.surveys (
        id uuid PRIMARY KEY,
        title text NOT NULL,
        node text NOT NULL,
        questions jsonb NOT NULL,
        status text NOT NULL,
        opened_at timestamptz NOT NULL,
        closed_at timestamptz
    );
    CREATE TABLE IF NOT EXISTS {schema}.responses (
        survey_id uuid NOT NULL,
        household text NOT NULL,
        node text NOT NULL,
        at timestamptz NOT NULL,
        PRIMARY KEY (survey_id, household)
    );
    CREATE TABLE IF NOT EXISTS {schema}.node_counts (
        survey_id uuid NOT NULL,
        node text NOT NULL,
        responses bigint NOT NULL,
        PRIMARY KEY (survey_id, node)
    );
    CREATE TABLE IF NOT EXISTS {schema}.scale_sums (
        survey_id uuid NOT NULL,
        node text NOT NULL,
        question text NOT NULL,
        total bigint NOT NULL,
        n bigint NOT NULL,
        PRIMARY KEY (survey_id, node, question)
    );
    CREATE TABLE IF NOT EXISTS {schema}.answer_counts (
        survey_id uuid NOT NULL,
        node text NOT NULL,
        question text NOT NULL,
        answer text NOT NULL,
        n bigint NOT NULL,
        PRIMARY KEY (survey_id, node, question, answer)
    );
    """

    async def apply(
        self, conn: asyncpg.Connection, schema: str, events: Sequence[Envelope]
    ) -> None:
        for e in events:
            if (opened := read(e, SurveyOpened)) is not None:
                await conn.execute(
                    f"INSERT INTO {schema}.surveys (id, title, node, questions, status,"
                    f" opened_at) VALUES ($1, $2, $3, $4::jsonb, 'open', $5)"
                    f" ON CONFLICT (id) DO NOTHING",
                    UUID(e.subject), opened.title, opened.node,
                    json.dumps(opened.questions, ensure_ascii=False), business_time(e))
        await self._responses(conn, schema, [(e, p) for e in events
                                             if (p := read(e, SurveyResponseRecorded))])
        for e in events:
            if e.type == SurveyClosed.TYPE:
                await conn.execute(
                    f"UPDATE {schema}.surveys SET status = 'closed', closed_at = $2 "
                    f"WHERE id = $1", UUID(e.subject), business_time(e))

    async def _responses(self, conn: asyncpg.Connection, schema: str,
                         events: list[tuple[Envelope, SurveyResponseRecorded]]) -> None:
        if not events:
            return
        by_key = {(UUID(e.subject), p.household): (e, p) for e, p in events}
        new = await conn.fetch(
            f"INSERT INTO {schema}.responses (survey_id, household, node, at) "
            f"SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[]) "
            f"ON CONFLICT DO NOTHING RETURNING survey_id, household",
            [k[0] for k in by_key], [k[1] for k in by_key],
            [p.node for _, p in by_key.values()],
            [business_time(e) for e, _ in by_key.values()])
        if not new:
            return
        surveys = await _surveys(conn, schema, {r["survey_id"] for r in new})
        counts: Counter[tuple[UUID, str]] = Counter()
        answers: Counter[tuple[UUID, str, str, str]] = Counter()
        totals: Counter[tuple[UUID, str, str]] = Counter()
        scored: Counter[tuple[UUID, str, str]] = Counter()
        for r in new:
            _, p = by_key[(r["survey_id"], r["household"])]
            root, questions = surveys[r["survey_id"]]
            for node in rolled_up_to(p.node, root):
                counts[(r["survey_id"], node)] += 1
                for key, answer, score in tallies(questions, p.answers):
                    answers[(r["survey_id"], node, key, answer)] += 1
                    if score is not None:
                        totals[(r["survey_id"], node, key)] += score
                        scored[(r["survey_id"], node, key)] += 1
        await _add(conn, f"{schema}.node_counts", ("survey_id", "node"), "responses", counts)
        await _add(conn, f"{schema}.answer_counts", ("survey_id", "node", "question", "answer"),
                   "n", answers)
        await _add(conn, f"{schema}.scale_sums", ("survey_id", "node", "question"), "total",
                   totals, also={"n": [scored[k] for k in totals]})

def rolled_up_to(node: str, root: str) -> list[str]:
    """The nodes a response at `node` counts at: itself and its ancestors inside `root`."""
    return [a for a in ancestors_and_self(node) if is_within(a, root)]


def tallies(questions: list[dict[str, Any]],
            given: dict[str, Any]) -> Iterator[tuple[str, str, int | None]]:
    """(question, answer as counted, score) for each answered question: scores counted as
    "1".."5" and also summed, yes/no as "yes"/"no", choices as the option."""
    for q in questions:
        if q["key"] not in given:
            continue
        value = given[q["key"]]
        if q["kind"] == "scale":
            yield q["key"], str(value), int(value)
        elif q["kind"] == "yes_no":
            yield q["key"], "yes" if value else "no", None
        else:
            yield q["key"], str(value), None


async def _surveys(conn: asyncpg.Connection, schema: str,
                   ids: set[UUID]) -> dict[UUID, tuple[str, list[dict[str, Any]]]]:
    rows = await conn.fetch(f"SELECT id, node, questions FROM {schema}.surveys "
                            f"WHERE id = ANY($1::uuid[])", list(ids))
    return {r["id"]: (r["node"], json.loads(r["questions"])) for r in rows}


async def _add(conn: asyncpg.Connection, table: str, keys: tuple[str, ...], column: str,
               counts: Counter, also: dict[str, list[int]] | None = None) -> None:
    """Add each count (and the `also` columns, in the same order) to its row, creating the
    rows not there yet, in one statement."""
    columns = [column, *(also or {})]
    types = ["uuid", *["text"] * (len(keys) - 1), *["bigint"] * len(columns)]
    arrays = ", ".join(f"${i + 1}::{t}[]" for i, t in enumerate(types))
    added = ", ".join(f"{c} = {table}.{c} + EXCLUDED.{c}" for c in columns)
    await conn.execute(
        f"INSERT INTO {table} ({', '.join(keys)}, {', '.join(columns)}) "
        f"SELECT * FROM unnest({arrays}) ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {added}",
        *[[k[i] for k in counts] for i in range(len(keys))], list(counts.values()),
        *(also or {}).values())


async def survey_results(pool: asyncpg.Pool, survey_id: UUID, node: str) -> dict[str, Any]:
    """One node's figures: responses, and per question its mean (scale) and answer counts."""
    q = f'"{SurveyResults.schema}"'
    survey = await pool.fetchrow(f"SELECT * FROM {q}.surveys WHERE id = $1", survey_id)
    responses = await pool.fetchval(
        f"SELECT responses FROM {q}.node_counts WHERE survey_id = $1 AND node = $2",
        survey_id, node) or 0
    sums = {r["question"]: r for r in await pool.fetch(
        f"SELECT question, total, n FROM {q}.scale_sums WHERE survey_id = $1 AND node = $2",
        survey_id, node)}
    counts: dict[str, dict[str, int]] = {}
    for r in await pool.fetch(
            f"SELECT question, answer, n FROM {q}.answer_counts WHERE survey_id = $1 "
            f"AND node = $2 ORDER BY answer", survey_id, node):
        counts.setdefault(r["question"], {})[r["answer"]] = r["n"]
    questions = []
    for question in json.loads(survey["questions"]) if survey else []:
        key = question["key"]
        out = {**question, "counts": counts.get(key, {})}
        if question["kind"] == "scale":
            s = sums.get(key)
            out["mean"] = round(s["total"] / s["n"], 4) if s and s["n"] else None
        questions.append(out)
    return {"survey_id": str(survey_id), "node": node, "responses": responses,
            "status": survey["status"] if survey else None, "questions": questions,
            "children": await _children(pool, survey_id, node)}


async def _children(pool: asyncpg.Pool, survey_id: UUID, node: str) -> list[dict[str, Any]]:
    """The node's children that heard from anyone, side by side: responses and the mean of
    each scale question."""
    q = f'"{SurveyResults.schema}"'
    rows = await pool.fetch(
        f"SELECT c.node, c.responses, COALESCE(json_object_agg(s.question, "
        f"round(s.total::numeric / s.n, 4)) FILTER (WHERE s.question IS NOT NULL), '{{}}')"
        f" AS means FROM {q}.node_counts c LEFT JOIN {q}.scale_sums s "
        f"ON s.survey_id = c.survey_id AND s.node = c.node "
        f"WHERE c.survey_id = $1 AND c.node LIKE $2 "
        f"AND cardinality(string_to_array(c.node, '.')) = $3 "
        f"GROUP BY c.node, c.responses ORDER BY c.node",
        survey_id, subtree_like(node), node.count(".") + 2)
    return [{"node": r["node"], "responses": r["responses"],
             "means": {k: float(v) for k, v in json.loads(r["means"]).items()}} for r in rows]


async def surveys_around(pool: asyncpg.Pool, node: str) -> list[dict[str, Any]]:
    """Surveys that cover `node` (opened at it or above) or lie beneath it, newest first."""
    rows = await pool.fetch(
        f'SELECT id, title, node, status, opened_at, closed_at FROM "{SurveyResults.schema}"'
        f".surveys WHERE node = ANY($1::text[]) OR node LIKE $2 ORDER BY opened_at DESC",
        ancestors_and_self(node), subtree_like(node))
    return [dict(r) for r in rows]
