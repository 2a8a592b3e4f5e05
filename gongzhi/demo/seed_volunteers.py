"""Seed the demo city's volunteers (volunteers.json) through the volunteers service's own
Application: organisations and their party members (双报到), teams, a rewards catalogue,
wishes at every step of their flow, and a few civic acts. Idempotent: what exists is left as
it is, so a second run changes nothing.

Confirmed wishes earn their points when the volunteers service runs: its time-bank policy
credits them, exactly as it would a resident's confirmation.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from services.volunteers.application import VolunteersApplication
from services.volunteers.domain.account import Reward
from services.volunteers.domain.team import Team
from services.volunteers.domain.volunteer import Organisation
from services.volunteers.domain.wish import Wish
from shared.eventstore import open_application

VOLUNTEERS_FILE = Path(__file__).with_name("volunteers.json")
SEEDER = {"actor": {"sub": "gongzhi-demo", "role": "admin", "name": "演示数据"}}


def _community(node: str, levels: dict[str, str]) -> str:
    labels = node.split(".")
    for n in range(len(labels), 0, -1):
        path = ".".join(labels[:n])
        if levels.get(path) == "community":
            return path
    raise ValueError(f"{node} lies in no community of the demo city")


def seed_volunteers(database_url: str, city: dict[str, Any]) -> int:
    """Returns how many volunteers were newly registered."""
    data = json.loads(VOLUNTEERS_FILE.read_text(encoding="utf-8"))
    levels = {n["path"]: n["level"] for n in city["nodes"]}
    app = open_application(VolunteersApplication, database_url)
    try:
        for o in data["organisations"]:
            if app._find(Organisation.id_for(o["code"])) is None:
                app.register_organisation(code=o["code"], name=o["name"], node=o["node"],
                                          commitments=o["commitments"], meta=SEEDER)
        registered = 0
        for v in data["volunteers"]:
            if app.find_volunteer(v["person"]) is None:
                app.register_volunteer(
                    person=v["person"], name=v["name"], kind=v["kind"], home=v["home"],
                    community=_community(v["home"], levels),
                    organisation=v.get("organisation"), skills=v["skills"],
                    availability=v["availability"], meta=SEEDER)
                registered += 1
        for t in data["teams"]:
            team_id = Team.id_for(t["node"], t["code"])
            team = app._find(team_id) or app.form_team(
                node=t["node"], code=t["code"], name=t["name"], kind=t["kind"],
                leader=t["leader"], meta=SEEDER)
            for person in t["members"]:
                if not team.has_member(person):
                    team = app.add_member(team_id, person, SEEDER)
        for r in data["rewards"]:
            if app._find(Reward.id_for(r["node"], r["code"])) is None:
                app.offer_reward(node=r["node"], code=r["code"], name=r["name"],
                                 kind=r["kind"], points=r["points"], stock=r["stock"],
                                 meta=SEEDER)
        for w in data["wishes"]:
            _seed_wish(app, w, levels)
        for c in data["civic_acts"]:
            app.record_civic_act(person=c["person"], points=c["points"], node=c["node"],
                                 reason=c["reason"], recorder="gongzhi-demo", meta=SEEDER,
                                 idempotency_key=c["key"])
        return registered
    finally:
        app.close()


def _seed_wish(app: VolunteersApplication, w: dict[str, Any], levels: dict[str, str]) -> None:
    """Takes a wish as far along its flow as the file says, from wherever it stands."""
    if app._find(Wish.id_for(w["poster"], w["key"])) is not None:
        return  # seeded before (its wanted_by, counted from that day, would differ now)
    poster = {"actor": {"sub": w["poster"], "role": "resident", "name": ""}}
    wish, created = app.post_wish(
        node=w["node"], community=_community(w["node"], levels), poster=w["poster"],
        kind=w["kind"], text=w["text"],
        wanted_by=app.clock.now() + timedelta(days=w["days"]), meta=poster,
        idempotency_key=w["key"])
    if not created or "team" not in w:
        return
    team = Team.id_for(*w["team"].split("/")) if w["team"] else None
    app.dispatch_wish(wish.id, team, SEEDER)
    if claimer := w.get("claimer"):
        by = {"actor": {"sub": claimer, "role": "party_member", "name": ""}}
        app.claim_wish(wish.id, claimer, by)
        if hours := w.get("hours"):
            app.fulfil_wish(wish.id, claimer, hours, "", by)
            if w.get("confirmed"):
                app.confirm_wish(wish.id, w["poster"], "谢谢!", poster)
