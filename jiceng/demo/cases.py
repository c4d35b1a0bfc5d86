"""A year of cases for the demo district, so the inbox, the supervision lists and the dashboards show
what a working district looks like on the first start.

Every generated case walks the state machine of jiceng/cases/workflow.py: its events are the
transitions a real case would take (report, dispatch, accept, sometimes return and dispatch again,
handle, sometimes rework, verify, close), in time order, and its stored state is the last event's.
Deadlines come from the category's time limits on the working-day calendar, as case_services
computes them. Rows go in with plain executemany (FastInserter), like the rest of the demo.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils import timezone

from jiceng.areas.models import Area, AreaKind
from jiceng.cases import calendar
from jiceng.cases.models import (
    Case,
    CaseChannel,
    CaseCounter,
    CaseEvent,
    CaseFeedback,
    CaseState,
    Category,
    DispatchCatalogue,
    FeedbackSource,
    Satisfaction,
)
from jiceng.cases.selectors import _ancestors_and_self, _pick
from jiceng.units.models import Unit, UnitKind

from .bulk import FastInserter

DEFAULT_CASES = 20_000
# Major class -> the department (by its place in names.DEPARTMENTS, 1-based code D01…) that handles it.
# Request types (R…) have no entry: the grid handles inquiries and help itself, or triage places them.
CATALOGUE = {
    "C01": 1, "C02": 3, "C03": 1, "C04": 1, "C05": 3, "C06": 7,
    "E01": 1, "E02": 1, "E03": 3, "E04": 7, "E05": 1, "E06": 2, "E07": 8,
}
CHANNELS = [
    (CaseChannel.HOTLINE_12345, 45), (CaseChannel.PATROL, 35), (CaseChannel.RESIDENT_APP, 12),
    (CaseChannel.OPEN311, 3), (CaseChannel.STAFF, 5),
]
TITLES = {
    "E0501": ["路口有人占道摆摊卖水果", "早市摊贩占用人行道"], "E0506": ["小区门口机动车乱停放堵住消防通道"],
    "E0702": ["楼下广场舞音响太吵", "夜间装修噪声扰民"], "E0701": ["餐馆油烟直排居民楼"],
    "E0102": ["垃圾桶旁堆放大量生活垃圾"], "E0201": ["楼道内张贴大量小广告"], "C0108": ["路灯不亮，晚上出行不便"],
    "C0101": ["井盖破损有安全隐患"], "E0301": ["顶楼私自加建彩钢房"], "E0403": ["暴雨后路面积水严重"],
}
RATINGS = [(Satisfaction.SATISFIED, 80), (Satisfaction.BASICALLY, 13), (Satisfaction.UNSATISFIED, 7)]


def _weighted(rng: random.Random, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights)[0]


@dataclass
class _Place:
    building_id: int
    path: str
    lat: float
    lng: float
    grid_id: int
    community_id: int
    subdistrict_id: int
    district_id: int
    weight: int


def _places() -> list[_Place]:
    """Every building with its chain, weighted by its community's population: one query per level."""
    by_path = {a["path"]: a for a in Area.objects.exclude(kind=AreaKind.BUILDING)
               .values("id", "path", "kind", "population")}
    steplen = Area.steplen
    places = []
    for b in Area.objects.filter(kind=AreaKind.BUILDING).values("id", "path", "lat", "lng"):
        chain = {}
        for depth in range(1, len(b["path"]) // steplen):
            a = by_path.get(b["path"][: depth * steplen])
            if a is not None:
                chain[a["kind"]] = a
        if "grid" not in chain or b["lat"] is None:
            continue
        places.append(_Place(b["id"], b["path"], b["lat"], b["lng"], chain["grid"]["id"], chain["community"]["id"],
                             chain["subdistrict"]["id"], chain["district"]["id"],
                             max(1, chain["community"]["population"] // 100)))
    return places


class _Deadlines:
    """stage_due of case_services, with each category's limits read once instead of per case."""

    def __init__(self) -> None:
        self.cal = calendar.WorkingCalendar()
        self.rows: dict[tuple[int, str, str], list] = {}
        self.chains: dict[int, list[Category]] = {}

    def due(self, category: Category, stage: str, urgency: str, start: datetime) -> datetime | None:
        key = (category.pk, stage, urgency)
        if key not in self.rows:
            if category.pk not in self.chains:
                self.chains[category.pk] = _ancestors_and_self(category)
            self.rows[key] = _pick(self.chains[category.pk], stage, urgency)[0]
        due = start
        for row in self.rows[key]:
            due = self.cal.deadline_add(due, row.amount, row.unit)
        return None if due is start else due


def _catalogue(departments: dict[int, Unit], majors: dict[str, Category], district: Area) -> dict[str, Unit]:
    """District-wide catalogue entries for each major class the demo departments handle."""
    entries = {}
    for code, index in CATALOGUE.items():
        unit = departments.get(index)
        if unit is None or code not in majors:
            continue
        DispatchCatalogue.objects.update_or_create(category=majors[code], area=district, defaults={"unit": unit})
        entries[code] = unit
    return entries


def build_cases(*, n: int = DEFAULT_CASES, seed: int = 20141101, today: date | None = None,
                log: Callable[[str], None] = lambda s: None) -> int:
    """Insert `n` cases reported over the year up to `today`, with their events and ratings. Expects
    the demo district, its departments and the case taxonomy (loaded here if missing)."""
    from jiceng.cases.services import taxonomy_load_default

    if not Category.objects.exists():
        taxonomy_load_default(actor=None)
    rng = random.Random(seed)
    district = Area.objects.get(kind=AreaKind.DISTRICT)
    departments = {int(u.code.rsplit("-D", 1)[1]): u for u in Unit.objects.filter(
        kind=UnitKind.DEPARTMENT, code__startswith=f"{district.code}-D")}
    leaves = list(Category.objects.filter(depth=2, active=True))
    majors = {c.code: c for c in Category.objects.filter(depth=1)}
    requests = [c for c in majors.values() if c.request_type]
    units = _catalogue(departments, majors, district)
    places = _places()
    if not places or not leaves:
        return 0
    cum_weights = list(itertools.accumulate(p.weight for p in places))
    deadlines = _Deadlines()
    now = timezone.now()
    end = now if today is None else datetime.combine(today, datetime.min.time(), calendar.LOCAL)
    start = end - timedelta(days=365)

    cases = FastInserter(Case)
    events = FastInserter(CaseEvent)
    feedback = FastInserter(CaseFeedback)
    # Numbers continue each day's counter, so they never collide with cases already reported.
    counters: dict[date, int] = dict(CaseCounter.objects.values_list("day", "last"))
    issued: set[date] = set()
    reported = sorted(start + timedelta(seconds=rng.uniform(0, 365 * 86400)) for _ in range(n))
    for at in reported:
        # Most reports come in office hours: move a night-time one into the next morning half the time.
        local = timezone.localtime(at, calendar.LOCAL)
        if local.hour < 7 and rng.random() < 0.5:
            at += timedelta(hours=8 - local.hour)
        place = rng.choices(places, cum_weights=cum_weights)[0]
        channel = _weighted(rng, CHANNELS)
        category = rng.choice(requests) if channel == CaseChannel.HOTLINE_12345 and rng.random() < 0.3 \
            else rng.choice(leaves)
        major = category.code[:3]
        urgency = "urgent" if category.is_major_hazard or rng.random() < 0.05 else "normal"
        if urgency not in (category.urgency_levels or ["normal", "urgent"]):
            urgency = "normal"
        unit = units.get(major)
        day = timezone.localtime(at, calendar.LOCAL).date()
        counters[day] = counters.get(day, 0) + 1
        issued.add(day)
        jitter = (rng.uniform(-0.0008, 0.0008), rng.uniform(-0.0008, 0.0008))
        title = rng.choice(TITLES.get(category.code, [f"{category.name}问题"]))
        case_id = cases.new_id()
        row = {
            "id": case_id, "number": f"GL{day:%Y%m%d}{counters[day]:05d}", "channel": channel,
            "source_ref": f"12345-{day:%Y%m%d}-{counters[day]:05d}" if channel == CaseChannel.HOTLINE_12345 else "",
            "category_id": category.pk, "urgency": urgency, "title": title,
            "description": f"{title}。地点：{place.path[-6:]}号楼附近，请尽快处理。",
            "lat": place.lat + jitter[0], "lng": place.lng + jitter[1], "address": "", "building_id": place.building_id,
            "reporter_name": "", "reporter_phone_encrypted": "", "reporter_phone_index": "",
            "reporter_phone_masked": "", "suggested_unit_id": unit.pk if unit else None,
            "created_at": at, "triage_reason": "", "version": 1,
            "area_path": place.path, "district_id": place.district_id, "subdistrict_id": place.subdistrict_id,
            "community_id": place.community_id, "grid_id": place.grid_id,
            "register_due": deadlines.due(category, "register", urgency, at),
            "dispatch_due": deadlines.due(category, "dispatch", urgency, at),
        }
        walk = _walk(rng, row, unit, category, urgency, now, deadlines)
        for seq, (when, transition, frm, to, note, data) in enumerate(walk, 1):
            events.add({"id": events.new_id(), "case_id": case_id, "seq": seq, "at": when, "transition": transition,
                        "from_state": frm, "to_state": to, "note": note, "data": data})
        row["version"] = len(walk)
        row["state"] = walk[-1][3]
        cases.add(row)
        if row["state"] == CaseState.CLOSED and rng.random() < 0.7:
            closed = row["closed_at"]
            source = FeedbackSource.RESIDENT if channel == CaseChannel.RESIDENT_APP else FeedbackSource.FOLLOW_UP
            rating = _weighted(rng, RATINGS)
            feedback.add({"id": feedback.new_id(), "case_id": case_id, "source": source, "rating": rating,
                          "resolved": rating != Satisfaction.UNSATISFIED or rng.random() < 0.3,
                          "comment": "", "reached": True, "at": closed + timedelta(hours=rng.uniform(2, 72))})
    cases.finish()
    events.finish()
    feedback.finish()
    known = set(CaseCounter.objects.filter(day__in=issued).values_list("day", flat=True))
    CaseCounter.objects.bulk_create([CaseCounter(day=d, last=counters[d]) for d in issued - known])
    for d in issued & known:
        CaseCounter.objects.filter(day=d).update(last=counters[d])
    log(f"  {n:,} cases, {events.count:,} events, {feedback.count:,} ratings")
    build_whistles_and_orders(rng=rng, log=log)
    return n


def build_whistles_and_orders(*, rng: random.Random, log: Callable[[str], None] = lambda s: None) -> None:
    """Whistles and supervision orders on open cases of the demo logins' subdistrict and community, so the
    whistle and supervision workbenches show every state. Written through the services (a few dozen
    statements in all), so clocks, events, audit and notices are the real ones; an order is made late by
    moving its reply date back, as a day of waiting would."""
    from jiceng.accounts.models import User
    from jiceng.cases import supervision_services as sup
    from jiceng.cases import whistle_services as ws
    from jiceng.cases.supervision_models import SupervisionOrder

    logins = {u.username: u for u in User.objects.filter(
        username__in=["district", "subdistrict", "community", "department"])}
    if len(logins) < 4:
        return
    dept = logins["department"].grants.filter(unit__isnull=False).values_list("unit_id", flat=True).first()
    sub = logins["subdistrict"].grants.filter(area__isnull=False).values_list("area__path", flat=True).first()
    comm = logins["community"].grants.filter(area__isnull=False).values_list("area__path", flat=True).first()
    if not (dept and sub and comm):
        return
    # The open cases of the subdistrict (a year's walk closes most of them), newest first.
    in_sub = list(Case.objects.filter(area_path__startswith=sub, subdistrict__isnull=False, merged_into__isnull=True)
                  .exclude(state=CaseState.CLOSED).select_related("category", "subdistrict", "unit")
                  .order_by("-created_at")[:40])
    lead = Unit.objects.get(pk=dept)
    if len([c for c in in_sub if c.area_path.startswith(comm)]) < 4:
        in_sub = _fresh_reports(logins["community"], comm, lead, 4) + in_sub
    in_comm = [c for c in in_sub if c.area_path.startswith(comm)]
    others = list(Unit.objects.filter(kind=UnitKind.DEPARTMENT).exclude(pk=dept).order_by("code")[:3])
    if len(in_sub) < 4 or len(in_comm) < 2:
        return
    titles = ["占道经营反复回潮，联合整治", "小区周边夜间施工噪声扰民", "背街小巷垃圾积存", "井盖破损存在安全隐患"]
    whistles = []
    for i, title in enumerate(titles):
        cases = in_sub[:2] if i == 0 else [in_sub[(i + 1) % len(in_sub)]]
        whistles.append(ws.whistle_create(actor=logins["subdistrict"], title=title, cases=cases, lead=lead,
                                          co=rng.sample(others, k=min(len(others), 1 + i % 2)),
                                          description=f"{title}，请相关部门到场处置。",
                                          urgency="urgent" if i == 3 else "normal"))
    # The first reported back and rated, then closed; the second reported back; the third checked in; the
    # fourth still waits for the departments.
    for i, whistle in enumerate(whistles[:3]):
        response = whistle.responses.get(unit=lead)
        response = ws.whistle_check_in(actor=logins["department"], response=response,
                                       expected_version=response.version, note="已到场")
        if i < 2:
            response = ws.whistle_report(actor=logins["department"], response=response,
                                         expected_version=response.version, note="已组织清理整治，现场恢复正常")
        if i == 0:
            ws.whistle_rate(actor=logins["subdistrict"], response=response, expected_version=response.version,
                            rating=5, comment="响应迅速")
            whistle.refresh_from_db()
            ws.whistle_close(actor=logins["subdistrict"], whistle=whistle, expected_version=whistle.version,
                             note="整治完成")
    # Orders: the community urges its cases (the first answered by whoever must answer it, the second made
    # late and escalated); the subdistrict urges the newest case of the subdistrict.
    from jiceng.accounts.scope import scope_for

    orders = [sup.supervision_issue(actor=logins["community"], case=c, note="请尽快处理并回复进展")
              for c in in_comm[:2]]
    orders.append(sup.supervision_issue(actor=logins["subdistrict"], case=in_sub[-1], note="街道督办：请本周内办结"))
    repliers = [u for u in logins.values() if sup.may_reply(scope_for(u), orders[0])]
    if repliers and len(orders) > 2:
        sup.supervision_reply(actor=repliers[0], order=orders[0], reply="已安排人员，今日处理完毕")
    if len(orders) > 2:
        SupervisionOrder.objects.filter(pk=orders[1].pk).update(reply_due=timezone.now() - timedelta(hours=2))
        sup.supervision_escalate(actor=logins["subdistrict"], order=orders[1], note="逾期未回复，升级街道督办")
    log(f"  {len(whistles)} whistles, {SupervisionOrder.objects.count()} supervision orders")


def _walk(rng: random.Random, row: dict, unit: Unit | None, category: Category, urgency: str, now: datetime,
          deadlines: _Deadlines) -> list[tuple]:
    """The case's events up to now, and the fields each stage sets on the row (deadlines, closed_at)."""
    at = row["created_at"]
    state = CaseState.REGISTERED  # every demo case has a building, so it is placed at once
    steps = [(at, "report", "", state, "", {"channel": row["channel"], "suggested_unit": unit.pk if unit else None,
                                           "triage_reason": ""})]
    row.update(unit_id=None, handle_due=None, verify_due=None, suspended_at=None, closed_at=None)

    def step(hours: float, transition: str, to: str, note: str = "", data: dict | None = None) -> bool:
        nonlocal at, state
        nxt = at + timedelta(hours=hours)
        if nxt >= now:
            return False
        steps.append((nxt, transition, state, to, note, data or {}))
        at, state = nxt, to
        return True

    if not step(rng.uniform(0.2, 4), "dispatch", CaseState.DISPATCHED, data={"unit": unit.pk if unit else None}):
        return steps
    row["unit_id"] = unit.pk if unit else None
    row["handle_due"] = deadlines.due(category, "handle", urgency, at)
    if rng.random() < 0.03:  # the unit finds it is not theirs, and the community sends it on again
        if not step(rng.uniform(0.5, 6), "return", CaseState.RETURNED, "非本单位职责，请改派"):
            return steps
        row["unit_id"] = None
        if not step(rng.uniform(0.5, 8), "dispatch", CaseState.DISPATCHED, data={"unit": unit.pk if unit else None}):
            return steps
        row["unit_id"] = unit.pk if unit else None
        row["handle_due"] = deadlines.due(category, "handle", urgency, at)
    if not step(rng.uniform(0.1, 6), "accept", CaseState.ACCEPTED):
        return steps
    # Hours left to the handle deadline (at least one: a slow acceptance may have used it all up).
    limit = max(1.0, (row["handle_due"] - at).total_seconds() / 3600) if row["handle_due"] else 48
    # Most work ends well inside the limit; about one case in twelve runs late.
    work = limit * (rng.uniform(0.1, 0.9) if rng.random() > 0.08 else rng.uniform(1.05, 2.5))
    if not step(work, "handle", CaseState.HANDLED, "已到现场处置完毕，并拍照留存"):
        return steps
    row["verify_due"] = deadlines.due(category, "verify", urgency, at)
    if rng.random() < 0.04:
        if not step(rng.uniform(1, 24), "rework", CaseState.ACCEPTED, "现场核查仍未整改到位"):
            return steps
        row["handle_due"] = deadlines.due(category, "handle", urgency, at)
        if not step(rng.uniform(2, 30), "handle", CaseState.HANDLED, "已再次处置"):
            return steps
        row["verify_due"] = deadlines.due(category, "verify", urgency, at)
    if not step(rng.uniform(0.5, 20), "verify", CaseState.VERIFIED, "核查属实，已处置"):
        return steps
    if not step(rng.uniform(0.1, 3), "close", CaseState.CLOSED):
        return steps
    row["closed_at"] = at
    return steps


def _fresh_reports(actor, community_path: str, unit: Unit, n: int) -> list[Case]:
    """A small build closes nearly every case of the year: report a few today through intake, dispatched
    to the department, for the whistles and orders to act on."""
    from jiceng.cases import case_services

    buildings = list(Area.objects.filter(kind=AreaKind.BUILDING, path__startswith=community_path)
                     .order_by("path")[:n])
    category = (Category.objects.filter(depth=2, active=True, is_major_hazard=False).order_by("code").first())
    if not buildings or category is None:
        return []
    urgency = (category.urgency_levels or ["normal"])[0]
    cases = []
    for i in range(n):
        case = case_services.case_report(actor=actor, channel=CaseChannel.STAFF, category=category,
                                         urgency=urgency, building=buildings[i % len(buildings)],
                                         description=f"{category.name}，居民多次反映，请尽快处理。")
        cases.append(case_services.case_dispatch(actor=actor, case=case, unit=unit, expected_version=case.version))
    return cases
