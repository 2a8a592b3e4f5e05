"""Request and response bodies. Limits here are what turns bad input into a clear 422."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl

from shared.http import HistoryEntry
from shared.tiers import PATH_PATTERN

NodePath = Field(pattern=PATH_PATTERN, max_length=270, examples=["km.guandu.taihe.heping.g03"])
Channel = Literal["app", "hotline", "grid_patrol", "probe", "visit"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Location(Strict):
    lat: float = Field(ge=-90, le=90)
    lng: float = Field(ge=-180, le=180)
    address: str | None = Field(default=None, max_length=200)


class Contact(Strict):
    name: str | None = Field(default=None, max_length=50)
    phone: str | None = Field(default=None, pattern=r"^\+?[0-9][0-9 -]{4,19}$")


class RaiseIssueBody(Strict):
    node: str = NodePath
    title: str = Field(min_length=1, max_length=100)
    description: str = Field(default="", max_length=4000)
    category: str = Field(min_length=1, max_length=64)
    channel: Channel
    location: Location | None = None
    photos: list[HttpUrl] = Field(default_factory=list, max_length=9)
    contact: Contact | None = None


class ClassifyBody(Strict):
    category: str = Field(min_length=1, max_length=64)


class NoteBody(Strict):
    note: str = Field(default="", max_length=1000)


class Assignee(Strict):
    kind: Literal[
        "grid_worker", "building_head", "compound_head", "property_company",
        "owners_committee", "volunteer_team", "community_staff", "department",
    ]
    id: str = Field(min_length=1, max_length=64)
    name: str = Field(default="", max_length=100)


class AssignBody(Strict):
    assignee: Assignee
    note: str = Field(default="", max_length=1000)


class EscalateBody(Strict):
    to: str = NodePath
    reason: str = Field(min_length=1, max_length=1000)


class ResolveBody(Strict):
    resolution: str = Field(min_length=1, max_length=2000)
    evidence: list[HttpUrl] = Field(default_factory=list, max_length=9)


class IssueOut(BaseModel):
    id: str
    version: int
    node: str
    title: str
    description: str
    category: str
    channel: str
    status: str
    location: dict[str, Any] | None
    photos: list[str]
    reporter: str
    assignee: dict[str, Any] | None
    resolution: dict[str, Any] | None
    handling_node: str
    whistles: list[str]
    contact: dict[str, Any] | None = Field(
        description="shown only to the reporter and staff whose scope covers the issue"
    )
    history: list[HistoryEntry] | None = None


class IssueRow(BaseModel):
    id: str
    node: str
    status: str
    category: str
    channel: str
    title: str
    assignee: dict[str, Any] | None
    raised_at: str
    updated_at: str


class IssuePage(BaseModel):
    items: list[IssueRow]
    next_cursor: str | None


class NodeRef(BaseModel):
    path: str
    name: str
    level: str


class Counts(BaseModel):
    raised: int = 0
    acknowledged: int = 0
    assigned: int = 0
    resolved: int = 0
    closed: int = 0
    total: int = 0


class NodeSummary(NodeRef):
    counts: Counts


class TierNodeSummary(NodeSummary):
    mode: str = Field(description="daily or emergency (应急状态), as switched here or above")
    mode_set_at: str | None


class TierSummaryOut(BaseModel):
    node: TierNodeSummary
    children: list[NodeSummary]
