"""Open311 GeoReport v2 (https://wiki.open311.org/GeoReport_v2/), so civic apps and client
libraries that already speak it can report and track issues.

How the spec's terms map onto Gongzhi:
- `service_code`: a sub-item of the category catalog (`environment.garbage`); its top
  category is the service's `group`;
- `jurisdiction_id`: a tier node path; creating a request needs it (the node the issue is
  raised at), and reads given one are limited to its subtree; a path that names no node
  answers 404, as the spec says, on writes and reads alike;
- `api_key`: a Gongzhi bearer token (`gongzhi token`), checked like any other; a bad one
  answers 403 (the spec's "api_key was not valid"), not the rest of the API's 401;
- attributes: a catalog item's `attributes` (in the spec's own form) make its service
  `metadata=true`; `attribute[code]` answers are checked against them, stored on the issue's
  Raised event and returned with the request as `attributes`;
- discovery: `/open311/discovery.{json,xml}` names this endpoint;
- `service_request_id`: the issue id; requests are created at once, so a token is the id;
- `status`: `open` until the issue is resolved, then `closed`; `status_notes` is the
  resolution; `agency_responsible` the assignee.
Reads are public, as 311 data is meant to be, and carry no personal details.
Errors are the spec's: a list of {code, description} with the same HTTP status.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID
from xml.etree import ElementTree as ET

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from services.issues.api.deps import Issues, Pool, require_live_node, require_may_raise
from services.issues.application import IssuesApplication, RaiseIssue
from services.issues.domain.attributes import answers
from services.issues.domain.catalog import Catalog
from services.issues.domain.issue import OPEN, STATUSES, Issue
from services.issues.photos import store as photo_store
from services.issues.placement import placement_of
from services.issues.projections import ISSUE_LIST, TIER_TREE
from shared import idempotency
from shared.auth import verify
from shared.errors import GongzhiError, NotFound
from shared.eventstore import meta
from shared.inputs import in_range
from shared.projections.tier_tree import find_node
from shared.tiers import is_valid_path, is_within, subtree_like

FORMATS = ("json", "xml")
MAX_DESCRIPTION = 4000
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-29T00:00:00Z"  # when this endpoint's behaviour last changed
CONTACT = "Gongzhi 共治 — https://gongzhi.dev, open311@gongzhi.dev"
KEY_SERVICE = "an api_key is a Gongzhi bearer token: `gongzhi token` or POST /v1/auth/login"

# The OpenAPI document: these routes read their form and query by hand (the spec's names,
# the spec's errors), so what they accept and answer is written out here.
_ANY = {"schema": {}}
_ERRORS = {"description": "the spec's errors: a list of {code, description}, with that "
                          "HTTP status", "content": {
    "application/json": {"schema": {"type": "array", "items": {
        "type": "object", "properties": {"code": {"type": "integer"},
                                         "description": {"type": "string"}}}}},
    "text/xml": {"schema": {"type": "string"}},
    # Refused before the route runs (a malformed Idempotency-Key header, which the spec does
    # not know): the API's own problem+json.
    "application/problem+json": _ANY}}


def _answers(status: int = 200) -> dict[int | str, dict[str, Any]]:
    return {status: {"description": "in the format the path names (.json or .xml)",
                     "content": {"application/json": _ANY, "text/xml": _ANY}},
            "4XX": _ERRORS}


def _query(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": {"type": "string"}}


_REQUESTS_QUERY = {"parameters": [
    _query("service_request_id", "comma-separated ids; when given, the others are ignored"),
    _query("service_code", "comma-separated service codes"),
    _query("start_date", "W3C datetime; default: 90 days before end_date"),
    _query("end_date", "W3C datetime; default: now; at most 90 days after start_date"),
    _query("status", "open, closed, or both comma-separated"),
    _query("jurisdiction_id", "a tier node path: its subtree only"),
]}
_JURISDICTION = {"parameters": [_query("jurisdiction_id", "a tier node path; 404 if none")]}
_FORM_FIELDS = {name: {"type": "string"} for name in (
    "api_key", "service_code", "jurisdiction_id", "lat", "long", "address_string",
    "address_id", "email", "device_id", "account_id", "first_name", "last_name", "phone",
    "description", "media_url")}
_FORM_FIELDS["attribute[code]"] = {
    "type": "string", "description": "an answer to the service's attribute `code`; "
    "attribute[code][] repeated for a multivaluelist"}
_CREATE_FORM = {"requestBody": {"required": True, "content": {
    media: {"schema": {"type": "object", "properties": _FORM_FIELDS,
                       "required": ["api_key", "service_code", "jurisdiction_id"]}}
    for media in ("application/x-www-form-urlencoded", "multipart/form-data")}},
    "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False,
                    "description": "not in the spec, honoured as on every write: a retry "
                                   "answers the request the first attempt created",
                    "schema": {"type": "string", "minLength": 1, "maxLength": 128,
                               "pattern": "^[\\x20-\\x7e]+$"}}]}

router = APIRouter(prefix="/open311/v2", tags=["Open311 GeoReport v2"])
discovery_router = APIRouter(prefix="/open311", tags=["Open311 GeoReport v2"])


def services(catalog: Catalog) -> dict[str, dict[str, Any]]:
    return {
        item["code"]: {
            "service_code": item["code"], "service_name": item["name"],
            "description": f"{top['name']} / {item['name']}",
            "metadata": bool(item.get("attributes")),
            "type": "realtime", "keywords": top["code"], "group": top["name"],
        }
        for top in catalog.as_list() for item in top["items"]
    }


class Open311Error(Exception):
    def __init__(self, status: int, description: str) -> None:
        self.status, self.description = status, description


def definition(catalog: Catalog, code: str) -> dict[str, Any]:
    """A service definition as the spec writes it: the catalog's attributes, each marked
    `variable` (the client asks it) and with `values` for list types."""
    return {"service_code": code, "attributes": [
        {"variable": True, "code": a["code"], "datatype": a["datatype"],
         "required": bool(a.get("required")),
         "datatype_description": a.get("datatype_description"),
         "order": a.get("order", n + 1), "description": a["description"],
         **({"values": [{"key": str(v["key"]), "name": v["name"]} for v in a["values"]]}
            if a.get("values") else {})}
        for n, a in enumerate(catalog.attributes_of(code))]}


async def _jurisdiction(pool: Any, raw: str | None) -> str | None:
    """A jurisdiction_id given to a read or a write must name a tier node: 404 otherwise."""
    if raw is None or not raw.strip():
        return None
    node = raw.strip()
    if not is_valid_path(node) or await find_node(pool, TIER_TREE.schema, node) is None:
        raise Open311Error(404, f"jurisdiction_id '{node}' is not a jurisdiction this "
                                "endpoint serves")
    return node


def _render(fmt: str, root: str, item: str, rows: list[dict] | dict, status: int = 200
            ) -> Response:
    if fmt == "json":
        return JSONResponse(rows, status_code=status)
    top = ET.Element(root)
    for row in rows if isinstance(rows, list) else [rows]:
        element = ET.SubElement(top, item) if isinstance(rows, list) else top
        _fill(element, row)
    body = ET.tostring(top, encoding="unicode", xml_declaration=True)
    return Response(body, status_code=status, media_type="text/xml; charset=utf-8")


def _fill(element: ET.Element, row: dict) -> None:
    for key, value in row.items():
        child = ET.SubElement(element, key)
        if isinstance(value, list):
            for entry in value:
                if isinstance(entry, dict):
                    _fill(ET.SubElement(child, key.rstrip("s")), entry)
                else:
                    ET.SubElement(child, key.rstrip("s")).text = str(entry)
        elif isinstance(value, bool):
            child.text = "true" if value else "false"
        elif value is not None:
            child.text = str(value)


def _errors(fmt: str, status: int, description: str) -> Response:
    return _render(fmt if fmt in FORMATS else "json", "errors", "error",
                   [{"code": status, "description": description}], status)


def _format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise Open311Error(400, f"format '{fmt}' is not supported; use json or xml")
    return fmt


async def _answer(fmt: str, make: Any) -> Response:
    """Run a handler, turning every refusal into the spec's error list."""
    try:
        return await make(_format(fmt))
    except Open311Error as exc:
        return _errors(fmt, exc.status, exc.description)
    except GongzhiError as exc:
        return _errors(fmt, {422: 400, 409: 400}.get(exc.status, exc.status), exc.detail)


