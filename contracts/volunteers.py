"""The events the volunteers service publishes."""

from __future__ import annotations

from typing import TypedDict

from contracts import Payload, contract


class TeamRef(TypedDict):
    id: str
    name: str


@contract("gongzhi.volunteer.registered.v1",
          "A volunteer or party member registered at their community.")
class VolunteerRegistered(Payload):
    person: str
    name: str
    kind: str
    home: str
    community: str
    organisation: str | None
    skills: list[str]
    availability: list[str]
    at: str


@contract("gongzhi.volunteer.profile_updated.v1",
          "A volunteer's skills or availability changed.")
class VolunteerProfileUpdated(Payload):
    person: str
    skills: list[str]
    availability: list[str]
    at: str


@contract("gongzhi.volunteer.moved.v1",
          "A volunteer moved home.")
class VolunteerMoved(Payload):
    person: str
    from_home: str
    from_community: str
    home: str
    community: str
    reason: str
    at: str


@contract("gongzhi.volunteer.deregistered.v1",
          "A volunteer deregistered.")
class VolunteerDeregistered(Payload):
    person: str
    reason: str
    community: str
    at: str


@contract("gongzhi.organisation.registered.v1",
          "An organisation registered to pair with a community or street.")
class OrganisationRegistered(Payload):
    code: str
    name: str
    node: str
    commitments: list[str]
    at: str


@contract("gongzhi.organisation.commitments_set.v1",
          "An organisation's commitments changed.")
class OrganisationCommitmentsSet(Payload):
    code: str
    commitments: list[str]
    previous: list[str]
    at: str


@contract("gongzhi.team.formed.v1",
          "A volunteer team was formed.")
class TeamFormed(Payload):
    node: str
    code: str
    name: str
    kind: str
    leader: str
    at: str


@contract("gongzhi.team.member_joined.v1",
          "A person joined a team.")
class TeamMemberJoined(Payload):
    person: str
    at: str


@contract("gongzhi.team.member_left.v1",
          "A person left a team.")
class TeamMemberLeft(Payload):
    person: str
    reason: str
    at: str


@contract("gongzhi.team.leader_changed.v1",
          "A team's leader changed.")
class TeamLeaderChanged(Payload):
    person: str
    previous: str
    at: str


@contract("gongzhi.wish.posted.v1",
          "A resident posted a wish.")
class WishPosted(Payload):
    node: str
    community: str
    poster: str
    kind: str
    text: str
    wanted_by: str
    at: str


@contract("gongzhi.wish.dispatched.v1",
          "A wish was dispatched to a team, or opened to all.")
class WishDispatched(Payload):
    team: TeamRef | None
    at: str


@contract("gongzhi.wish.claimed.v1",
          "A volunteer claimed a wish.")
class WishClaimed(Payload):
    volunteer: str
    team: TeamRef | None
    at: str


@contract("gongzhi.wish.fulfilled.v1",
          "A volunteer reported a wish fulfilled.")
class WishFulfilled(Payload):
    volunteer: str
    hours: float
    note: str
    at: str


@contract("gongzhi.wish.confirmed.v1",
          "The poster confirmed the wish fulfilled; the time bank credits it.")
class WishConfirmed(Payload):
    volunteer: str
    hours: float
    team: TeamRef | None
    note: str
    at: str


@contract("gongzhi.wish.disputed.v1",
          "The poster disputed a fulfilment.")
class WishDisputed(Payload):
    volunteer: str
    reason: str
    at: str


@contract("gongzhi.wish.reopened.v1",
          "Staff put a disputed wish out again.")
class WishReopened(Payload):
    team: TeamRef | None
    previous_claimer: str | None
    reason: str
    at: str


@contract("gongzhi.wish.withdrawn.v1",
          "The poster withdrew a wish before it was claimed.")
class WishWithdrawn(Payload):
    reason: str
    at: str


@contract("gongzhi.wish.flagged_overdue.v1",
          "A wish stayed unclaimed past its date.")
class WishFlaggedOverdue(Payload):
    community: str
    wanted_by: str
    at: str


@contract("gongzhi.activity.published.v1",
          "A volunteer activity was published.")
class ActivityPublished(Payload):
    node: str
    title: str
    starts_at: str
    hours: float
    slots: int
    at: str


@contract("gongzhi.activity.signed_up.v1",
          "A person signed up for an activity.")
class ActivitySignedUp(Payload):
    person: str
    at: str


@contract("gongzhi.activity.sign_up_cancelled.v1",
          "A person cancelled their sign-up.")
class ActivitySignUpCancelled(Payload):
    person: str
    reason: str
    at: str


@contract("gongzhi.activity.attended.v1",
          "A person's attendance was recorded; the time bank credits it.")
class ActivityAttended(Payload):
    person: str
    hours: float
    at: str


@contract("gongzhi.account.opened.v1",
          "A person's time-bank account was opened.")
class AccountOpened(Payload):
    person: str
    node: str


@contract("gongzhi.account.credited.v1",
          "A time-bank account was credited.")
class AccountCredited(Payload):
    person: str
    source: str
    source_id: str
    points: int
    hours: float
    node: str
    team: TeamRef | None
    reason: str
    balance: int
    at: str


@contract("gongzhi.account.redeemed.v1",
          "Points were redeemed for a reward.")
class AccountRedeemed(Payload):
    person: str
    redemption_id: str
    reward_id: str
    reward: str
    points: int
    balance: int
    at: str


@contract("gongzhi.account.gift_sent.v1",
          "Points were given to another person.")
class AccountGiftSent(Payload):
    person: str
    gift_id: str
    to: str
    points: int
    note: str
    balance: int
    at: str


@contract("gongzhi.account.gift_received.v1",
          "Points were received as a gift.")
class AccountGiftReceived(Payload):
    person: str
    gift_id: str
    sender: str
    points: int
    note: str
    balance: int
    at: str


@contract("gongzhi.reward.listed.v1",
          "A reward was listed.")
class RewardListed(Payload):
    node: str
    code: str
    name: str
    kind: str
    points: int
    stock: int
    at: str


@contract("gongzhi.reward.restocked.v1",
          "A reward was restocked.")
class RewardRestocked(Payload):
    quantity: int
    stock: int
    at: str


@contract("gongzhi.reward.handed_out.v1",
          "A reward was handed out for a redemption.")
class RewardHandedOut(Payload):
    redemption_id: str
    person: str
    stock: int
    at: str
