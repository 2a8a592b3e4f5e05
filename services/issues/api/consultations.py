"""/v1/consultations: open a consultation (议事), add proposals, vote, close, conclude; the
list per node subtree and the notice board of published conclusions (公示)."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Header, Query, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from services.issues.api import schemas as s
from services.issues.api.deps import Issues, Pool, require_live_node
from services.issues.application import IssuesApplication
from services.issues.application_consultations import OpenConsultation
from services.issues.domain.consultation import (
    CHOICES,
    FORMS,
    MATTERS,
    PARTY_KINDS,
    RULES,
    STATUSES,
    WEIGHTS,
    Consultation,
)
from services.issues.projections import CONSULTATIONS
from services.issues.projections.departments import find_departments
from services.issues.projections.households import (
    areas_of,
    households_under,
    nodes_of,
    verified_households,
)
from shared import telemetry
from shared.auth import Principal
from shared.errors import Forbidden, Invalid
from shared.eventstore import meta
from shared.http import CurrentPrincipal, HistoryEntry
from shared.tiers import PATH_PATTERN, is_within, subtree_like

router = APIRouter(prefix="/v1/consultations", tags=["consultations (议事)"])
HOUSEHOLD = r"^[a-z0-9][a-z0-9-]{0,63}$"
DEPARTMENT_CODE = r"^[a-z0-9][a-z0-9_-]{0,31}$"
Household = Annotated[str, Field(pattern=HOUSEHOLD, examples=["jjy102-b1-301"])]


class Convenor(s.Strict):
    name: str = Field(min_length=1, max_length=50)
    role: str = Field(default="", max_length=50, examples=["社区党委书记"])


class Party(s.Strict):
    kind: Literal[PARTY_KINDS]  # type: ignore[valid-type]
    name: str = Field(min_length=1, max_length=100)
    department: str | None = Field(
        default=None, pattern=DEPARTMENT_CODE, examples=["km-cgj"],
        description="for kind department: the registered department's code")


class Proposal(s.Strict):
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)


class OpenBody(s.Strict):
    node: str = s.NodePath
    issue_id: UUID | None = None
    topic: str = Field(min_length=1, max_length=200)
    form: Literal[tuple(FORMS)] = Field(  # type: ignore[valid-type]
        description="forum 恳谈会, council 议事会, hearing 听证会, review 评议会")
    convenor: Convenor
    parties: list[Party] = Field(default_factory=list, max_length=50)
    proposals: list[Proposal] = Field(min_length=1, max_length=20)
    eligible_households: list[Household] | None = Field(
        default=None, min_length=1, max_length=5000,
        description="omitted: every household the register has at or under the node")
    rule: Literal[RULES]  # type: ignore[valid-type]
    weight: Literal[WEIGHTS] | None = Field(  # type: ignore[valid-type]
        default=None, description="households (default: one ballot weighs one) or area "
        "(each ballot weighs its household's floor area); not for civil_code_278")
    matter: Literal[MATTERS] | None = Field(  # type: ignore[valid-type]
        default=None, description="civil_code_278 only: major (items 6–8, three quarters) "
        "or ordinary (more than half)")
    quorum: str | float | None = Field(
        default=None, examples=["1/2"],
        description="share of eligible households that must vote; required by "
                    "two_thirds_eligible, optional for the others")
    allow_change: bool = True


class VoteBody(s.Strict):
    household: Household
    proposal: str = Field(pattern=r"^p[0-9]{1,3}$")
    choice: Literal[CHOICES]  # type: ignore[valid-type]


class Assignment(s.Assignee):
    task: str = Field(min_length=1, max_length=1000)


class ConcludeBody(s.Strict):
    conclusion: str = Field(min_length=1, max_length=4000)
    adopted: list[str] = Field(default_factory=list, max_length=20)
    assignments: list[Assignment] = Field(default_factory=list, max_length=50)


class VoteOut(BaseModel):
    household: str
    proposal: str
    choice: str
    recorded: bool = Field(description="false when it repeated the counted ballot")
    ballot: Literal["online", "paper"]


# -- access ----------------------------------------------------------------------------------

def _require_staff(who: Principal, node: str, doing: str) -> None:
    if not who.is_staff:
        raise Forbidden(f"a {who.role} may not {doing}; community and grid staff convene "
                        "consultations")
    who.require_scope(node, doing)


def _require_may_see(who: Principal, node: str) -> None:
    """Everyone under the node, or above it: a consultation is public to its place."""
    if not (who.covers(node) or is_within(who.scope, node)):
        raise Forbidden(f"{who.role} scoped to '{who.scope}' may not see a consultation at "
                        f"'{node}'", scope=who.scope, node=node)


async def _check_parties(pool: Pool, parties: list[Party], node: str) -> None:
    """A party may name a department: only a department party, a registered department,
    whose jurisdiction covers the meeting's node."""
    named = [p.department for p in parties if p.department]
    for n, p in enumerate(parties):
        if p.department and p.kind != "department":
            raise Invalid(f"parties.{n}: only a department party names a department code, "
                          f"not a {p.kind}", field=f"parties.{n}.department")
    if len(set(named)) != len(named):
        raise Invalid("a department is named twice among the parties", field="parties")
    known = await find_departments(pool, named)
    for n, p in enumerate(parties):
        if not p.department:
            continue
        department = known.get(p.department)
        if department is None:
            raise Invalid(f"parties.{n}: unknown department '{p.department}'",
                          field=f"parties.{n}.department")
        if not any(is_within(node, area) for area in department["jurisdiction"]):
            raise Invalid(f"parties.{n}: department {p.department}'s jurisdiction "
                          f"({', '.join(department['jurisdiction'])}) does not cover '{node}'",
                          field=f"parties.{n}.department")


