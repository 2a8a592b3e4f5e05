"""/v1/issues: raise, act on, read and list issues."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Header, Query, Response
from starlette.concurrency import run_in_threadpool

from services.issues.api import schemas as s
from services.issues.api.deps import (
    Issues,
    Pool,
    may_see_contact,
    require_live_node,
    require_may_handle,
    require_may_raise,
    require_may_see,
    require_uploaded,
    teams_for,
)
from services.issues.api.filters import (
    Where,
    make_cosigned_cursor,
    make_cursor,
    read_cosigned_cursor,
)
from services.issues.application import IssuesApplication, RaiseIssue
from services.issues.domain.issue import OPEN, STATUSES, Issue
from services.issues.placement import placement_of
from services.issues.projections import ISSUE_LIST
from shared import telemetry
from shared.auth import Principal
from shared.errors import Forbidden
from shared.eventstore import meta
from shared.http import CurrentPrincipal, HistoryEntry
from shared.tiers import PATH_PATTERN, is_within, parent_of

router = APIRouter(prefix="/v1/issues", tags=["issues"])
Status = Literal[STATUSES]  # type: ignore[valid-type]


def _out(app: IssuesApplication, who: Principal, issue: Issue, history: bool) -> s.IssueOut:
    return s.IssueOut(
        id=str(issue.id),
        version=issue.version,
        node=issue.node,
        title=issue.title,
        description=issue.description,
        category=issue.category,
        channel=issue.channel,
        status=issue.status,
        location=issue.location,
        photos=issue.photos,
        reporter=issue.reporter,
        assignee=issue.assignee,
        resolution=issue.resolution,
        handling_node=issue.handling_node,
        whistles=issue.whistles,
        level=issue.level,
        ack_by=issue.ack_by,
        resolve_by=issue.resolve_by,
        round=issue.round,
        reopenings=issue.reopenings,
        supervised=issue.supervised,
        assignees=issue.assignees,
        followers=issue.followers,
        cosigners=len(issue.cosigners),
        merged_into=issue.merged_into,
        raised_at=issue.raised_at,
        contact=app.contact_of(issue) if may_see_contact(who, issue) else None,
        history=[HistoryEntry(**h) for h in app.history(issue.id)] if history else None,
    )


@router.post("", status_code=201, response_model=s.IssueOut, name="raise_issue")
async def raise_issue(
    body: s.RaiseIssueBody,
    who: CurrentPrincipal,
    issues: Issues,
    pool: Pool,
    response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=128)] = None,
) -> s.IssueOut:
    """Raise an issue at a tier node. Retrying with the same `Idempotency-Key` returns the
    issue the first call made (200), never a second one."""
    require_may_raise(who, body.node)
    await run_in_threadpool(lambda: issues.catalog().rule_for(body.category))
    await require_live_node(pool, body.node)
    await require_uploaded(pool, [str(p) for p in body.photos], "photos")
    placement = await placement_of(pool, body.node)
    cmd = RaiseIssue(
        node=body.node,
        title=body.title,
        description=body.description,
        category=body.category,
        channel=body.channel,
        location=body.location.model_dump() if body.location else None,
        photos=[str(p) for p in body.photos],
        contact=body.contact.model_dump(exclude_none=True) if body.contact else None,
    )
    with telemetry.span("issues raise_issue", node=body.node):
        issue, created = await run_in_threadpool(
            issues.raise_issue, cmd, reporter=who.sub, meta=meta(who), placement=placement,
            idempotency_key=idempotency_key,
        )
    if not created:
        response.status_code = 200
    response.headers["Location"] = f"/v1/issues/{issue.id}"
    return _out(issues, who, issue, history=False)


@router.get("/{issue_id}", response_model=s.IssueOut, name="get_issue")
async def get_issue(issue_id: UUID, who: CurrentPrincipal, issues: Issues,
                    pool: Pool) -> s.IssueOut:
    """An issue's state and its full history: who did what, when."""
    issue = await run_in_threadpool(issues.get_issue, issue_id)
    require_may_see(who, issue, await teams_for(pool, who, issue))
    return await run_in_threadpool(_out, issues, who, issue, True)


