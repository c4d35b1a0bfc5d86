"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) at /open311/v2/.

Services are our active case categories (service_code = category code); a request is a case
(service_request_id = case number). Status is "closed" for closed cases and "open" otherwise.
POST needs an api_key (ApiKey); reads are public and never show the reporter. No session, no CSRF:
clients are machines that authenticate with the key. The jurisdiction is the district: `jurisdiction_id`
is optional on every call (one endpoint per district) and, when given, must be a district's area code
(e.g. 350102); any other value is the spec's 404 "jurisdiction_id not found"."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from xml.etree import ElementTree as ET

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt

from jiceng.areas.models import Area, AreaKind
from jiceng.cases import case_services
from jiceng.cases.models import ApiKey, Case, CaseChannel, CaseState, Category, Urgency

SPEC = "http://wiki.open311.org/GeoReport_v2"
MAX_REQUESTS = 1000
MAX_SPAN = timedelta(days=90)
CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}


# --- rendering ------------------------------------------------------------------------------------

def _xml_value(parent: ET.Element, name: str, value) -> None:
    el = ET.SubElement(parent, name)
    if isinstance(value, dict):
        for k, v in value.items():
            _xml_value(el, k, v)
    elif isinstance(value, bool):
        el.text = "true" if value else "false"
    elif value is not None:
        el.text = str(value)


def _render(fmt: str, root: str, item: str, items: list[dict], status: int = 200) -> HttpResponse:
    """The spec's JSON is a list of objects; its XML a root element with one child per object."""
    if fmt == "json":
        body = json.dumps(items, ensure_ascii=False)
    else:
        top = ET.Element(root)
        for obj in items:
            el = ET.SubElement(top, item)
            for k, v in obj.items():
                _xml_list(el, k, v) if isinstance(v, list) else _xml_value(el, k, v)
        body = '<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="unicode")
    return HttpResponse(body, status=status, content_type=CONTENT_TYPES[fmt])


def _xml_list(parent: ET.Element, name: str, values: list) -> None:
    # attributes -> <attributes><attribute>..., values -> <values><value>..., formats -> <formats><format>
    el = ET.SubElement(parent, name)
    for v in values:
        _xml_value(el, name[:-1], v)


def _error(fmt: str, status: int, description: str) -> HttpResponse:
    return _render(fmt if fmt in CONTENT_TYPES else "json", "errors", "error",
                   [{"code": status, "description": description}], status=status)


def _jurisdiction_error(request: HttpRequest, fmt: str) -> HttpResponse | None:
    given = (request.GET.get("jurisdiction_id") or request.POST.get("jurisdiction_id") or "").strip()
    if given and not Area.objects.filter(kind=AreaKind.DISTRICT, code=given).exists():
        return _error(fmt, 404, "jurisdiction_id not found")
    return None


def _iso(dt: datetime | None) -> str | None:
    return timezone.localtime(dt).isoformat(timespec="seconds") if dt else None


# --- views ----------------------------------------------------------------------------------------

def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    url = request.build_absolute_uri("/open311/v2/")
    doc = {"changeset": "2026-11-22T00:00:00+08:00", "contact": "", "key_service": "jiceng apikey create",
           "endpoints": [{"specification": SPEC, "url": url, "changeset": "2026-11-22T00:00:00+08:00",
                          "type": "production", "formats": ["application/json", "text/xml"]}]}
    if fmt == "json":
        return HttpResponse(json.dumps(doc, ensure_ascii=False), content_type=CONTENT_TYPES["json"])
    top = ET.Element("discovery")
    for k in ("changeset", "contact", "key_service"):
        _xml_value(top, k, doc[k])
    endpoints = ET.SubElement(top, "endpoints")
    for ep in doc["endpoints"]:
        el = ET.SubElement(endpoints, "endpoint")
        for k, v in ep.items():
            _xml_list(el, k, v) if isinstance(v, list) else _xml_value(el, k, v)
    return HttpResponse('<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="unicode"),
                        content_type=CONTENT_TYPES["xml"])


