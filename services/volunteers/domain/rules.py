"""The time bank's exchange rates and the vocabularies shared by the aggregates.

One hour of service is worth POINTS_PER_HOUR points wherever it was given (a wish, an
activity); work on an issue assigned to a team has no measured hours and earns a flat amount.
"""

from __future__ import annotations

import re
from uuid import NAMESPACE_URL, UUID, uuid5

POINTS_PER_HOUR = 10
TEAM_ISSUE_POINTS = 20
PROBE_POINTS = 5  # a hazard reported by a courier (移动探头), once the issue is resolved
MAX_CIVIC_POINTS = 50  # one civic act recorded by staff (文明行为积分) earns at most this
MAX_HOURS = 24.0  # one wish or one activity attendance

# Person ids are the `sub` of their tokens ("p-hy-001", a phone-derived id, a staff id).
PERSON_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$"
CODE_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,47}$"
_PERSON_RE = re.compile(PERSON_PATTERN)
_CODE_RE = re.compile(CODE_PATTERN)

_NS = uuid5(NAMESPACE_URL, "https://gongzhi.dev/volunteers")


def id_for(kind: str, *parts: str) -> UUID:
    """Deterministic ids: the same person, code or request key always names the same
    aggregate, so a retried command finds what it already made."""
    return uuid5(_NS, "\x1f".join((kind, *parts)))


def is_person(value: str) -> bool:
    return bool(_PERSON_RE.match(value))


def is_code(value: str) -> bool:
    return bool(_CODE_RE.match(value))


def points_for_hours(hours: float) -> int:
    """Any service counts: a few minutes earn one point rather than none (a credit of zero
    points would be refused, and the policy handing it over would park it as a failure)."""
    return max(1, int(hours * POINTS_PER_HOUR + 0.5))  # half an hour-point rounds up
