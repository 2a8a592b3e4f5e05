"""/v1/party-organisations and /v1/co-governance: the party organisation on the tier tree
and each compound's owners' committee and property company; `GET
/v1/nodes/{path}/co-governance` is a compound's "one centre, three parties" (一个中心
三方共治). Joint meetings of the four parties are the issues service's consultation form
`joint_meeting` (四方联席会议)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from services.grid.api.people import require_manager
from services.grid.application import GridApplication
from services.grid.domain.party import BODY_KINDS, PARTY_KINDS
from services.grid.projections.party import compound_page, secretaries_of
from shared.eventstore import meta
from shared.http import CurrentPrincipal, HistoryEntry, ReadPool, ServiceApp
from shared.inputs import in_range
from shared.tiers import PATH_PATTERN

router = APIRouter(tags=["party organisations (一个中心 三方共治)"])
Grid = Annotated[GridApplication, ServiceApp]
NodePath = Annotated[str, Path(pattern=PATH_PATTERN)]
PartyKind = Literal[tuple(PARTY_KINDS)]  # type: ignore[valid-type]
BodyKind = Literal[tuple(BODY_KINDS)]  # type: ignore[valid-type]
NodeField = Field(pattern=PATH_PATTERN, max_length=270)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Secretary(Strict):
    name: str = Field(min_length=1, max_length=50)
    person: str | None = Field(default=None, max_length=64,
                               description="their staff or person id, when they have one")


class EstablishBody(Strict):
    node: str = NodeField
    kind: PartyKind
    name: str = Field(min_length=1, max_length=100, examples=["中海华山城小区党支部"])
    secretary: Secretary


class SecretaryBody(Strict):
    secretary: Secretary
    reason: str = Field(min_length=1, max_length=500)


class ReasonBody(Strict):
    reason: str = Field(min_length=1, max_length=500)


class BodyBody(Strict):
    node: str = NodeField
    kind: BodyKind
    name: str = Field(min_length=1, max_length=100)
    term_from: date
    term_to: date
    contact: str = Field(default="", max_length=100)


class RenewBody(Strict):
    name: str = Field(min_length=1, max_length=100)
    term_from: date
    term_to: date
    contact: str = Field(default="", max_length=100)
    reason: str = Field(min_length=1, max_length=500)


class OrganisationOut(BaseModel):
    node: str
    kind: str
    name: str
    secretary: dict[str, Any]
    secretary_since: str
    active: bool
    version: int
    secretaries: list[dict[str, Any]] | None = None
    history: list[HistoryEntry] | None = None


class BodyOut(BaseModel):
    node: str
    kind: str
    name: str
    term_from: str
    term_to: str
    contact: str
    active: bool
    version: int
    history: list[HistoryEntry] | None = None


class CoGovernanceOut(BaseModel):
    node: str
    centre: dict[str, Any] | None
    owners_committee: dict[str, Any] | None
    property_company: dict[str, Any] | None
    here: list[dict[str, Any]]
    above: list[dict[str, Any]]
    beneath: list[dict[str, Any]]


def _org(o: Any, history: list[dict[str, Any]] | None = None,
         secretaries: list[dict[str, Any]] | None = None) -> OrganisationOut:
    return OrganisationOut(
        node=o.node, kind=o.kind, name=o.name, secretary=o.secretary,
        secretary_since=o.secretary_since, active=o.active, version=o.version,
        secretaries=secretaries,
        history=[HistoryEntry(**h) for h in history] if history is not None else None)


def _body(b: Any, history: list[dict[str, Any]] | None = None) -> BodyOut:
    return BodyOut(node=b.node, kind=b.kind, name=b.name, term_from=b.term_from,
                   term_to=b.term_to, contact=b.contact, active=b.active, version=b.version,
                   history=[HistoryEntry(**h) for h in history] if history is not None else None)


def _term(term_from: date, term_to: date) -> tuple[date, date]:
    return in_range(term_from, "term_from"), in_range(term_to, "term_to")


@router.post("/v1/party-organisations", status_code=201, response_model=OrganisationOut,
             name="establish_party_organisation")
async def establish(body: EstablishBody, who: CurrentPrincipal, grid: Grid) -> OrganisationOut:
    """Attach a party organisation to a node, with its secretary (one of each kind per
    node): 街道党工委 at a street … 党员中心户 at a building or unit."""
    require_manager(who, body.node, "establish party organisations")
    o = await run_in_threadpool(grid.establish_party_organisation, body.node, body.kind,
                                body.name, body.secretary.model_dump(), meta(who))
    return _org(o)


@router.get("/v1/party-organisations/{node}/{kind}", response_model=OrganisationOut,
            name="get_party_organisation")
async def get_organisation(node: NodePath, kind: PartyKind, who: CurrentPrincipal, grid: Grid,
                           pool: ReadPool) -> OrganisationOut:
    """An organisation, its secretaries with their time in office, and its history."""
    o = await run_in_threadpool(grid.get_party_organisation, node, kind)
    return _org(o, await run_in_threadpool(grid.party_history, o),
                await secretaries_of(pool, node, kind))


@router.post("/v1/party-organisations/{node}/{kind}/secretary",
             response_model=OrganisationOut, name="change_party_secretary")
async def change_secretary(node: NodePath, kind: PartyKind, body: SecretaryBody,
                           who: CurrentPrincipal, grid: Grid) -> OrganisationOut:
    require_manager(who, node, "change a party secretary")
    return _org(await run_in_threadpool(grid.change_secretary, node, kind,
                                        body.secretary.model_dump(), body.reason, meta(who)))


@router.post("/v1/party-organisations/{node}/{kind}/dissolve",
             response_model=OrganisationOut, name="dissolve_party_organisation")
async def dissolve(node: NodePath, kind: PartyKind, body: ReasonBody, who: CurrentPrincipal,
                   grid: Grid) -> OrganisationOut:
    require_manager(who, node, "dissolve party organisations")
    return _org(await run_in_threadpool(grid.dissolve_party_organisation, node, kind,
                                        body.reason, meta(who)))


@router.post("/v1/co-governance", status_code=201, response_model=BodyOut,
             name="form_co_governance_body")
async def form(body: BodyBody, who: CurrentPrincipal, grid: Grid) -> BodyOut:
    """A compound's owners' committee (its term) or property company (its contract)."""
    require_manager(who, body.node, "record co-governance bodies")
    term_from, term_to = _term(body.term_from, body.term_to)
    return _body(await run_in_threadpool(grid.form_body, body.node, body.kind, body.name,
                                         term_from, term_to, body.contact, meta(who)))


@router.get("/v1/co-governance/{node}/{kind}", response_model=BodyOut,
            name="get_co_governance_body")
async def get_body(node: NodePath, kind: BodyKind, who: CurrentPrincipal,
                   grid: Grid) -> BodyOut:
    b = await run_in_threadpool(grid.get_body, node, kind)
    return _body(b, await run_in_threadpool(grid.party_history, b))


@router.post("/v1/co-governance/{node}/{kind}/renew", response_model=BodyOut,
             name="renew_co_governance_body")
async def renew(node: NodePath, kind: BodyKind, body: RenewBody, who: CurrentPrincipal,
                grid: Grid) -> BodyOut:
    """换届, a new contract, or another company: the previous term stays in the history."""
    require_manager(who, node, "renew co-governance bodies")
    term_from, term_to = _term(body.term_from, body.term_to)
    return _body(await run_in_threadpool(grid.renew_body, node, kind, body.name, term_from,
                                         term_to, body.contact, body.reason, meta(who)))


@router.post("/v1/co-governance/{node}/{kind}/end", response_model=BodyOut,
             name="end_co_governance_body")
async def end(node: NodePath, kind: BodyKind, body: ReasonBody, who: CurrentPrincipal,
              grid: Grid) -> BodyOut:
    require_manager(who, node, "end co-governance bodies")
    return _body(await run_in_threadpool(grid.end_body, node, kind, body.reason, meta(who)))


@router.get("/v1/nodes/{path}/co-governance", response_model=CoGovernanceOut,
            name="co_governance_at")
async def at_node(path: NodePath, who: CurrentPrincipal, pool: ReadPool) -> CoGovernanceOut:
    """一个中心 三方共治: the compound branch at the centre, the owners' committee and the
    property company (the residents are the third party), the party organisations above
    that lead it and those beneath it (building groups, party-member households)."""
    return CoGovernanceOut(**await compound_page(pool, path))
