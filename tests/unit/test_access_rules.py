"""The access rules without I/O: the one scope rule, who may handle an issue, tokens that
name no real scope, LIKE escaping, CSV neutralising, keyed fingerprints and webhook URLs."""

from __future__ import annotations

import base64
import hashlib
import json

import jwt
import pytest

from services.evaluation.api.exports import neutralised, table_bytes
from services.evaluation.kpi.definitions import Column
from services.grid.webhook_urls import allow_list, is_public, pinned, require_allowed
from services.issues.api.deps import require_may_handle
from services.issues.application import RaiseIssue
from shared import auth
from shared.auth import Principal
from shared.errors import Forbidden, Invalid, Unauthorized
from shared.scope import reaches, require_reach
from shared.sealing import Sealer
from shared.tiers import escape_like, subtree_like
from tests.unit.test_issue_aggregate import META, T0, new_issue

SECRET = "s" * 32
HEPING = "km.guandu.taihe.heping"
G03 = f"{HEPING}.g03"
Y017 = f"{G03}.y017"


def who(role: str, scope: str, sub: str = "u", department: str | None = None) -> Principal:
    return Principal(sub=sub, role=role, scope=scope, department=department)


# -- the one scope rule ------------------------------------------------------------------

@pytest.mark.parametrize(("caller", "places", "named", "expected"), [
    (who("community_staff", HEPING), [f"{G03}.y017"], {}, True),
    (who("community_staff", HEPING), [HEPING], {}, True),
    (who("community_staff", HEPING), ["km.guandu.taihe.hepingxi"], {}, False),  # prefix only
    (who("compound_head", Y017), [f"{G03}.y0170"], {}, False),  # a sibling compound
    (who("district_staff", "nj.gulou"), ["km.guandu"], {"department": "km-cgj"}, False),
    (who("district_staff", "km.guandu"), ["km.guandu"], {"department": "km-cgj"}, True),
    (who("department_staff", "km.guandu", department="km-gaj"), ["km.guandu"],
     {"department": "km-cgj"}, False),  # another department, though in the same district
    (who("department_staff", "km.guandu", department="km-cgj"), ["km.guandu"],
     {"department": "km-cgj"}, True),
    (who("grid_worker", G03, sub="w-1"), [f"{HEPING}.g04"], {"person": "w-1"}, True),
    (who("grid_worker", G03, sub="w-1"), [f"{HEPING}.g04"], {"person": "w-2"}, False),
    (who("admin", "km"), ["nj.gulou"], {}, True),
    (who("city_staff", ""), [""], {}, False),  # a scope that is no path widens nothing
    (who("city_staff", "%"), ["km"], {}, False),
    (who("city_staff", 5), ["km"], {}, False),  # type: ignore[arg-type]
])
def test_one_rule_decides_what_a_caller_reaches(caller, places, named, expected) -> None:
    assert reaches(caller, places, **named) is expected
    if not expected:
        with pytest.raises(Forbidden):
            require_reach(caller, "read this", places, **named)


def test_principals_cover_through_the_same_rule() -> None:
    head = who("compound_head", Y017)
    assert head.covers(f"{Y017}.b02") and not head.covers(f"{G03}.y0170")
    with pytest.raises(Forbidden, match="outside that scope"):
        head.require_scope(f"{G03}.y0170", "raise an issue")


# -- tokens ------------------------------------------------------------------------------

def _forged(**claims: object) -> str:
    base = {"iss": "gongzhi", "sub": "u", "role": "city_staff", "scope": "km",
            "exp": 4102444800}
    return jwt.encode(base | claims, SECRET, algorithm="HS256")


@pytest.mark.parametrize(("claims", "words"), [
    ({"scope": ""}, "not a tier path"),
    ({"scope": "%"}, "not a tier path"),
    ({"scope": 5}, "not a string"),
    ({"scope": ["km"]}, "not a string"),
    ({"role": "department_staff"}, "must name its department"),
    ({"role": "department_staff", "dept": 7}, "not a string"),
])
def test_signed_tokens_naming_no_real_scope_are_refused(claims, words) -> None:
    with pytest.raises(Unauthorized, match=words):
        auth.verify(SECRET, _forged(**claims))


# -- handling rights ---------------------------------------------------------------------

def test_a_tier_below_the_handling_one_does_not_act_unless_assigned() -> None:
    issue = new_issue()  # raised in a building; the community handles it (大事社区结)
    assert issue.handling_node == HEPING
    worker = who("grid_worker", G03, sub="w-3")
    for act in ("handle", "progress", "resolve"):
        with pytest.raises(Forbidden, match="handled at"):
            require_may_handle(worker, issue, "act", act)
    require_may_handle(who("community_staff", HEPING), issue, "acknowledge issues")
    require_may_handle(who("street_staff", "km.guandu.taihe"), issue, "resolve", "resolve")

    issue.acknowledge("", T0, META)
    issue.assign({"kind": "grid_worker", "id": "w-3", "name": "李娟"}, "", T0, META)
    require_may_handle(worker, issue, "add progress", "progress")
    require_may_handle(worker, issue, "resolve", "resolve")
    with pytest.raises(Forbidden):
        require_may_handle(worker, issue, "escalate", "handle")  # assigned is not handling
    with pytest.raises(Forbidden):
        require_may_handle(who("grid_worker", G03, sub="w-4"), issue, "resolve", "resolve")