async def _act(issues: IssuesApplication, issue_id: UUID, who: Principal, doing: str,
               command: Any, *args: Any, act: str = "handle",
               pool: Pool | None = None) -> s.IssueOut:
    """`pool`: where the act is one an assignee may do, to find the caller's teams."""
    issue = await run_in_threadpool(issues.get_issue, issue_id)
    teams = await teams_for(pool, who, issue) if pool is not None else frozenset()
    stamped = meta(who)  # names the caller as the actor of this request's Idempotency-Key
    # A retry of what this very caller already did answers as the first did, even where the
    # change itself took their right away (an escalation hands the issue up).
    if not await run_in_threadpool(issues.done_before, issue):
        require_may_handle(who, issue, doing, act, teams)
    with telemetry.span(f"issues {command.__name__}", node=issue.node):
        issue = await run_in_threadpool(command, issue_id, *args, stamped)
    return _out(issues, who, issue, history=False)


@router.post("/{issue_id}/classify", response_model=s.IssueOut, name="classify_issue")
async def classify(issue_id: UUID, body: s.ClassifyBody, who: CurrentPrincipal,
                   issues: Issues, pool: Pool) -> s.IssueOut:
    """Another category: the issue is routed again by that category's rule."""
    issue = await run_in_threadpool(issues.get_issue, issue_id)
    placement = await placement_of(pool, issue.node)
    return await _act(issues, issue_id, who, "classify issues", issues.classify, body.category,
                      placement)


@router.post("/{issue_id}/triage", response_model=s.IssueOut, name="triage_issue")
async def triage(issue_id: UUID, body: s.TriageBody, who: CurrentPrincipal,
                 issues: Issues, pool: Pool) -> s.IssueOut:
    """理事: route the issue again, by its category or to another level with a reason
    (小事支部办、大事社区结). The deadlines still run from when it was raised."""
    issue = await run_in_threadpool(issues.get_issue, issue_id)
    placement = await placement_of(pool, issue.node)
    return await _act(issues, issue_id, who, "triage issues", issues.triage, body.level,
                      body.reason, placement)


@router.post("/{issue_id}/progress", response_model=s.IssueOut, name="note_progress")
async def note_progress(issue_id: UUID, body: s.ProgressBody, who: CurrentPrincipal,
                        issues: Issues, pool: Pool) -> s.IssueOut:
    """干事: a progress note with photos, for the reporter and the tiers above."""
    await require_uploaded(pool, [str(u) for u in body.photos], "photos")
    return await _act(issues, issue_id, who, "add progress notes", issues.note_progress,
                      body.note, [str(u) for u in body.photos], act="progress", pool=pool)


@router.post("/{issue_id}/merge", response_model=s.IssueOut, name="merge_issue")
async def merge(issue_id: UUID, body: s.MergeBody, who: CurrentPrincipal,
                issues: Issues) -> s.IssueOut:
    """This issue duplicates another at the same place: it closes into that one, and its
    reporters follow the survivor and are told its outcome. Returns the survivor."""
    for other in (issue_id, body.into):
        require_may_handle(who, await run_in_threadpool(issues.get_issue, other),
                           "merge issues")
    with telemetry.span("issues merge"):
        _, survivor = await run_in_threadpool(issues.merge, issue_id, body.into, meta(who))
    return _out(issues, who, survivor, history=False)


@router.post("/{issue_id}/acknowledge", response_model=s.IssueOut, name="acknowledge_issue")
async def acknowledge(issue_id: UUID, body: s.NoteBody, who: CurrentPrincipal,
                      issues: Issues) -> s.IssueOut:
    return await _act(issues, issue_id, who, "acknowledge issues", issues.acknowledge, body.note)


@router.post("/{issue_id}/assign", response_model=s.IssueOut, name="assign_issue")
async def assign(issue_id: UUID, body: s.AssignBody, who: CurrentPrincipal,
                 issues: Issues) -> s.IssueOut:
    return await _act(issues, issue_id, who, "assign issues", issues.assign,
                      body.assignee.model_dump(), body.note)


@router.post("/{issue_id}/resolve", response_model=s.IssueOut, name="resolve_issue")
async def resolve(issue_id: UUID, body: s.ResolveBody, who: CurrentPrincipal,
                  issues: Issues, pool: Pool) -> s.IssueOut:
    await require_uploaded(pool, [str(u) for u in body.evidence], "evidence")
    return await _act(issues, issue_id, who, "resolve issues", issues.resolve,
                      body.resolution, [str(u) for u in body.evidence], act="resolve",
                      pool=pool)


@router.post("/{issue_id}/escalate", response_model=s.IssueOut, name="escalate_issue")
async def escalate(issue_id: UUID, body: s.EscalateBody, who: CurrentPrincipal,
                   issues: Issues, pool: Pool) -> s.IssueOut:
    """逐级上报: hand the issue to the tier directly above the one now handling it."""
    issue = await run_in_threadpool(issues.get_issue, issue_id)
    to = body.to or parent_of(issue.handling_node) or issue.handling_node
    await require_live_node(pool, to)
    return await _act(issues, issue_id, who, "escalate issues", issues.escalate, to,
                      body.reason)


