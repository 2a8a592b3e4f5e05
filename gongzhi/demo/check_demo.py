"""Check the demo city (city.json) and the issue category catalog (categories.json).

Stdlib only. Run from anywhere:

    python gongzhi/demo/check_demo.py [CITY_JSON [CATEGORIES_JSON]]

Exits 0 and prints a summary when every rule holds; otherwise lists every violation and
exits 1. The rules are those of DESIGN.md section 1 (the tier tree) plus the data contract
between the two files: a department's code is ``<area-prefix>-<kind>``, and the department
kinds named by the category items are exactly the kinds the departments have.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_CITY = HERE / "city.json"
DEFAULT_CATEGORIES = HERE.parent.parent / "services" / "issues" / "domain" / "categories.json"

LEVELS = ["city", "district", "street", "community", "grid", "compound", "building", "unit"]
RANK = {level: i for i, level in enumerate(LEVELS)}  # lower index = higher level
HANDLING_LEVELS = {"compound", "building", "community", "street", "district"}
ROLES = {
    "grid_worker", "compound_head", "building_head", "unit_head", "info_officer",
    "community_staff", "street_staff", "district_staff", "city_staff", "department_staff",
}
# Which parent levels each level may hang under (beyond "strictly higher").
ALLOWED_PARENTS = {
    "unit": {"building"},
    "building": {"compound", "grid", "community"},
    "grid": {"community"},
}

LABEL_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
CODE_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")
KIND_RE = re.compile(r"^[a-z][a-z0-9]*$")
DEPT_CODE_RE = re.compile(r"^([a-z][a-z0-9]*)-([a-z][a-z0-9]*)$")
STAFF_ID_RE = re.compile(r"^u-[a-z0-9][a-z0-9-]*$")
HAN_RE = re.compile(r"[\u4e00-\u9fff]")
# Pinyin annotations like "區(qū)" or "(zhì)" leaked from a source text.
PINYIN_RE = re.compile(r"[(（][a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü ]+[)）]")
# Common traditional forms that must not appear in simplified display names.
TRADITIONAL = set("區華門園東關陽號樓單縣鎮廠興傑後莊臺灣萬廣寧熱華陰雲會務衛聯網級鄉")

NODE_COUNT = (150, 400)
STAFF_COUNT = (20, 60)
DEPTS_PER_AREA = (6, 12)
TOP_CATEGORY_COUNT = (6, 9)
ITEMS_PER_TOP = (3, 8)


class Checker:
    def __init__(self) -> None:
        self.errors: list[str] = []

    def fail(self, msg: str) -> None:
        self.errors.append(msg)

    def need(self, cond: bool, msg: str) -> bool:
        if not cond:
            self.fail(msg)
        return cond

    def name(self, where: str, value: object) -> None:
        if not self.need(isinstance(value, str) and value.strip() != "", f"{where}: empty name"):
            return
        assert isinstance(value, str)
        self.need(bool(HAN_RE.search(value)), f"{where}: name {value!r} has no Chinese")
        self.need(not PINYIN_RE.search(value), f"{where}: name {value!r} has a pinyin annotation")
        trad = sorted(set(value) & TRADITIONAL)
        self.need(not trad, f"{where}: name {value!r} has traditional characters {trad}")


def check_categories(c: Checker, cats: object) -> tuple[set[str], set[str], dict[str, set[str]]]:
    """Returns (all codes, top codes, kind -> top codes whose items name that kind)."""
    codes: set[str] = set()
    tops: set[str] = set()
    kind_tops: dict[str, set[str]] = defaultdict(set)
    if not c.need(isinstance(cats, list), "categories: top level must be a list"):
        return codes, tops, kind_tops
    assert isinstance(cats, list)
    lo, hi = TOP_CATEGORY_COUNT
    c.need(lo <= len(cats) <= hi, f"categories: {len(cats)} top categories, want {lo}-{hi}")
    for top in cats:
        code = top.get("code")
        where = f"category {code!r}"
        c.need(set(top) == {"code", "name", "items"}, f"{where}: keys {sorted(top)}")
        if not c.need(isinstance(code, str) and CODE_RE.match(code) and "." not in code,
                      f"{where}: bad top-level code"):
            continue
        c.need(code not in codes, f"{where}: duplicate code")
        codes.add(code)
        tops.add(code)
        c.name(where, top.get("name"))
        items = top.get("items")
        if not c.need(isinstance(items, list), f"{where}: items must be a list"):
            continue
        lo, hi = ITEMS_PER_TOP
        c.need(lo <= len(items) <= hi, f"{where}: {len(items)} items, want {lo}-{hi}")
        for it in items:
            icode = it.get("code")
            iw = f"category item {icode!r}"
            # attributes (optional): Open311's extra questions for the item
            c.need(set(it) - {"attributes"} == {"code", "name", "level", "departments",
                                                "ack_hours", "resolve_hours"},
                   f"{iw}: keys {sorted(it)}")
            if not c.need(isinstance(icode, str) and CODE_RE.match(icode)
                          and icode.startswith(code + "."), f"{iw}: code must be '{code}.<x>'"):
                continue
            c.need(icode not in codes, f"{iw}: duplicate code")
            codes.add(icode)
            c.name(iw, it.get("name"))
            c.need(it.get("level") in HANDLING_LEVELS,
                   f"{iw}: level {it.get('level')!r} not in {sorted(HANDLING_LEVELS)}")
            deps = it.get("departments")
            if c.need(isinstance(deps, list), f"{iw}: departments must be a list"):
                c.need(len(deps) == len(set(deps)), f"{iw}: duplicate department kinds")
                for k in deps:
                    if c.need(isinstance(k, str) and KIND_RE.match(k),
                              f"{iw}: bad department kind {k!r}"):
                        kind_tops[k].add(code)
            ack, res = it.get("ack_hours"), it.get("resolve_hours")
            if c.need(isinstance(ack, int) and isinstance(res, int) and 0 < ack <= res,
                      f"{iw}: need integer hours with 0 < ack_hours <= resolve_hours"):
                pass
    return codes, tops, kind_tops


def check_city(c: Checker, city: object, cat_codes: set[str],
               kind_tops: dict[str, set[str]]) -> dict:
    if not c.need(isinstance(city, dict) and set(city) == {"nodes", "departments", "staff"},
                  "city: top level must be an object with nodes, departments, staff"):
        return {}
    assert isinstance(city, dict)

    # --- nodes
    levels: dict[str, str] = {}
    for i, node in enumerate(city["nodes"]):
        path = node.get("path")
        where = f"node #{i} {path!r}"
        c.need(set(node) == {"path", "level", "name"}, f"{where}: keys {sorted(node)}")
        if not c.need(isinstance(path, str), f"{where}: path must be a string"):
            continue
        labels = path.split(".")
        bad = [lab for lab in labels if not LABEL_RE.match(lab)]
        c.need(not bad, f"{where}: bad labels {bad}")
        c.need(path not in levels, f"{where}: duplicate path")
        level = node.get("level")
        if not c.need(level in RANK, f"{where}: level {level!r} not in {LEVELS}"):
            continue
        c.name(where, node.get("name"))
        if len(labels) == 1:
            c.need(level == "city", f"{where}: a root node must be a city, not {level}")
        else:
            parent = ".".join(labels[:-1])
            plevel = levels.get(parent)
            if c.need(plevel is not None, f"{where}: parent {parent!r} missing or listed later"):
                assert plevel is not None
                c.need(RANK[plevel] < RANK[level],
                       f"{where}: parent {parent!r} is {plevel}, not higher than {level}")
                allowed = ALLOWED_PARENTS.get(level)
                if allowed is not None:
                    c.need(plevel in allowed,
                           f"{where}: a {level} must sit under {sorted(allowed)}, not {plevel}")
        levels.setdefault(path, level)
    lo, hi = NODE_COUNT
    c.need(lo <= len(levels) <= hi, f"city: {len(levels)} nodes, want {lo}-{hi}")

    def within(node: str, root: str) -> bool:
        return node == root or node.startswith(root + ".")

    # --- departments
    depts: dict[str, dict] = {}
    area_kinds: dict[str, Counter] = defaultdict(Counter)
    dept_kinds: set[str] = set()
    for d in city["departments"]:
        code = d.get("code")
        where = f"department {code!r}"
        c.need(set(d) == {"code", "kind", "name", "categories", "jurisdiction"},
               f"{where}: keys {sorted(d)}")
        m = DEPT_CODE_RE.match(code) if isinstance(code, str) else None
        if not c.need(m is not None, f"{where}: code must be '<area-prefix>-<kind>'"):
            continue
        assert m is not None
        prefix, ckind = m.groups()
        kind = d.get("kind")
        c.need(kind == ckind, f"{where}: kind {kind!r} does not match its code")
        c.need(code not in depts, f"{where}: duplicate code")
        depts[code] = d
        dept_kinds.add(ckind)
        area_kinds[prefix][ckind] += 1
        c.name(where, d.get("name"))
        c.need(ckind in kind_tops, f"{where}: kind {ckind!r} is named by no category item")
        dcats = d.get("categories")
        if c.need(isinstance(dcats, list) and dcats, f"{where}: categories must be a list"):
            for cat in dcats:
                c.need(cat in cat_codes, f"{where}: unknown category {cat!r}")
                top = cat.split(".")[0] if isinstance(cat, str) else None
                c.need(top in kind_tops.get(ckind, set()),
                       f"{where}: category {cat!r} has no item routed to kind {ckind!r}")
            listed_tops = {x.split(".")[0] for x in dcats if isinstance(x, str)}
            missing = kind_tops.get(ckind, set()) - listed_tops
            c.need(not missing, f"{where}: misses categories routed to {ckind!r}: "
                                f"{sorted(missing)}")
        juris = d.get("jurisdiction")
        if c.need(isinstance(juris, list) and juris, f"{where}: jurisdiction must be a list"):
            for j in juris:
                c.need(j in levels, f"{where}: jurisdiction {j!r} is not a node")
                c.need(levels.get(j) in {"city", "district", "street"},
                       f"{where}: jurisdiction {j!r} should be a city/district/street subtree")
    for prefix, kinds in area_kinds.items():
        lo, hi = DEPTS_PER_AREA
        total = sum(kinds.values())
        c.need(lo <= total <= hi, f"area {prefix!r}: {total} departments, want {lo}-{hi}")
        c.need(all(v == 1 for v in kinds.values()), f"area {prefix!r}: a kind appears twice")
    for k in sorted(set(kind_tops) - dept_kinds):
        c.fail(f"categories route to kind {k!r} but no department has that kind")

    # --- staff
    ids: set[str] = set()
    names: dict[str, str] = {}  # a person may hold several roles: one entry each
    held: set[tuple[str, str, str]] = set()
    for p in city["staff"]:
        sid = p.get("id")
        where = f"staff {sid!r}"
        role = p.get("role")
        keys = {"id", "name", "role", "node"} | ({"department"} if role == "department_staff"
                                                   else set())
        c.need(set(p) == keys, f"{where}: keys {sorted(p)}, want {sorted(keys)}")
        c.need(isinstance(sid, str) and bool(STAFF_ID_RE.match(sid)), f"{where}: bad id")
        c.need(names.setdefault(sid, p.get("name")) == p.get("name"),
               f"{where}: one id, two names")
        c.need((sid, role, p.get("node")) not in held, f"{where}: the same role twice")
        held.add((sid, role, p.get("node")))
        ids.add(sid)
        c.name(where, p.get("name"))
        c.need(role in ROLES, f"{where}: role {role!r} not in {sorted(ROLES)}")
        node = p.get("node")
        if not c.need(node in levels, f"{where}: node {node!r} does not exist"):
            continue
        expected = {
            "grid_worker": {"grid"}, "compound_head": {"compound"},
            "building_head": {"building"}, "unit_head": {"unit"},
            "info_officer": {"community", "grid", "compound"},
            "community_staff": {"community"}, "street_staff": {"street"},
            "district_staff": {"district"}, "city_staff": {"city"},
        }.get(role)
        if expected is not None:
            c.need(levels[node] in expected,
                   f"{where}: a {role} sits at a {sorted(expected)} node, not a {levels[node]}")
        if role == "department_staff":
            dc = p.get("department")
            if c.need(dc in depts, f"{where}: department {dc!r} does not exist"):
                c.need(any(within(node, j) for j in depts[dc]["jurisdiction"]),
                       f"{where}: node {node!r} is outside {dc}'s jurisdiction")
    lo, hi = STAFF_COUNT
    c.need(lo <= len(ids) <= hi, f"city: {len(ids)} staff, want {lo}-{hi}")
    return {"levels": levels, "departments": depts, "areas": area_kinds}


def main(argv: list[str]) -> int:
    city_path = Path(argv[1]) if len(argv) > 1 else DEFAULT_CITY
    cat_path = Path(argv[2]) if len(argv) > 2 else DEFAULT_CATEGORIES
    c = Checker()
    cats = json.loads(cat_path.read_text(encoding="utf-8"))
    city = json.loads(city_path.read_text(encoding="utf-8"))
    cat_codes, tops, kind_tops = check_categories(c, cats)
    info = check_city(c, city, cat_codes, kind_tops)
    if c.errors:
        for e in c.errors:
            print("FAIL", e)
        print(f"{len(c.errors)} problem(s)")
        return 1
    per_level = Counter(info["levels"].values())
    print("OK", city_path, "and", cat_path)
    print("nodes:", len(info["levels"]), {lv: per_level[lv] for lv in LEVELS})
    print("departments:", len(info["departments"]),
          {a: sum(k.values()) for a, k in info["areas"].items()})
    print("staff:", len(city["staff"]))
    print("categories:", len(tops), "top,", len(cat_codes) - len(tops), "items;",
          "kinds:", sorted(kind_tops))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