def _service(c: Category, parents: dict[str, str]) -> dict:
    return {"service_code": c.code, "service_name": c.name, "description": c.name, "metadata": True,
            "type": "realtime", "keywords": c.get_request_type_display() if c.request_type else "",
            "group": parents.get(c.path[: c.steplen * (c.depth - 1)], c.name)}


def services(request: HttpRequest, fmt: str) -> HttpResponse:
    if (wrong := _jurisdiction_error(request, fmt)) is not None:
        return wrong
    cats = list(Category.objects.filter(active=True).order_by("path"))
    parents = {c.path: c.name for c in cats}
    # A service is what a report is filed under: the minor classes, grouped by their major class (the
    # spec's `group`), and the major classes that have no minor ones (such as the 12345 request types).
    has_children = {c.path[: c.steplen * (c.depth - 1)] for c in cats if c.depth > 1}
    return _render(fmt, "services", "service", [_service(c, parents) for c in cats if c.path not in has_children])


def service_definition(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    if (wrong := _jurisdiction_error(request, fmt)) is not None:
        return wrong
    c = Category.objects.filter(code=code, active=True).first()
    if c is None:
        return _error(fmt, 404, "service_code not found")
    levels = c.urgency_levels or ["normal"]
    labels = dict(Urgency.choices)
    attrs = [{"variable": True, "code": "urgency", "datatype": "singlevaluelist", "required": False,
              "datatype_description": "", "order": 1, "description": "Urgency",
              "values": [{"key": u, "name": str(labels.get(u, u))} for u in levels]}]
    doc = {"service_code": c.code, "attributes": attrs}
    if fmt == "json":
        return HttpResponse(json.dumps(doc, ensure_ascii=False), content_type=CONTENT_TYPES["json"])
    top = ET.Element("service_definition")
    _xml_value(top, "service_code", c.code)
    attributes = ET.SubElement(top, "attributes")
    for a in attrs:
        el = ET.SubElement(attributes, "attribute")
        for k, v in a.items():
            _xml_list(el, k, v) if isinstance(v, list) else _xml_value(el, k, v)
    return HttpResponse('<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="unicode"),
                        content_type=CONTENT_TYPES["xml"])


def _request_out(c: Case) -> dict:
    last = max((e.at for e in c.events.all()), default=c.created_at)
    return {"service_request_id": c.number,
            "status": "closed" if c.state == CaseState.CLOSED else "open",
            "status_notes": c.get_state_display(),
            "service_name": c.category.name, "service_code": c.category.code,
            "description": c.description, "agency_responsible": c.unit.name if c.unit_id else "",
            "service_notice": "", "requested_datetime": _iso(c.created_at), "updated_datetime": _iso(last),
            "expected_datetime": _iso(c.handle_due or c.dispatch_due), "address": c.address,
            "address_id": "", "zipcode": "", "lat": c.lat, "long": c.lng, "media_url": ""}


def _cases():
    # A merged duplicate is shown through the case it follows, not twice.
    return (Case.objects.filter(merged_into__isnull=True)
            .select_related("category", "unit").prefetch_related("events"))


def _parse_dt(value: str) -> datetime | None:
    dt = parse_datetime(value.replace(" ", "+")) if value else None
    if dt is not None and timezone.is_naive(dt):
        dt = timezone.make_aware(dt)
    return dt


@csrf_exempt
def requests_(request: HttpRequest, fmt: str) -> HttpResponse:
    if (wrong := _jurisdiction_error(request, fmt)) is not None:
        return wrong
    if request.method == "POST":
        return _post_request(request, fmt)
    if request.method != "GET":
        return _error(fmt, 405, "method not allowed")
    q = request.GET
    qs = _cases()
    if q.get("service_request_id"):
        ids = [s.strip() for s in q["service_request_id"].split(",") if s.strip()]
        return _render(fmt, "service_requests", "request", [_request_out(c) for c in qs.filter(number__in=ids)])
    try:
        start, end = _parse_dt(q.get("start_date", "")), _parse_dt(q.get("end_date", ""))
    except ValueError:
        return _error(fmt, 400, "start_date and end_date must be w3 datetimes")
    if (q.get("start_date") and start is None) or (q.get("end_date") and end is None):
        return _error(fmt, 400, "start_date and end_date must be w3 datetimes")
    # Per the spec: without dates, the last 90 days; a span is at most 90 days.
    if start and end and end - start > MAX_SPAN:
        return _error(fmt, 400, "the date span is at most 90 days")
    if start is None:
        start = (end or timezone.now()) - MAX_SPAN
    qs = qs.filter(created_at__gte=start)
    if end:
        qs = qs.filter(created_at__lte=end)
    if q.get("service_code"):
        qs = qs.filter(category__code__in=[s.strip() for s in q["service_code"].split(",")])
    statuses = {s.strip() for s in q.get("status", "").split(",") if s.strip()}
    if statuses - {"open", "closed"}:
        return _error(fmt, 400, "status is open or closed")
    if statuses == {"open"}:
        qs = qs.exclude(state=CaseState.CLOSED)
    elif statuses == {"closed"}:
        qs = qs.filter(state=CaseState.CLOSED)
    return _render(fmt, "service_requests", "request", [_request_out(c) for c in qs[:MAX_REQUESTS]])


def _post_request(request: HttpRequest, fmt: str) -> HttpResponse:
    data = request.POST
    key = ApiKey.verify(data.get("api_key", ""))
    if key is None:
        return _error(fmt, 403, "api_key is missing or not valid")
    category = Category.objects.filter(code=data.get("service_code", ""), active=True).first()
    if category is None:
        return _error(fmt, 404, "service_code not found")
    lat_s, lng_s = data.get("lat", "").strip(), data.get("long", "").strip()
    address = data.get("address_string", "").strip()
    if not (lat_s and lng_s) and not address and not data.get("address_id"):
        return _error(fmt, 400, "lat and long, address_string or address_id is required")
    try:
        lat, lng = (float(lat_s), float(lng_s)) if lat_s and lng_s else (None, None)
    except ValueError:
        return _error(fmt, 400, "lat and long must be numbers")
    name = " ".join(p for p in (data.get("last_name", ""), data.get("first_name", "")) if p).strip()
    description = data.get("description", "").strip()
    media = data.get("media_url", "").strip()
    if media:
        description = f"{description}\n{media}".strip()
    try:
        case = case_services.case_report(
            actor=key.user, channel=CaseChannel.OPEN311, category=category, description=description,
            lat=lat, lng=lng, address=address, reporter_name=name, reporter_phone=data.get("phone", "").strip(),
            source_ref=data.get("device_id", "")[:64], urgency=data.get("attribute[urgency]", "") or "normal",
            request=request)
    except PermissionDenied:
        return _error(fmt, 403, "this api_key may not report")
    except ValidationError as exc:
        msgs = [f"{field}: {m}" for field, ms in exc.message_dict.items() for m in ms]
        return _error(fmt, 400, "; ".join(msgs))
    return _render(fmt, "service_requests", "request",
                   [{"service_request_id": case.number, "service_notice": "", "account_id": ""}])


def request_detail(request: HttpRequest, number: str, fmt: str) -> HttpResponse:
    if (wrong := _jurisdiction_error(request, fmt)) is not None:
        return wrong
    case = _cases().filter(number=number).first()
    if case is None:
        return _error(fmt, 404, "service_request_id not found")
    return _render(fmt, "service_requests", "request", [_request_out(case)])


def token(request: HttpRequest, token: str, fmt: str) -> HttpResponse:
    if (wrong := _jurisdiction_error(request, fmt)) is not None:
        return wrong
    # Reports are registered at once, so the token handed out is the case number itself.
    case = Case.objects.filter(number=token).only("number").first()
    if case is None:
        return _error(fmt, 404, "token not found")
    return _render(fmt, "service_requests", "request", [{"service_request_id": case.number, "token": token}])