@router.get("/services.{fmt}", name="open311_services", responses=_answers(),
            openapi_extra=_JURISDICTION)
async def list_services(fmt: str, request: Request, issues: Issues, pool: Pool) -> Response:
    async def make(f: str) -> Response:
        await _jurisdiction(pool, request.query_params.get("jurisdiction_id"))
        catalog = await run_in_threadpool(issues.catalog)
        return _render(f, "services", "service", list(services(catalog).values()))
    return await _answer(fmt, make)


@router.get("/services/{service_code}.{fmt}", name="open311_service_definition",
            responses=_answers(), openapi_extra=_JURISDICTION)
async def service_definition(service_code: str, fmt: str, request: Request, issues: Issues,
                             pool: Pool) -> Response:
    async def make(f: str) -> Response:
        await _jurisdiction(pool, request.query_params.get("jurisdiction_id"))
        catalog = await run_in_threadpool(issues.catalog)
        if service_code not in services(catalog):
            raise Open311Error(404, f"service_code '{service_code}' is not offered")
        return _render(f, "service_definition", "service_definition",
                       definition(catalog, service_code))
    return await _answer(fmt, make)


@router.post("/requests.{fmt}", status_code=201, name="open311_create_request",
             responses=_answers(201),
             openapi_extra=_CREATE_FORM)