def test_after_escalation_the_lower_tier_adds_progress_but_does_not_resolve() -> None:
    issue = new_issue()
    issue.acknowledge("", T0, META)
    issue.escalate("km.guandu.taihe", "超出社区权限", T0, META)
    community = who("community_staff", HEPING)
    require_may_handle(community, issue, "add progress", "progress")
    with pytest.raises(Forbidden, match="may only add progress"):
        require_may_handle(community, issue, "resolve", "resolve")
    require_may_handle(who("street_staff", "km.guandu.taihe"), issue, "resolve", "resolve")
    with pytest.raises(Forbidden):  # a grid never handled it: not even progress
        require_may_handle(who("grid_worker", G03), issue, "add progress", "progress")


def test_departments_act_on_what_is_assigned_to_them_only() -> None:
    issue = new_issue()
    issue.acknowledge("", T0, META)
    urban = who("department_staff", "km.guandu", department="km-cgj")
    with pytest.raises(Forbidden, match="assigned to their department"):
        require_may_handle(urban, issue, "resolve", "resolve")
    issue.assign({"kind": "department", "id": "km-cgj", "name": "城管局"}, "", T0, META)
    require_may_handle(urban, issue, "add progress", "progress")
    require_may_handle(urban, issue, "resolve", "resolve")
    with pytest.raises(Forbidden):
        require_may_handle(urban, issue, "close", "handle")
    with pytest.raises(Forbidden):
        require_may_handle(who("department_staff", "km.guandu", department="km-gaj"), issue,
                           "resolve", "resolve")


def test_a_team_assignee_acts_only_once_team_membership_is_known() -> None:
    issue = new_issue()
    issue.acknowledge("", T0, META)
    issue.assign({"kind": "volunteer_team", "id": "t-1", "name": "志愿队"}, "", T0, META)
    with pytest.raises(Forbidden):  # the volunteers service exposes no teams yet
        require_may_handle(who("grid_worker", G03, sub="v-1"), issue, "resolve", "resolve")


# -- wildcards, CSV, fingerprints ----------------------------------------------------------

def test_user_input_is_never_a_like_wildcard() -> None:
    assert escape_like("%") == r"\%"
    assert escape_like("a_b\\") == r"a\_b\\"
    assert subtree_like("km.g_x") == r"km.g\_x.%"


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)",
                                  "\tx", "\rx"])
def test_formula_like_cells_are_neutralised(text: str) -> None:
    assert neutralised(text) == "'" + text
    body = table_bytes("csv", "t", [Column("name", "名称")], [{"name": text}]).decode("utf-8-sig")
    assert body.splitlines()[1].lstrip('"').startswith("'")


def test_numbers_and_plain_text_stay_as_they_are() -> None:
    assert neutralised(-3) == -3 and neutralised("和平路") == "和平路"


def test_the_raise_fingerprint_is_keyed_and_does_not_give_the_phone_away() -> None:
    key = base64.urlsafe_b64encode(b"k" * 32).decode()
    cmd = RaiseIssue(node=HEPING, title="t", description="", category="c", channel="app",
                     location=None, photos=[], contact={"phone": "13800001111"})
    fingerprint = cmd.fingerprint(Sealer(key))
    unkeyed = hashlib.sha256(json.dumps(cmd.__dict__, sort_keys=True, ensure_ascii=False,
                                        default=str).encode()).hexdigest()
    assert fingerprint.startswith("k1:") and unkeyed not in fingerprint
    assert fingerprint == cmd.fingerprint(Sealer(key))  # a retry still matches
    other = base64.urlsafe_b64encode(b"o" * 32).decode()
    assert fingerprint != cmd.fingerprint(Sealer(other))


# -- webhook URLs --------------------------------------------------------------------------

@pytest.mark.parametrize("url", [
    "http://hooks.example.org/x",  # not https
    "https://127.0.0.1/x", "https://127.1.2.3:8443/x", "https://localhost/x",
    "https://0.0.0.0/x", "https://10.1.2.3/x", "https://172.16.0.1/x", "https://192.168.1.1/x",
    "https://169.254.169.254/latest/meta-data", "https://[::1]/x", "https://[fe80::1]/x",
    "https://[::ffff:127.0.0.1]/x", "https://100.64.0.1/x", "https://api.localhost/x",
])
def test_webhook_urls_to_local_or_private_places_are_refused(url: str) -> None:
    with pytest.raises(Invalid) as refused:
        require_allowed(url, frozenset())
    assert refused.value.extra["field"] == "url"


def test_an_operator_may_allow_a_host_explicitly() -> None:
    allowed = allow_list(" 127.0.0.1 , receiver.internal ")
    require_allowed("http://127.0.0.1:8080/hooks", allowed)
    require_allowed("http://receiver.internal/hooks", allowed)
    require_allowed("https://hooks.example.org/x", frozenset())
    with pytest.raises(Invalid):
        require_allowed("http://10.0.0.2/hooks", allowed)


def test_the_sender_posts_to_the_address_it_checked() -> None:
    assert is_public("93.184.216.34") and not is_public("::ffff:10.0.0.1")
    url, host, tls = pinned("https://hooks.example.org:8443/a?b=1", "93.184.216.34")
    assert url == "https://93.184.216.34:8443/a?b=1"
    assert host == {"Host": "hooks.example.org:8443"}
    assert tls == {"sni_hostname": "hooks.example.org"}