def _ballot_of(who: Principal, node: str) -> str | None:
    """A resident votes online for a household (their account is recorded); staff record
    paper ballots cast at the meeting. Returns the resident account, None for paper."""
    if who.role == "resident":
        _require_may_see(who, node)
        return who.sub
    _require_staff(who, node, "record paper ballots")
    return None


# -- shapes ----------------------------------------------------------------------------------

def _out(app: IssuesApplication, c: Consultation, with_history: bool = False) -> dict[str, Any]:
    turnout = c.turnout()
    out: dict[str, Any] = {
        "id": str(c.id), "version": c.version, "node": c.node, "issue_id": c.issue_id,
        "topic": c.topic, "form": c.form, "form_name": FORMS[c.form], "convenor": c.convenor,
        "parties": c.parties, "rule": c.rule, "quorum": c.quorum, "weight": c.weight,
        "matter": c.matter, "areas": c.areas,
        "allow_change": c.allow_change, "status": c.status,
        "eligible_households": c.eligible,
        "proposals": [p | {"households_voted": turnout[p["id"]]} for p in c.proposals.values()],
        "opened_at": c.opened_at, "closed_at": c.closed_at, "tally": c.tally,
        "conclusion": c.conclusion,
    }
    if with_history:
        out["history"] = [HistoryEntry(**h) for h in app.consultation_history(c.id)]
    return out


def _row(r: Any) -> dict[str, Any]:
    out = {}
    for key, value in dict(r).items():
        if isinstance(value, str) and key in _JSON_COLUMNS:
            value = json.loads(value)
        out[key] = value.isoformat() if hasattr(value, "isoformat") else (
            str(value) if isinstance(value, UUID) else value)
    return out


_JSON_COLUMNS = {"convenor", "parties", "proposals", "tally", "adopted", "assignments"}


# -- commands --------------------------------------------------------------------------------

@router.post("", status_code=201, name="open_consultation")
async def open_consultation(
    body: OpenBody, who: CurrentPrincipal, issues: Issues, pool: Pool, response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=128)] = None,
) -> dict[str, Any]:
    """Open a consultation at a node, on an issue at or below it or on a topic of its own,
    with its proposals (numbered p1, p2, …), eligible households and threshold rule. A retry
    with the same `Idempotency-Key` returns the one the first call opened (200)."""
    _require_staff(who, body.node, "open a consultation")
    await require_live_node(pool, body.node)
    await _check_parties(pool, body.parties, body.node)
    if body.eligible_households is not None:
        eligible = list(body.eligible_households)
        # A household the register places elsewhere is not this meeting's to count.
        away = sorted(code for code, node in (await nodes_of(pool, eligible)).items()
                      if not is_within(node, body.node))
        if away:
            raise Invalid(f"the household register places {', '.join(away[:5])} outside "
                          f"'{body.node}'", field="eligible_households")
    else:
        eligible = list(await households_under(pool, body.node))
        if not eligible:
            raise Invalid(f"the household register has no household at or under "
                          f"'{body.node}'; name the eligible households",
                          field="eligible_households")
    areas = None
    if body.weight == "area" or body.rule == "civil_code_278":
        areas = {code: str(area) for code, area in (await areas_of(pool, eligible)).items()}
    cmd = OpenConsultation(
        node=body.node, issue_id=body.issue_id, topic=body.topic, form=body.form,
        convenor=body.convenor.model_dump(),
        parties=[p.model_dump(exclude_none=True) for p in body.parties],
        proposals=[p.model_dump() for p in body.proposals],
        eligible=eligible, rule=body.rule,
        quorum=None if body.quorum is None else str(body.quorum),
        allow_change=body.allow_change, weight=body.weight, matter=body.matter, areas=areas)
    with telemetry.span("issues open_consultation", node=body.node):
        consultation, created = await run_in_threadpool(
            issues.open_consultation, cmd, convenor=who.sub, meta=meta(who),
            idempotency_key=idempotency_key)
    if not created:
        response.status_code = 200
    response.headers["Location"] = f"/v1/consultations/{consultation.id}"
    return _out(issues, consultation)


async def _staff_act(issues: IssuesApplication, cid: UUID, who: Principal, doing: str,
                     command: Any, *args: Any) -> Any:
    node = await run_in_threadpool(issues.consultation_node, cid)
    _require_staff(who, node, doing)
    with telemetry.span(f"issues {command.__name__}", node=node):
        return await run_in_threadpool(command, cid, *args, meta(who))