async def create_request(fmt: str, request: Request, issues: Issues, pool: Pool) -> Response:
    async def make(f: str) -> Response:
        form = await request.form()
        field = {k: str(v).strip() for k, v in form.items() if str(v).strip()}
        if "api_key" not in field:
            raise Open311Error(403, "an api_key is required to create a request")
        try:
            who = verify(request.app.state.jwt_secret, field["api_key"])
            await request.app.state.vouch.check(pool, who)
        except GongzhiError as exc:
            if exc.status != 401:
                raise
            raise Open311Error(403, f"the api_key is not valid: {exc.detail}") from None
        code = field.get("service_code")
        if not code:
            raise Open311Error(400, "service_code is required")
        catalog = await run_in_threadpool(issues.catalog)
        service = services(catalog).get(code)
        if service is None:
            raise Open311Error(404, f"service_code '{code}' is not offered")
        if not field.get("jurisdiction_id"):
            raise Open311Error(400, "jurisdiction_id is required: the tier node path the "
                                    "request is raised at, such as km.guandu.taihe.heping.g03")
        node = await _jurisdiction(pool, field["jurisdiction_id"])
        assert node is not None
        location = _location(field)
        attributes = answers(catalog.attributes_of(code), _attribute_answers(form))
        description = field.get("description", "")
        if len(description) > MAX_DESCRIPTION:
            raise Open311Error(400, f"description is longer than {MAX_DESCRIPTION} characters")
        require_may_raise(who, node)
        await require_live_node(pool, node)
        placement = await placement_of(pool, node)
        contact = {k: field[k] for k in ("email", "first_name", "last_name", "phone")
                   if k in field} or None
        cmd = RaiseIssue(node=node, title=service["service_name"], description=description,
                         category=code, channel="app", location=location,
                         photos=[field["media_url"]] if "media_url" in field else [],
                         contact=contact, attributes=attributes or None)
        retry = idempotency.current()  # the spec has no key; a client may still send one
        issue, _ = await run_in_threadpool(issues.raise_issue, cmd, reporter=who.sub,
                                           meta=meta(who), placement=placement,
                                           idempotency_key=retry.key if retry else None)
        return _render(f, "service_requests", "request", [{
            "service_request_id": str(issue.id), "service_notice": "已受理,将由网格和社区处理",
            "account_id": field.get("account_id")}], status=201)
    return await _answer(fmt, make)


