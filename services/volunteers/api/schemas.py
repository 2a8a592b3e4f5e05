"""Request bodies and responses of the volunteers API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from services.volunteers.domain.account import REWARD_KINDS
from services.volunteers.domain.rules import CODE_PATTERN, MAX_CIVIC_POINTS, PERSON_PATTERN
from services.volunteers.domain.team import TEAM_KINDS
from services.volunteers.domain.volunteer import KINDS, WEEKDAYS
from services.volunteers.domain.wish import WISH_KINDS
from shared.http import HistoryEntry
from shared.inputs import Instant
from shared.tiers import PATH_PATTERN

# An instant with its zone, within the years every service accepts (shared/inputs.py).
When = Annotated[AwareDatetime, Instant.__metadata__[0]]
Kind = Literal[KINDS]  # type: ignore[valid-type]
Day = Literal[WEEKDAYS]  # type: ignore[valid-type]
NodeField = Field(pattern=PATH_PATTERN, max_length=270,
                  examples=["wn.huayin.yuemiao.huayue.zhhsc"])
PersonField = Field(pattern=PERSON_PATTERN, examples=["p-hy-001"])
CodeField = Field(pattern=CODE_PATTERN)
Skills = Field(default_factory=list, max_length=20)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- volunteers and organisations -----------------------------------------------------------

class RegisterBody(Strict):
    person: str | None = Field(default=None, pattern=PERSON_PATTERN,
                               description="default: the caller")
    name: str = Field(min_length=1, max_length=50)
    kind: Kind
    home: str = NodeField
    organisation: str | None = Field(default=None, pattern=CODE_PATTERN)
    skills: list[str] = Skills
    availability: list[Day] = Field(default_factory=list, max_length=7)


class ProfileBody(Strict):
    skills: list[str] = Skills
    availability: list[Day] = Field(default_factory=list, max_length=7)


class MoveBody(Strict):
    home: str = NodeField
    reason: str = Field(min_length=1, max_length=500)


class ReasonBody(Strict):
    reason: str = Field(min_length=1, max_length=500)


class VolunteerOut(BaseModel):
    person: str
    name: str
    kind: str
    home: str
    community: str
    organisation: str | None
    skills: list[str]
    availability: list[str]
    active: bool
    registered_at: str
    version: int
    history: list[HistoryEntry] | None = None


class OrganisationBody(Strict):
    code: str = CodeField
    name: str = Field(min_length=1, max_length=100)
    node: str = NodeField
    commitments: list[str] = Field(default_factory=list, max_length=20)


class CommitmentsBody(Strict):
    commitments: list[str] = Field(max_length=20)


class OrganisationOut(BaseModel):
    code: str
    name: str
    node: str
    commitments: list[str]
    version: int


class RegisteredRow(BaseModel):
    person: str
    name: str
    kind: str
    home: str
    community: str
    organisation: str | None
    active: bool
    registered_at: str


class Registrations(BaseModel):
    node: str
    by_kind: dict[str, int]
    by_organisation: dict[str, int]
    party_members: int
    items: list[RegisteredRow]


# -- teams ----------------------------------------------------------------------------------

class TeamBody(Strict):
    node: str = NodeField
    code: str = CodeField
    name: str = Field(min_length=1, max_length=60)
    kind: Literal[TEAM_KINDS]  # type: ignore[valid-type]
    leader: str = PersonField


class MemberBody(Strict):
    person: str = PersonField


class LeaveBody(Strict):
    person: str = PersonField
    reason: str = Field(min_length=1, max_length=500)


class TeamRow(BaseModel):
    id: str
    node: str
    code: str
    name: str
    kind: str
    leader: str
    members: int  # how many, the leader among them
    mine: bool  # the caller is a member


class TeamOut(BaseModel):
    id: str
    node: str
    code: str
    name: str
    kind: str
    leader: str
    members: list[str]
    version: int


# -- wishes ---------------------------------------------------------------------------------

class WishBody(Strict):
    node: str = NodeField
    kind: Literal[WISH_KINDS]  # type: ignore[valid-type]
    text: str = Field(min_length=1, max_length=1000)
    wanted_by: When


class DispatchBody(Strict):
    team_id: UUID | None = Field(default=None, description="null: open it for claiming")


class FulfilBody(Strict):
    hours: float = Field(gt=0, le=24)
    note: str = Field(default="", max_length=1000)


class NoteBody(Strict):
    note: str = Field(default="", max_length=1000)


class WishOut(BaseModel):
    id: str
    node: str
    community: str
    poster: str
    kind: str
    text: str
    wanted_by: str
    status: str
    team: dict[str, str] | None
    claimer: str | None
    claimed_at: str | None
    hours: float | None
    flagged: bool
    posted_at: str
    version: int
    history: list[HistoryEntry] | None = None


class WishRow(BaseModel):
    id: str
    node: str
    kind: str
    text: str
    status: str
    team_name: str | None
    claimer: str | None
    posted_at: str
    wanted_by: str
    flagged: bool


# -- activities -----------------------------------------------------------------------------

class ActivityBody(Strict):
    node: str = NodeField
    title: str = Field(min_length=1, max_length=200)
    starts_at: When
    hours: float = Field(gt=0, le=24)
    slots: int = Field(ge=1, le=10000)


class Attendance(Strict):
    person: str = PersonField
    hours: float = Field(gt=0, le=24)


class AttendanceBody(Strict):
    attended: list[Attendance] = Field(min_length=1, max_length=500)


class ActivityOut(BaseModel):
    id: str
    node: str
    title: str
    starts_at: str
    hours: float
    slots: int
    participants: list[str]
    attended: list[str]
    version: int


# -- the time bank --------------------------------------------------------------------------

class AccountOut(BaseModel):
    person: str
    balance: int
    version: int


class Entry(BaseModel):
    kind: str
    points: int
    balance: int
    hours: float
    source: str | None
    node: str
    counterpart: str | None
    reward: str | None
    reason: str | None
    at: str


class Statement(BaseModel):
    person: str
    balance: int
    earned: int
    hours: float
    entries: list[Entry]


class CivicActBody(Strict):
    points: int = Field(gt=0, le=MAX_CIVIC_POINTS)
    node: str = NodeField
    reason: str = Field(min_length=1, max_length=500)


class RewardBody(Strict):
    node: str = NodeField
    code: str = CodeField
    name: str = Field(min_length=1, max_length=100)
    kind: Literal[REWARD_KINDS]  # type: ignore[valid-type]
    points: int = Field(gt=0, le=100000)
    stock: int = Field(ge=0, le=100000)


class RestockBody(Strict):
    quantity: int = Field(gt=0, le=100000)


class RewardOut(BaseModel):
    id: str
    node: str
    code: str
    name: str
    kind: str
    points: int
    stock: int


class RedeemBody(Strict):
    reward_id: UUID


class RedemptionOut(BaseModel):
    person: str
    balance: int
    reward: RewardOut


class GiftBody(Strict):
    to: str = PersonField
    points: int = Field(gt=0, le=100000)
    note: str = Field(default="", max_length=200)


# -- figures --------------------------------------------------------------------------------

class ServiceFigures(BaseModel):
    node: str | None = None
    team_id: str | None = None
    hours: float
    points: int
    wishes_posted: int
    wishes_claimed: int
    wishes_fulfilled: int
    wishes_confirmed: int
    median_minutes_to_claim: float | None


class LeaderRow(BaseModel):
    rank: int
    person: str
    name: str | None
    points: int
    hours: float


class Leaderboard(BaseModel):
    node: str
    since: datetime | None
    items: list[LeaderRow]


def iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None