@router.post("/{cid}/proposals", name="add_proposal")
async def add_proposal(cid: UUID, body: Proposal, who: CurrentPrincipal,
                       issues: Issues) -> dict[str, Any]:
    """A proposal that came up at the meeting, put to the vote while voting is open."""
    consultation = await _staff_act(issues, cid, who, "add a proposal", issues.add_proposal,
                                    body.title, body.description)
    return _out(issues, consultation)


@router.post("/{cid}/votes", response_model=VoteOut, name="cast_vote")
async def cast_vote(cid: UUID, body: VoteBody, who: CurrentPrincipal,
                    issues: Issues, pool: Pool) -> VoteOut:
    """One counted ballot per household per proposal. A resident's online ballot counts
    only for a household the register has them verified for. A different choice replaces
    the counted one while voting is open (unless the consultation forbids changes); the
    same choice again records nothing."""
    node = await run_in_threadpool(issues.consultation_node, cid)
    resident = _ballot_of(who, node)
    member_of = await verified_households(pool, resident) if resident else frozenset()
    with telemetry.span("issues cast_vote", node=node):
        recorded = await run_in_threadpool(
            issues.cast_vote, cid, body.household, body.proposal, body.choice, resident,
            meta(who), member_of)
    return VoteOut(household=body.household, proposal=body.proposal, choice=body.choice,
                   recorded=recorded, ballot="online" if resident else "paper")


@router.post("/{cid}/close", name="close_voting")
async def close_voting(cid: UUID, who: CurrentPrincipal, issues: Issues) -> dict[str, Any]:
    """Close voting: each proposal's tally under the rule, passed or not, with the numbers."""
    consultation = await _staff_act(issues, cid, who, "close voting", issues.close_voting)
    return _out(issues, consultation)


@router.post("/{cid}/conclude", name="conclude_consultation")
async def conclude(cid: UUID, body: ConcludeBody, who: CurrentPrincipal,
                   issues: Issues) -> dict[str, Any]:
    """Publish (公示) the conclusion: the adopted proposals (passed ones only) and who does
    what. On an issue, each assignment assigns the issue in the same transaction."""
    consultation = await _staff_act(
        issues, cid, who, "conclude a consultation", issues.conclude, body.conclusion,
        body.adopted, [a.model_dump() for a in body.assignments])
    return _out(issues, consultation)


# -- reads -----------------------------------------------------------------------------------

@router.get("/notices", name="consultation_notices")
async def notices(
    who: CurrentPrincipal, pool: Pool,
    node: Annotated[str | None, Query(pattern=PATH_PATTERN)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[dict[str, Any]]:
    """The notice board (公示栏): published conclusions in the node's subtree, newest first,
    each with its tally and assignments."""
    node = node or who.scope
    who.require_scope(node, "read the notice board")
    rows = await pool.fetch(
        f'SELECT id, node, issue_id, topic, form, rule, proposals, tally, conclusion, '
        f'adopted, assignments, published_at FROM "{CONSULTATIONS.schema}".consultations '
        f"WHERE status = 'concluded' AND (node = $1 OR node LIKE $2) "
        f"ORDER BY published_at DESC, id LIMIT $3", node, subtree_like(node), limit)
    return [_row(r) for r in rows]


@router.get("", name="list_consultations")
async def list_consultations(
    who: CurrentPrincipal, pool: Pool,
    node: Annotated[str | None, Query(pattern=PATH_PATTERN)] = None,
    status: Annotated[Literal[STATUSES] | None, Query()] = None,  # type: ignore[valid-type]
    department: Annotated[str | None, Query(
        pattern=DEPARTMENT_CODE, description="only those this department is a party to")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[dict[str, Any]]:
    """Consultations in the node's subtree (the caller's scope by default), newest first;
    `department` narrows to the ones naming it among the parties. Department staff list the
    consultations their own department takes part in."""
    node = node or who.scope
    if who.role == "department_staff" and department != who.department:
        raise Forbidden("department staff list the consultations their own department "
                        f"takes part in: add department={who.department}")
    who.require_scope(node, "list consultations")
    party = json.dumps([{"department": department}]) if department else None
    rows = await pool.fetch(
        f'SELECT * FROM "{CONSULTATIONS.schema}".consultations '
        f"WHERE (node = $1 OR node LIKE $2) AND ($3::text IS NULL OR status = $3) "
        f"AND ($5::jsonb IS NULL OR parties @> $5::jsonb) "
        f"ORDER BY opened_at DESC, id LIMIT $4", node, subtree_like(node), status, limit, party)
    return [_row(r) for r in rows]


@router.get("/{cid}", name="get_consultation")
async def get_consultation(cid: UUID, who: CurrentPrincipal, issues: Issues) -> dict[str, Any]:
    """A consultation, its proposals with how many households voted (the split is shown
    once voting closes), the tally and the conclusion. Staff over the node also get its
    history, every ballot included (实名投票: the record is kept for audit)."""
    consultation = await run_in_threadpool(issues.get_consultation, cid)
    _require_may_see(who, consultation.node)
    auditor = who.is_staff and who.covers(consultation.node)
    return await run_in_threadpool(_out, issues, consultation, auditor)