def _attribute_answers(form: Any) -> dict[str, list[str]]:
    """attribute[code]=v, and attribute[code][]=v repeated for a multivaluelist."""
    given: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        if key.startswith("attribute[") and key.endswith("]"):
            code = key[len("attribute["):-1].removesuffix("][")
            given.setdefault(code, []).append(str(value))
    return given


def _location(field: dict[str, str]) -> dict[str, Any]:
    """The spec asks for a location: lat and long, or an address."""
    lat, lng, address = field.get("lat"), field.get("long"), field.get("address_string")
    if (lat is None) != (lng is None):
        raise Open311Error(400, "lat and long must be given together")
    if lat is None and not address and "address_id" not in field:
        raise Open311Error(400, "a location is required: lat and long, address_string or "
                                "address_id")
    out: dict[str, Any] = {"address": address}
    if lat is not None:
        try:
            out["lat"], out["lng"] = float(lat), float(lng)  # type: ignore[arg-type]
        except ValueError:
            raise Open311Error(400, "lat and long must be numbers") from None
        if not (-90 <= out["lat"] <= 90 and -180 <= out["lng"] <= 180):
            raise Open311Error(400, "lat or long is out of range")
    else:
        out["lat"] = out["lng"] = None
    return out


@router.get("/requests.{fmt}", name="open311_requests", responses=_answers(),
            openapi_extra=_REQUESTS_QUERY)
async def list_requests(fmt: str, request: Request, issues: Issues, pool: Pool) -> Response:
    async def make(f: str) -> Response:
        q = request.query_params
        await _jurisdiction(pool, q.get("jurisdiction_id"))
        ids = _ids(q.get("service_request_id"))
        if ids is None:
            ids = await _matching(pool, q)
        found = await run_in_threadpool(_load_many, issues, ids)
        catalog = await run_in_threadpool(issues.catalog)
        return _render(f, "service_requests", "request", [_public(i, catalog) for i in found])
    return await _answer(fmt, make)


@router.get("/requests/{service_request_id}.{fmt}", name="open311_request",
            responses=_answers(), openapi_extra=_JURISDICTION)
async def get_request(service_request_id: str, fmt: str, request: Request, issues: Issues,
                      pool: Pool) -> Response:
    async def make(f: str) -> Response:
        node = await _jurisdiction(pool, request.query_params.get("jurisdiction_id"))
        ids = _ids(service_request_id) or []
        found = [i for i in await run_in_threadpool(_load_many, issues, ids)
                 if node is None or is_within(i.node, node)]
        if not found:
            raise Open311Error(404, f"no service request '{service_request_id}'")
        catalog = await run_in_threadpool(issues.catalog)
        return _render(f, "service_requests", "request", [_public(found[0], catalog)])
    return await _answer(fmt, make)


@router.get("/tokens/{token}.{fmt}", name="open311_token", responses=_answers(),
            openapi_extra=_JURISDICTION)
async def token(token: str, fmt: str, request: Request, issues: Issues, pool: Pool
                ) -> Response:
    async def make(f: str) -> Response:
        await _jurisdiction(pool, request.query_params.get("jurisdiction_id"))
        if not await run_in_threadpool(_load_many, issues, _ids(token) or []):
            raise Open311Error(404, f"no request for token '{token}'")
        return _render(f, "service_requests", "request",
                       [{"service_request_id": token, "token": token}])
    return await _answer(fmt, make)


def _ids(raw: str | None) -> list[UUID] | None:
    if raw is None:
        return None
    try:
        return [UUID(part.strip()) for part in raw.split(",") if part.strip()]
    except ValueError:
        raise Open311Error(404, "a service_request_id is not one this endpoint issued") from None


