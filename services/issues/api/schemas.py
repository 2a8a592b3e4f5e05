"""Request and response bodies. Limits here are what turns bad input into a clear 422."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, HttpUrl

from services.issues.photos.store import URL_PATTERN
from shared.http import HistoryEntry
from shared.tiers import LEVELS, PATH_PATTERN

NodePath = Field(pattern=PATH_PATTERN, max_length=270, examples=["km.guandu.taihe.heping.g03"])
Channel = Literal["app", "hotline", "grid_patrol", "probe", "visit"]
Level = Literal[LEVELS]  # type: ignore[valid-type]
# A photo: an http(s) link, or the URL `POST /v1/photos` answered (relative to this service).
PhotoUrl = HttpUrl | Annotated[str, Field(pattern=URL_PATTERN, max_length=64)]


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
    photos: list[PhotoUrl] = Field(default_factory=list, max_length=9)
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
    to: str | None = Field(default=None, pattern=PATH_PATTERN, max_length=270,
                           description="the tier above the handling node (the default)")
    reason: str = Field(min_length=1, max_length=1000)


class TriageBody(Strict):
    level: Level | None = Field(default=None, description="another handling level than the "
                                "category's; the reason says why")
    reason: str = Field(min_length=1, max_length=1000)


class ProgressBody(Strict):
    note: str = Field(min_length=1, max_length=2000)
    photos: list[PhotoUrl] = Field(default_factory=list, max_length=9)


class MergeBody(Strict):
    into: UUID = Field(description="the issue that stays; this one is merged into it")


class CategoryBody(Strict):
    name: str = Field(min_length=1, max_length=50)
    level: Level
    departments: list[str] = Field(default_factory=list, max_length=20)
    ack_hours: float = Field(gt=0, le=24 * 365)
    resolve_hours: float = Field(gt=0, le=24 * 365)
    top_name: str | None = Field(default=None, max_length=50,
                                 description="display name of a new top category")
    reason: str = Field(min_length=1, max_length=1000)


class RetireBody(Strict):
    reason: str = Field(min_length=1, max_length=1000)


class ResolveBody(Strict):
    resolution: str = Field(min_length=1, max_length=2000)
    evidence: list[PhotoUrl] = Field(default_factory=list, max_length=9)


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
    level: str | None = Field(description="the handling level triage chose")
    ack_by: str | None
    resolve_by: str | None
    round: int = Field(description="1, then one more after each reopening")
    reopenings: int
    supervised: list[str]
    assignees: list[dict[str, Any]]
    followers: list[str] = Field(description="reporters of duplicates merged into this one")
    cosigners: int = Field(default=0, description="residents who said \"me too\" (附议)")
    merged_into: str | None
    raised_at: str | None
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
    handling_node: str | None = None
    ack_by: str | None = Field(default=None, description="acknowledge by (this round)")
    resolve_by: str | None = Field(default=None, description="resolve by (this round)")
    cosigners: int = Field(default=0, description="residents who said \"me too\" (附议)")


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
    reopened: int = 0
    closed: int = 0
    merged: int = 0
    total: int = 0


class NodeSummary(NodeRef):
    counts: Counts


class TierNodeSummary(NodeSummary):
    mode: str = Field(description="daily or emergency (应急状态), as switched here or above")
    mode_set_at: str | None


class ChildSummary(TierNodeSummary):
    emergency_below: list[str] = Field(
        description="nodes beneath this child switched to emergency themselves (a street "
                    "in daily mode may hold a community in emergency)")


class TierSummaryOut(BaseModel):
    node: TierNodeSummary
    children: list[ChildSummary]
