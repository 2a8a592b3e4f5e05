"""The volunteers Application: load, ask the aggregate, save. Nothing else happens here.

Node paths (and the community a node lies in) are checked by the caller against this
service's tier read model before a command reaches us; what can be checked from the
aggregates (is the volunteer registered and active, is the claimer on the team, is the
balance enough) is checked here or in them, with the same consistency as the command.
The time bank's commands are in `application_bank.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar, TypeVar
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from services.volunteers.application_bank import ACCOUNT_SNAPSHOT_EVERY, BankCommands
from services.volunteers.domain.account import Account
from services.volunteers.domain.activity import Activity
from services.volunteers.domain.team import Team
from services.volunteers.domain.volunteer import Organisation, Volunteer
from services.volunteers.domain.wish import Wish
from shared.clock import Clock, SystemClock
from shared.domain import Meta
from shared.errors import Conflict, Forbidden, NotFound
from shared.eventstore import ServiceApplication, history

A = TypeVar("A")


class VolunteersApplication(BankCommands, ServiceApplication):
    name = "volunteers"
    # Accounts live for years and every credit is an event: a snapshot every so many events
    # keeps loading one (for the next credit) from replaying its whole history. The
    # batching writer saves events, not aggregates, so eventsourcing never takes them by
    # itself; BankCommands does after each save.
    snapshotting_intervals: ClassVar[dict[type, int]] = {Account: ACCOUNT_SNAPSHOT_EVERY}

    def __init__(self, *, clock: Clock | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.clock = clock or SystemClock()

    # -- volunteers (双报到) -----------------------------------------------------------------

    def register_volunteer(self, *, person: str, name: str, kind: str, home: str,
                           community: str, organisation: str | None, skills: list[str],
                           availability: list[str], meta: Meta) -> Volunteer:
        if organisation:
            self.get_organisation(organisation)
        volunteer = Volunteer.register(
            person=person, name=name, kind=kind, home=home, community=community,
            organisation=organisation, skills=skills, availability=availability,
            at=self.clock.now(), meta=meta)
        self._create(volunteer, f"{person} is already registered")
        return volunteer

    def update_profile(self, person: str, skills: list[str], availability: list[str],
                       meta: Meta) -> Volunteer:
        return self._on(lambda: self.get_volunteer(person), lambda v: v.update_profile(
            skills, availability, self.clock.now(), meta), f"volunteer {person}")

    def move_volunteer(self, person: str, home: str, community: str, reason: str,
                       meta: Meta) -> Volunteer:
        return self._on(lambda: self.get_volunteer(person), lambda v: v.move(
            home, community, reason, self.clock.now(), meta), f"volunteer {person}")

    def deregister_volunteer(self, person: str, reason: str, meta: Meta) -> Volunteer:
        return self._on(lambda: self.get_volunteer(person),
                        lambda v: v.deregister(reason, self.clock.now(), meta),
                        f"volunteer {person}")

    def get_volunteer(self, person: str) -> Volunteer:
        return self._get(Volunteer.id_for(person), f"no volunteer '{person}' is registered")

    def find_volunteer(self, person: str) -> Volunteer | None:
        return self._find(Volunteer.id_for(person))

    def active_volunteer(self, person: str, doing: str) -> Volunteer:
        volunteer = self.find_volunteer(person)
        if volunteer is None:
            raise Forbidden(f"{person} must register as a volunteer (双报到) to {doing}")
        volunteer.require_active(doing)
        return volunteer

    # -- organisations --------------------------------------------------------------------

    def register_organisation(self, *, code: str, name: str, node: str,
                              commitments: list[str], meta: Meta) -> Organisation:
        organisation = Organisation.register(code=code, name=name, node=node,
                                              commitments=commitments, at=self.clock.now(),
                                              meta=meta)
        self._create(organisation, f"organisation '{code}' is already registered")
        return organisation

    def set_commitments(self, code: str, commitments: list[str], meta: Meta) -> Organisation:
        return self._on(lambda: self.get_organisation(code), lambda o: o.set_commitments(
            commitments, self.clock.now(), meta), f"organisation {code}")

    def get_organisation(self, code: str) -> Organisation:
        return self._get(Organisation.id_for(code), f"no organisation '{code}' is registered")

    # -- teams ----------------------------------------------------------------------------

    def form_team(self, *, node: str, code: str, name: str, kind: str, leader: str,
                  meta: Meta) -> Team:
        self.active_volunteer(leader, "lead a team")
        team = Team.form(node=node, code=code, name=name, kind=kind, leader=leader,
                         at=self.clock.now(), meta=meta)
        self._create(team, f"a team '{code}' already exists at '{node}'")
        return team

    def add_member(self, team_id: UUID, person: str, meta: Meta) -> Team:
        self.active_volunteer(person, "join a team")
        return self._on(lambda: self.get_team(team_id),
                        lambda t: t.add_member(person, self.clock.now(), meta), "the team")

    def remove_member(self, team_id: UUID, person: str, reason: str, meta: Meta) -> Team:
        return self._on(lambda: self.get_team(team_id),
                        lambda t: t.remove_member(person, reason, self.clock.now(), meta),
                        "the team")

    def change_leader(self, team_id: UUID, person: str, meta: Meta) -> Team:
        return self._on(lambda: self.get_team(team_id),
                        lambda t: t.change_leader(person, self.clock.now(), meta), "the team")

    def get_team(self, team_id: UUID) -> Team:
        return self._get(team_id, f"no team {team_id}")

    # -- wishes (点单 派单 接单) -------------------------------------------------------------

    def post_wish(self, *, node: str, community: str, poster: str, kind: str, text: str,
                  wanted_by: datetime, meta: Meta,
                  idempotency_key: str | None = None) -> tuple[Wish, bool]:
        """Returns the wish and whether this call posted it (False for a retry)."""
        wish_id = Wish.id_for(poster, idempotency_key) if idempotency_key else uuid4()
        asked = (node, kind, text.strip(), wanted_by.isoformat())
        if idempotency_key and (earlier := self._find(wish_id)) is not None:
            return self._same_wish(earlier, asked), False
        wish = Wish.post(id=wish_id, node=node, community=community, poster=poster, kind=kind,
                         text=text, wanted_by=wanted_by, at=self.clock.now(), meta=meta)
        try:
            self.save(wish)
        except IntegrityError:  # the same key raced us: theirs won, ours is the retry
            return self._same_wish(self.get_wish(wish_id), asked), False
        return wish, True

    @staticmethod
    def _same_wish(earlier: Wish, asked: tuple[str, ...]) -> Wish:
        if (earlier.node, earlier.kind, earlier.text,
                datetime.fromisoformat(earlier.wanted_by).isoformat()) != asked:
            raise Conflict("this Idempotency-Key was already used for a different wish",
                           wish=str(earlier.id))
        return earlier

    def dispatch_wish(self, wish_id: UUID, team_id: UUID | None, meta: Meta) -> Wish:
        team = None
        if team_id is not None:
            found = self.get_team(team_id)
            team = {"id": str(found.id), "name": found.name}
        return self._on(lambda: self.get_wish(wish_id),
                        lambda w: w.dispatch(team, self.clock.now(), meta), "the wish")

    def claim_wish(self, wish_id: UUID, person: str, meta: Meta) -> Wish:
        """One claim wins: a concurrent claim's save conflicts, reloads, and the wish then
        refuses it as already claimed (409)."""
        volunteer = self.active_volunteer(person, "claim a wish")

        def claim(wish: Wish) -> None:
            if wish.team and wish.status == "dispatched":
                team = self.get_team(UUID(wish.team["id"]))
                if not team.has_member(person):
                    raise Forbidden(f"the wish was dispatched to {team.name}; only its members "
                                    f"claim it, and {person} is not one", team=wish.team)
            elif wish.status == "open" and volunteer.community != wish.community:
                raise Forbidden(f"an open wish is claimed by volunteers reporting to its "
                                f"community '{wish.community}'; {person} reports to "
                                f"'{volunteer.community}'", community=wish.community)
            wish.claim(person, self.clock.now(), meta)
        return self._on(lambda: self.get_wish(wish_id), claim, "the wish")

    def fulfil_wish(self, wish_id: UUID, person: str, hours: float, note: str,
                    meta: Meta) -> Wish:
        return self._on(lambda: self.get_wish(wish_id), lambda w: w.fulfil(
            person, hours, note, self.clock.now(), meta), "the wish")

    def confirm_wish(self, wish_id: UUID, poster: str, note: str, meta: Meta) -> Wish:
        return self._on(lambda: self.get_wish(wish_id),
                        lambda w: w.confirm(poster, note, self.clock.now(), meta), "the wish")

    def dispute_wish(self, wish_id: UUID, poster: str, reason: str, meta: Meta) -> Wish:
        return self._on(lambda: self.get_wish(wish_id),
                        lambda w: w.dispute(poster, reason, self.clock.now(), meta), "the wish")

    def reopen_wish(self, wish_id: UUID, reason: str, meta: Meta) -> Wish:
        return self._on(lambda: self.get_wish(wish_id),
                        lambda w: w.reopen(reason, self.clock.now(), meta), "the wish")

    def withdraw_wish(self, wish_id: UUID, poster: str, reason: str, meta: Meta) -> Wish:
        return self._on(lambda: self.get_wish(wish_id),
                        lambda w: w.withdraw(poster, reason, self.clock.now(), meta),
                        "the wish")

    def flag_overdue_wish(self, wish_id: UUID, meta: Meta) -> bool:
        _, flagged = self.change_and_save(
            lambda: self.get_wish(wish_id),
            lambda w: w.flag_if_overdue(self.clock.now(), meta), "the wish")
        return flagged

    def get_wish(self, wish_id: UUID) -> Wish:
        return self._get(wish_id, f"no wish {wish_id}")

    # -- activities -----------------------------------------------------------------------

    def publish_activity(self, *, node: str, title: str, starts_at: datetime, hours: float,
                         slots: int, publisher: str, meta: Meta,
                         idempotency_key: str | None = None) -> tuple[Activity, bool]:
        activity_id = (Activity.id_for(publisher, idempotency_key) if idempotency_key
                       else uuid4())
        if idempotency_key and (earlier := self._find(activity_id)) is not None:
            return earlier, False
        activity = Activity.publish(id=activity_id, node=node, title=title,
                                    starts_at=starts_at, hours=hours, slots=slots,
                                    at=self.clock.now(), meta=meta)
        try:
            self.save(activity)
        except IntegrityError:
            return self.get_activity(activity_id), False
        return activity, True

    def sign_up(self, activity_id: UUID, person: str, meta: Meta) -> Activity:
        """Never overbooked: a concurrent sign-up's save conflicts, reloads, and finds the
        slots as they now are."""
        return self._on(lambda: self.get_activity(activity_id),
                        lambda a: a.sign_up(person, self.clock.now(), meta), "the activity",
                        attempts=20)

    def cancel_sign_up(self, activity_id: UUID, person: str, reason: str,
                       meta: Meta) -> Activity:
        return self._on(lambda: self.get_activity(activity_id),
                        lambda a: a.cancel_sign_up(person, reason, self.clock.now(), meta),
                        "the activity", attempts=20)

    def record_attendance(self, activity_id: UUID, attendance: list[tuple[str, float]],
                          meta: Meta) -> Activity:
        def record(activity: Activity) -> None:
            for person, hours in attendance:
                activity.record_attendance(person, hours, self.clock.now(), meta)
        return self._on(lambda: self.get_activity(activity_id), record, "the activity")

    def get_activity(self, activity_id: UUID) -> Activity:
        return self._get(activity_id, f"no activity {activity_id}")

    # -- reading --------------------------------------------------------------------------

    def history(self, aggregate_id: UUID) -> list[dict[str, Any]]:
        return history(self, aggregate_id)

    # -- helpers --------------------------------------------------------------------------

    def _find(self, aggregate_id: UUID) -> Any:
        try:
            return self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None

    def _get(self, aggregate_id: UUID, missing: str) -> Any:
        found = self._find(aggregate_id)
        if found is None:
            raise NotFound(missing)
        return found

    def _create(self, aggregate: Any, exists: str) -> None:
        if self._find(aggregate.id) is not None:
            raise Conflict(exists)
        try:
            self.save(aggregate)
        except IntegrityError:  # the same id raced us from another request
            raise Conflict(exists) from None

    def _on(self, load: Callable[[], A], change: Callable[[A], object], what: str,
            attempts: int = 3) -> A:
        aggregate, _ = self.change_and_save(load, change, what, attempts=attempts)
        return aggregate

