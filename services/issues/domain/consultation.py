"""A consultation (协商议事): a meeting at a tier node, on an issue or on a topic of its own,
where invited parties deliberate and eligible households vote on proposals under a threshold
rule fixed when it opens. Voting closes with a tally per proposal; the conclusion adopts
passed proposals, names who does what, and is published (公示) at once.

The threshold rules follow the Civil Code's reading of Chinese numbers (民法典 第1259条):
"过半数" (a simple majority) is strictly more than half; "三分之二以上" (two thirds) includes
exactly two thirds. A ballot cast is yes, no or abstain: an abstaining household took part
(it counts towards the quorum and the votes cast) but did not approve, as owners' meetings
count participants (民法典 第278条).

Owners' decisions under 民法典 第278条 (`civil_code_278`) count owners twice: by number and by
floor area (专有部分面积). At least two thirds of the area AND two thirds of the owners take
part; of those taking part, three quarters of the area AND of the owners approve a major
matter (items 6–8: maintenance funds, rebuilding, changing the use of common parts), more
than half of each an ordinary one. One household (专有部分) is one owner, as the Supreme
People's Court counts them (法释〔2009〕7号 第八、九条). Arithmetic is exact (fractions):
areas carry at most two decimals, so "needed" is the smallest multiple of 0.01 m² that
reaches the share.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from math import ceil, floor
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from services.issues.domain.issue import ASSIGNEE_KINDS
from shared.domain import Meta, TieredAggregate
from shared.errors import Forbidden, IllegalTransition, Invalid

# joint_meeting: the four parties of a compound (its party branch, owners' committee,
# property company and residents' committee) meeting together (四方联席会议, Suqian).
FORMS = {"forum": "恳谈会", "council": "议事会", "hearing": "听证会", "review": "评议会",
         "joint_meeting": "四方联席会议"}
PARTY_KINDS = ("resident", "merchant", "property_company", "owners_committee", "department",
               "police", "party_branch", "other")
RULES = ("simple_majority_cast", "two_thirds_cast", "two_thirds_eligible", "civil_code_278")
WEIGHTS = ("households", "area")
MATTERS = ("major", "ordinary")
CENT = Fraction(1, 100)  # areas are square metres with two decimals
CHOICES = ("yes", "no", "abstain")
STATUSES = ("open", "voting_closed", "concluded")
_IDEMPOTENCY_NS = uuid5(NAMESPACE_URL, "https://gongzhi.dev/issues/consultations/idempotency")


# -- the threshold rules (pure) ------------------------------------------------------------

def parse_quorum(text: str | None) -> Fraction | None:
    """A share of the eligible households that must cast a ballot: "1/2", "0.6", "2/3"."""
    if text is None:
        return None
    try:
        quorum = Fraction(str(text).strip())
    except (ValueError, ZeroDivisionError):
        raise Invalid(f"quorum '{text}' is not a fraction like '1/2' or '0.6'",
                      field="quorum") from None
    if not 0 < quorum <= 1:
        raise Invalid(f"quorum {quorum} must be more than 0 and at most 1", field="quorum")
    return quorum


def check_rule(rule: str, quorum: Fraction | None, weight: str | None = None,
               matter: str | None = None) -> None:
    if rule not in RULES:
        raise Invalid(f"'{rule}' is not a threshold rule; one of {', '.join(RULES)}",
                      field="rule")
    if rule == "two_thirds_eligible" and quorum is None:
        raise Invalid("the two_thirds_eligible rule needs a quorum, e.g. '2/3'", field="quorum")
    if rule == "civil_code_278":
        if matter not in MATTERS:
            raise Invalid("the civil_code_278 rule needs the matter: 'major' (民法典 第278条 "
                          "items 6–8) or 'ordinary'", field="matter")
        if quorum is not None:
            raise Invalid("the civil_code_278 rule sets its own participation (two thirds of "
                          "the area and of the owners); leave quorum out", field="quorum")
        if weight is not None:
            raise Invalid("the civil_code_278 rule counts owners and area both; leave "
                          "weight out", field="weight")
        return
    if matter is not None:
        raise Invalid("only the civil_code_278 rule takes a matter", field="matter")
    if weight is not None and weight not in WEIGHTS:
        raise Invalid(f"'{weight}' is not a weight; one of {', '.join(WEIGHTS)}",
                      field="weight")


def at_least(total: Fraction, share: Fraction, *, strict: bool = False,
             step: Fraction = Fraction(1)) -> Fraction:
    """The smallest multiple of `step` that reaches `share` of `total` (passes it, when
    `strict`: "过半数" is more than half). Counts step by 1, areas by 0.01 m²."""
    bound = share * total / step
    return (floor(bound) + 1 if strict else ceil(bound)) * step


def m2(area: Fraction) -> str:
    """An area (a multiple of 0.01 m²) as the decimal string events carry: '85.50'."""
    return str((Decimal(area.numerator) / Decimal(area.denominator)).quantize(Decimal("0.01")))


def _area_sums(areas: dict[str, Fraction], ballots: dict[str, str]) -> dict[str, Fraction]:
    sums = {c: Fraction(0) for c in CHOICES}
    for household, choice in ballots.items():
        sums[choice] += areas[household]
    sums["cast"] = sums["yes"] + sums["no"] + sums["abstain"]
    sums["eligible"] = sum(areas.values(), Fraction(0))
    return sums


def tally_by_area(rule: str, quorum: Fraction | None, areas: dict[str, Fraction],
                  ballots: dict[str, str]) -> dict[str, Any]:
    """One proposal under one of the household rules, each ballot weighing its household's
    floor area: the quorum and the threshold are shares of area, not of households."""
    counts = Counter(ballots.values())
    a = _area_sums(areas, ballots)
    quorum_area = at_least(a["eligible"], quorum, step=CENT) if quorum is not None else 0
    if rule == "simple_majority_cast":
        yes_area = at_least(a["cast"], Fraction(1, 2), strict=True, step=CENT)
    else:
        yes_area = at_least(a["cast"] if rule == "two_thirds_cast" else a["eligible"],
                            Fraction(2, 3), step=CENT)
    yes_area = max(yes_area, CENT)
    quorum_met = a["cast"] >= quorum_area
    return {"yes": counts["yes"], "no": counts["no"], "abstain": counts["abstain"],
            "cast": len(ballots), "eligible": len(areas), "weight": "area",
            "quorum_needed": None, "quorum_met": quorum_met, "yes_needed": None,
            "passed": quorum_met and a["yes"] >= yes_area,
            "area": {k: m2(v) for k, v in a.items()} | {
                "quorum_needed": m2(Fraction(quorum_area)), "yes_needed": m2(yes_area)}}


def tally_278(matter: str, areas: dict[str, Fraction], ballots: dict[str, str]) -> dict[str, Any]:
    """One proposal under 民法典 第278条: participation by area and by owners, then approval
    by area and by owners among those taking part. Abstaining takes part, not approves."""
    counts = Counter(ballots.values())
    yes, cast, eligible = counts["yes"], len(ballots), len(areas)
    a = _area_sums(areas, ballots)
    two_thirds = Fraction(2, 3)
    share, strict = (Fraction(3, 4), False) if matter == "major" else (Fraction(1, 2), True)
    owners_to_take_part = int(at_least(Fraction(eligible), two_thirds))
    area_to_take_part = at_least(a["eligible"], two_thirds, step=CENT)
    owners_to_approve = max(1, int(at_least(Fraction(cast), share, strict=strict)))
    area_to_approve = max(CENT, at_least(a["cast"], share, strict=strict, step=CENT))
    participation = {"owners": cast >= owners_to_take_part, "area": a["cast"] >= area_to_take_part}
    approval = {"owners": yes >= owners_to_approve, "area": a["yes"] >= area_to_approve}
    quorum_met = all(participation.values())
    return {"yes": yes, "no": counts["no"], "abstain": counts["abstain"], "cast": cast,
            "eligible": eligible, "weight": "owners_and_area", "matter": matter,
            "quorum_needed": owners_to_take_part, "quorum_met": quorum_met,
            "yes_needed": owners_to_approve,
            "passed": quorum_met and all(approval.values()),
            "participation": participation, "approval": approval,
            "area": {k: m2(v) for k, v in a.items()} | {
                "quorum_needed": m2(area_to_take_part), "yes_needed": m2(area_to_approve)}}


def explain(rule: str, result: dict[str, Any]) -> str:
    """Why a proposal did not pass, in its own numbers."""
    area = result.get("area")
    if rule == "civil_code_278":
        return (f"{result['cast']} of {result['eligible']} owners and {area['cast']} of "
                f"{area['eligible']} m² took part, {result['quorum_needed']} owners and "
                f"{area['quorum_needed']} m² needed; {result['yes']} owners and {area['yes']} "
                f"m² approved, {result['yes_needed']} owners and {area['yes_needed']} m² "
                f"needed under civil_code_278 ({result['matter']} matter)")
    quorum = "" if result["quorum_met"] else ", quorum not reached"
    if area is not None:
        return (f"{area['yes']} m² yes of {area['cast']} m² cast, {area['yes_needed']} m² "
                f"needed under {rule} weighed by area{quorum}")
    return (f"{result['yes']} yes of {result['cast']} cast, {result['yes_needed']} needed "
            f"under {rule}{quorum}")


def check_areas(eligible: list[str], areas: dict[str, str] | None) -> None:
    missing = [h for h in eligible if h not in (areas or {})]
    if missing:
        raise Invalid(f"weighing by floor area needs every eligible household in the "
                      f"household register; not there: {', '.join(missing[:5])}"
                      f"{' …' if len(missing) > 5 else ''}", field="eligible_households")


def yes_needed(rule: str, cast: int, eligible: int) -> int:
    """The fewest yes votes that pass a proposal under `rule` (never fewer than one)."""
    if rule == "simple_majority_cast":
        return cast // 2 + 1  # strictly more than half of the ballots cast
    base = cast if rule == "two_thirds_cast" else eligible
    return max(1, ceil(Fraction(2 * base, 3)))  # two thirds or more


def quorum_needed(quorum: Fraction | None, eligible: int) -> int:
    return ceil(quorum * eligible) if quorum is not None else 0


def tally(rule: str, quorum: Fraction | None, eligible: int,
          choices: Iterable[str]) -> dict[str, Any]:
    """One proposal's count under the rule: the numbers, what was needed, and the verdict."""
    counts = Counter(choices)
    yes, no, abstain = counts["yes"], counts["no"], counts["abstain"]
    cast = yes + no + abstain
    needed, turnout_needed = yes_needed(rule, cast, eligible), quorum_needed(quorum, eligible)
    quorum_met = cast >= turnout_needed
    return {"yes": yes, "no": no, "abstain": abstain, "cast": cast, "eligible": eligible,
            "quorum_needed": turnout_needed, "quorum_met": quorum_met, "yes_needed": needed,
            "passed": quorum_met and yes >= needed}