async def _matching(pool: Any, q: Any) -> list[UUID]:
    """service_code, status, start_date/end_date (at most 90 days; the last 90 by default)
    and jurisdiction_id (a subtree), newest first, at most 200."""
    end = _date(q.get("end_date"), "end_date") or datetime.now(UTC)
    start = _date(q.get("start_date"), "start_date") or end - timedelta(days=90)
    if end - start > timedelta(days=90):
        raise Open311Error(400, "start_date and end_date may not span more than 90 days")
    where, args = ["raised_at BETWEEN $1 AND $2"], [start, end]
    if codes := q.get("service_code"):
        args.append(codes.split(","))
        where.append(f"category = ANY(${len(args)}::text[])")
    if statuses := q.get("status"):
        wanted = set(statuses.split(","))
        if not wanted <= {"open", "closed"}:
            raise Open311Error(400, "status is open, closed, or both comma-separated")
        args.append([s for s in STATUSES if ("open" if s in OPEN else "closed") in wanted])
        where.append(f"status = ANY(${len(args)}::text[])")
    if node := q.get("jurisdiction_id"):
        if not is_valid_path(node):
            raise Open311Error(400, "jurisdiction_id must be a tier node path, such as "
                                    "km.guandu.taihe.heping.g03")
        args += [node, subtree_like(node)]
        where.append(f"(node = ${len(args) - 1} OR node LIKE ${len(args)})")
    rows = await pool.fetch(
        f'SELECT id FROM "{ISSUE_LIST.schema}".issues WHERE {" AND ".join(where)} '
        f"ORDER BY raised_at DESC LIMIT 200", *args)
    return [r["id"] for r in rows]


def _date(raw: str | None, field: str) -> datetime | None:
    if not raw:
        return None
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise Open311Error(400, f"{field} '{raw}' is not a W3C datetime such as "
                                "2026-11-01T00:00:00Z") from None
    in_range(parsed, field)  # a 422 Invalid, which _answer turns into the spec's 400
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _load_many(issues: IssuesApplication, ids: list[UUID]) -> list[Issue]:
    found = []
    for issue_id in ids:
        try:
            found.append(issues.get_issue(issue_id))
        except NotFound:
            continue
    return found


def _public(issue: Issue, catalog: Catalog) -> dict[str, Any]:
    """A request as the spec shows it: no reporter, no contact details."""
    location = issue.location or {}
    service = services(catalog).get(issue.category, {})
    return {
        "service_request_id": str(issue.id),
        "status": "open" if issue.status in OPEN else "closed",
        "status_notes": (issue.resolution or {}).get("text"),
        "service_name": service.get("service_name", issue.category),
        "service_code": issue.category,
        "description": issue.description,
        "agency_responsible": (issue.assignee or {}).get("name") or None,
        "service_notice": None,
        "requested_datetime": issue.created_on.isoformat(),
        "updated_datetime": issue.modified_on.isoformat(),
        "expected_datetime": issue.resolve_by if issue.status in OPEN else None,
        "address": location.get("address"),
        "address_id": None,
        "zipcode": None,
        "lat": location.get("lat"),
        "long": location.get("lng"),
        # This list is public; a photo uploaded here is for signed-in people only
        # (docs/console-issues.md, "Photos"), so only a link the reporter gave is shown.
        "media_url": next((p for p in issue.photos if not p.startswith(photo_store.PATH_PREFIX)),
                          None),
        # Not in the spec's request fields: present only when the service asked attributes.
        **({"attributes": [{"code": code, "value": value}
                           for code, value in issue.attributes.items()]}
           if issue.attributes else {}),
    }



@discovery_router.get("/discovery.{fmt}", name="open311_discovery", responses=_answers())
async def discovery(fmt: str, request: Request) -> Response:
    """The spec's service discovery: where the endpoint is, which version and formats."""
    async def make(f: str) -> Response:
        url = str(request.url_for("open311_services", fmt="json")).removesuffix(
            "/services.json")
        return _render(f, "discovery", "discovery", {
            "changeset": CHANGESET, "contact": CONTACT, "key_service": KEY_SERVICE,
            "endpoints": [{"specification": SPECIFICATION, "url": url, "changeset": CHANGESET,
                           "type": "production", "formats": ["application/json", "text/xml"]}],
        })
    return await _answer(fmt, make)