@router.post("/{issue_id}/close", response_model=s.IssueOut, name="close_issue")
async def close(issue_id: UUID, body: s.NoteBody, who: CurrentPrincipal,
                issues: Issues) -> s.IssueOut:
    return await _act(issues, issue_id, who, "close issues", issues.close_issue, body.note)


@router.post("/{issue_id}/cosign", name="cosign_issue")
async def cosign(issue_id: UUID, who: CurrentPrincipal, issues: Issues) -> dict[str, Any]:
    """"Me too" (附议): a resident at or near the issue's place co-signs an open issue. They
    follow it (see it in /v1/me/issues, are told its outcome, may rate it), it rises in
    inboxes sorted by `cosigners`, and counts one more person affected. Once per resident:
    again, or co-signing one's own issue, records nothing (`recorded: false`)."""
    if who.role != "resident":
        raise Forbidden(f"a {who.role} does not co-sign issues; residents say \"me too\"")
    issue = await run_in_threadpool(issues.get_issue, issue_id)
    if not (who.covers(issue.node) or is_within(who.scope, issue.node)):
        raise Forbidden(f"resident scoped to '{who.scope}' may co-sign issues at or near "
                        f"their place, not at '{issue.node}'", scope=who.scope,
                        node=issue.node)
    with telemetry.span("issues cosign", node=issue.node):
        issue, recorded = await run_in_threadpool(issues.cosign, issue_id, who.sub, meta(who))
    return {"id": str(issue.id), "cosigners": len(issue.cosigners), "recorded": recorded,
            "following": True}


@router.get("", response_model=s.IssuePage, name="list_issues")
async def list_issues(
    who: CurrentPrincipal,
    pool: Pool,
    node: Annotated[str | None, Query(pattern=PATH_PATTERN)] = None,
    status: Annotated[Status | None, Query()] = None,
    category: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    open_only: Annotated[bool, Query(alias="open", description="only issues still being "
                                     "handled (raised, acknowledged, assigned, reopened)")]
    = False,
    sort: Annotated[Literal["newest", "cosigners"], Query(
        description="newest first, or most co-signed first (then newest)")] = "newest",
) -> s.IssuePage:
    """Issues at a node and all its descendants, newest first (or most co-signed first),
    with their deadlines (an inbox sorts by them). Residents list their own."""
    where = Where()
    if who.role == "resident":
        where.add(f"reporter = {where.arg(who.sub)}")
    elif who.role == "department_staff":
        where.add("assignee->>'kind' = 'department' "
                  f"AND assignee->>'id' = {where.arg(who.department)}")
    else:
        node = node or who.scope
        who.require_scope(node, "list issues")
    by_cosigners = sort == "cosigners"
    where.common(node, status, category, None if by_cosigners else cursor)
    if open_only:
        where.add(f"status = ANY({where.arg(list(OPEN))}::text[])")
    if by_cosigners and cursor:
        count, at, last_id = read_cosigned_cursor(cursor)
        where.add(f"(cosigners, raised_at, id) < ({where.arg(count)}, {where.arg(at)}, "
                  f"{where.arg(last_id)})")
    order = "cosigners DESC, raised_at DESC, id DESC" if by_cosigners else "raised_at DESC, id DESC"
    rows = await pool.fetch(
        f'SELECT * FROM "{ISSUE_LIST.schema}".issues WHERE {where.sql} '
        f"ORDER BY {order} LIMIT {where.arg(limit + 1)}", *where.args)
    more = len(rows) > limit
    rows = rows[:limit]
    items = [
        s.IssueRow(
            id=str(r["id"]), node=r["node"], status=r["status"], category=r["category"],
            channel=r["channel"], title=r["title"],
            assignee=json.loads(r["assignee"]) if r["assignee"] else None,
            raised_at=r["raised_at"].isoformat(), updated_at=r["updated_at"].isoformat(),
            handling_node=r["handling_node"], ack_by=_iso(r["ack_by"]),
            resolve_by=_iso(r["resolve_by"]),
            cosigners=r["cosigners"],
        )
        for r in rows
    ]
    next_cursor = None
    if more:
        last = rows[-1]
        next_cursor = (make_cosigned_cursor(last["cosigners"], last["raised_at"], last["id"])
                       if by_cosigners else make_cursor(last["raised_at"], last["id"]))
    return s.IssuePage(items=items, next_cursor=next_cursor)


def _iso(at: Any) -> str | None:
    return at.isoformat() if at else None