def check_households(households: list[str]) -> None:
    if not households:
        raise Invalid("name at least one eligible household", field="eligible_households")
    twice = sorted(h for h, n in Counter(households).items() if n > 1)
    if twice:
        raise Invalid(f"households listed twice: {', '.join(twice[:5])}",
                      field="eligible_households")


def check_assignments(assignments: list[dict[str, str]]) -> None:
    for a in assignments:
        if a.get("kind") not in ASSIGNEE_KINDS:
            raise Invalid(f"'{a.get('kind')}' is not an assignee kind; one of "
                          f"{', '.join(ASSIGNEE_KINDS)}", field="assignments")


# -- the aggregate -------------------------------------------------------------------------

class Consultation(TieredAggregate):
    TOPIC = "gongzhi.consultation"

    class Created(TieredAggregate.Event, Aggregate.Created):
        TOPIC = "gongzhi.consultation.created.v1"  # required by eventsourcing; never emitted

    @staticmethod
    def id_for(convenor: str, idempotency_key: str) -> UUID:
        """A retried open with the same key finds the consultation it already made."""
        return uuid5(_IDEMPOTENCY_NS, f"{convenor}\x1f{idempotency_key}")

    @classmethod
    def open(cls, *, id: UUID, node: str, issue_id: str | None, topic: str, form: str,
             convenor: dict[str, str], parties: list[dict[str, str]],
             proposals: list[dict[str, str]], eligible: list[str], rule: str,
             quorum: str | None, allow_change: bool, fingerprint: str, at: datetime,
             meta: Meta, weight: str | None = None, matter: str | None = None,
             areas: dict[str, str] | None = None) -> Consultation:
        """`areas` (household -> floor area, from the register) is needed when ballots weigh
        by area: `weight="area"` or the civil_code_278 rule; it is kept as of opening."""
        if form not in FORMS:
            raise Invalid(f"'{form}' is not a meeting form; one of {', '.join(FORMS)}",
                          field="form")
        if not proposals:
            raise Invalid("put at least one proposal to the vote", field="proposals")
        fraction = parse_quorum(quorum)
        check_rule(rule, fraction, weight, matter)
        check_households(eligible)
        by_area = weight == "area" or rule == "civil_code_278"
        if by_area:
            check_areas(eligible, areas)
        numbered = [{"id": f"p{n}", "title": p["title"], "description": p.get("description", "")}
                    for n, p in enumerate(proposals, start=1)]
        return cls(id=id, node=node, issue_id=issue_id, topic=topic, form=form,
                   convenor=convenor, parties=parties, proposals=numbered, eligible=eligible,
                   rule=rule, quorum=str(fraction) if fraction is not None else None,
                   allow_change=allow_change, fingerprint=fingerprint, at=at.isoformat(),
                   tier=node, meta=meta,
                   weight=None if rule == "civil_code_278" else (weight or "households"),
                   matter=matter,
                   areas={h: areas[h] for h in eligible} if by_area and areas else None)

    @event("Opened", topic="gongzhi.consultation.opened.v1")
    def __init__(self, *, id: UUID, node: str, issue_id: str | None, topic: str, form: str,
                 convenor: dict[str, str], parties: list[dict[str, str]],
                 proposals: list[dict[str, str]], eligible: list[str], rule: str,
                 quorum: str | None, allow_change: bool, fingerprint: str, at: str, tier: str,
                 meta: Meta, weight: str | None = "households", matter: str | None = None,
                 areas: dict[str, str] | None = None) -> None:
        self.node = node
        self.issue_id = issue_id
        self.topic = topic
        self.form = form
        self.convenor = convenor
        self.parties = parties
        self.proposals = {p["id"]: p for p in proposals}
        self.eligible = eligible
        self._eligible = set(eligible)  # membership tests on thousands of households
        self.rule = rule
        self.quorum = quorum
        self.allow_change = allow_change
        self.weight = weight  # None under civil_code_278: it counts owners and area both
        self.matter = matter
        self.areas = areas  # household -> floor area as of opening, when ballots weigh it
        self.fingerprint = fingerprint
        self.status = "open"
        self.opened_at = at
        self.closed_at: str | None = None
        # proposal -> household -> choice: only the counted (latest) ballot of each household
        self.votes: dict[str, dict[str, str]] = {p["id"]: {} for p in proposals}
        # household -> the resident account its online ballots come from (the first one used)
        self.voters: dict[str, str] = {}
        self.tally: dict[str, dict[str, Any]] | None = None
        self.conclusion: dict[str, Any] | None = None

    # -- commands -------------------------------------------------------------------------

    def add_proposal(self, title: str, description: str, at: datetime, meta: Meta) -> str:
        self._require_voting("add a proposal")
        proposal = {"id": f"p{len(self.proposals) + 1}", "title": title,
                    "description": description}
        self._proposal_added(proposal=proposal, at=at.isoformat(), tier=self.node, meta=meta)
        return proposal["id"]

    def vote(self, household: str, proposal: str, choice: str, resident: str | None,
             at: datetime, meta: Meta, member_of: frozenset[str] = frozenset()) -> bool:
        """Count a household's ballot on one proposal. `resident` is the resident account
        voting online, None for a paper ballot staff record at the meeting; `member_of` the
        households the register has that resident verified for (an online ballot counts
        only for one of them). Returns False when the ballot repeats the counted one."""
        self._require_voting("vote")
        if proposal not in self.proposals:
            raise Invalid(f"no proposal '{proposal}' in this consultation; it has "
                          f"{', '.join(self.proposals)}", field="proposal")
        if choice not in CHOICES:
            raise Invalid(f"'{choice}' is not a choice; one of {', '.join(CHOICES)}",
                          field="choice")
        if household not in self._eligible:
            raise Forbidden(f"household '{household}' is not eligible to vote in this "
                            "consultation", household=household)
        if resident is not None and household not in member_of:
            raise Forbidden(f"resident {resident} is not a verified member of household "
                            f"'{household}': the compound head or community staff verify who "
                            "lives where; until then, vote on paper at the meeting",
                            household=household)
        bound = self.voters.get(household)
        if resident is not None and bound is not None and bound != resident:
            raise Forbidden(f"household '{household}' votes online through another resident's "
                            "account; change its vote from there, or on paper at the meeting",
                            household=household)
        counted = self.votes[proposal].get(household)
        if counted == choice:
            return False
        if counted is not None and not self.allow_change:
            raise IllegalTransition(
                f"household '{household}' already voted '{counted}' on {proposal}, and this "
                "consultation does not allow changing a vote", household=household,
                counted=counted)
        self._vote_cast(proposal=proposal, household=household, choice=choice,
                        replaces=counted, ballot="online" if resident else "paper",
                        voter=resident, at=at.isoformat(), tier=self.node, meta=meta)
        return True

    def close_voting(self, at: datetime, meta: Meta) -> dict[str, dict[str, Any]]:
        self._require_voting("close voting")
        quorum = parse_quorum(self.quorum)
        areas = {h: Fraction(Decimal(a)) for h, a in (self.areas or {}).items()}
        if self.rule == "civil_code_278":
            counts = {pid: tally_278(self.matter or "major", areas, ballots)
                      for pid, ballots in self.votes.items()}
        elif self.weight == "area":
            counts = {pid: tally_by_area(self.rule, quorum, areas, ballots)
                      for pid, ballots in self.votes.items()}
        else:
            counts = {pid: tally(self.rule, quorum, len(self.eligible), ballots.values())
                      for pid, ballots in self.votes.items()}
        self._voting_closed(tally=counts, at=at.isoformat(), tier=self.node, meta=meta)
        return counts

    def conclude(self, conclusion: str, adopted: list[str], assignments: list[dict[str, str]],
                 at: datetime, meta: Meta) -> None:
        """Adopt passed proposals, name who does what, and publish (公示) it now."""
        if self.status != "voting_closed":
            raise IllegalTransition(
                "a consultation is concluded once, after its voting closed; "
                f"this one is {self.status}", current_status=self.status)
        if len(set(adopted)) != len(adopted):
            raise Invalid("a proposal is adopted twice", field="adopted")
        for pid in adopted:
            result = (self.tally or {}).get(pid)
            if result is None:
                raise Invalid(f"no proposal '{pid}' in this consultation", field="adopted")
            if not result["passed"]:
                raise IllegalTransition(
                    f"{pid} did not pass ({explain(self.rule, result)}); "
                    "only passed proposals may be adopted", proposal=pid)
        check_assignments(assignments)
        self._concluded(conclusion=conclusion, adopted=adopted, assignments=assignments,
                        issue_id=self.issue_id, published_at=at.isoformat(), at=at.isoformat(),
                        tier=self.node, meta=meta)

    def turnout(self) -> dict[str, int]:
        """Households that have voted, per proposal (the split stays unseen until close)."""
        return {pid: len(ballots) for pid, ballots in self.votes.items()}

    def _require_voting(self, doing: str) -> None:
        if self.status != "open":
            raise IllegalTransition(f"voting closed: cannot {doing} in a consultation that is "
                                    f"{self.status}", current_status=self.status)

    # -- events ---------------------------------------------------------------------------

    @event("ProposalAdded", topic="gongzhi.consultation.proposal_added.v1")
    def _proposal_added(self, proposal: dict[str, str], at: str, tier: str, meta: Meta) -> None:
        self.proposals[proposal["id"]] = proposal
        self.votes[proposal["id"]] = {}

    @event("VoteCast", topic="gongzhi.consultation.vote_cast.v1")
    def _vote_cast(self, proposal: str, household: str, choice: str, replaces: str | None,
                   ballot: str, voter: str | None, at: str, tier: str, meta: Meta) -> None:
        self.votes[proposal][household] = choice
        if voter is not None:
            self.voters.setdefault(household, voter)

    @event("VotingClosed", topic="gongzhi.consultation.voting_closed.v1")
    def _voting_closed(self, tally: dict[str, dict[str, Any]], at: str, tier: str,
                       meta: Meta) -> None:
        self.status = "voting_closed"
        self.closed_at = at
        self.tally = tally

    @event("Concluded", topic="gongzhi.consultation.concluded.v1")
    def _concluded(self, conclusion: str, adopted: list[str], assignments: list[dict[str, str]],
                   issue_id: str | None, published_at: str, at: str, tier: str,
                   meta: Meta) -> None:
        self.status = "concluded"
        self.conclusion = {"text": conclusion, "adopted": adopted, "assignments": assignments,
                           "published_at": published_at}
