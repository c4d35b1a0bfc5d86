"""Feedback metrics: each rate equals a recount from the stored events and ratings of hand-built cases
(merged, suspended, reopened, unrated among them); scope; a constant number of queries; topics."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import count
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jiceng.areas.services import area_create
from jiceng.cases import case_services as svc
from jiceng.cases import metrics
from jiceng.cases.models import Case, CaseEvent, CaseFeedback, CaseState, Category, DispatchCatalogue
from jiceng.cases.tests.test_case_services import POINT_A, make_category
from jiceng.testing import square

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
NUMBERS = count(1)


def chain_of(grid) -> dict:
    from jiceng.people.services import area_chain

    return area_chain(grid)


def make_case(cat: Category, grid, created: datetime, steps: list[tuple[float, str, str]], *, urgency="normal",
              unit=None, handle_due_hours: float | None = 48, closed_after: float | None = None,
              ratings: list[tuple[float, str, bool | None, bool]] = ()) -> Case:
    """A case written straight into the tables, as an import or the demo would: `steps` are
    (hours after report, transition, to_state); ratings are (hours, rating, resolved, reached)."""
    last_state = steps[-1][2] if steps else CaseState.REGISTERED
    case = Case.objects.create(
        number=f"GL20260101{next(NUMBERS):05d}", channel="staff", category=cat, urgency=urgency, title="t",
        description="d", state=last_state, created_at=created, unit=unit, version=len(steps) + 1,
        handle_due=created + timedelta(hours=handle_due_hours) if handle_due_hours is not None else None,
        closed_at=created + timedelta(hours=closed_after) if closed_after is not None else None,
        **chain_of(grid))
    CaseEvent.objects.create(case=case, seq=1, at=created, transition="report", to_state=CaseState.REGISTERED)
    frm = CaseState.REGISTERED
    for seq, (hours, transition, to) in enumerate(steps, start=2):
        CaseEvent.objects.create(case=case, seq=seq, at=created + timedelta(hours=hours), transition=transition,
                                 from_state=frm, to_state=to)
        frm = to
    for hours, rating, resolved, reached in ratings:
        CaseFeedback.objects.create(case=case, source="follow_up", rating=rating, resolved=resolved, reached=reached,
                                    at=created + timedelta(hours=hours))
    return case


FULL = [(1, "dispatch", "dispatched"), (3, "accept", "accepted"), (20, "handle", "handled"),
        (22, "verify", "verified"), (23, "close", "closed")]


@pytest.fixture
def cat(district):
    c = make_category()
    DispatchCatalogue.objects.create(category=c, area=district.s1, unit=district.department)
    return c


@pytest.fixture
def period():
    return metrics.Period(date(2026, 3, 1), date(2026, 3, 31), "month")


@pytest.fixture
def cases(district, cat):
    """Ten cases in community A (grid A1) and two in B, reported in March 2026 (Asia/Shanghai)."""
    t = datetime(2026, 3, 10, 9, 0, tzinfo=SH)
    g, dep = district.a.grid, district.department
    made = {
        # On time all round, satisfied and solved.
        "good": make_case(cat, g, t, FULL, unit=dep, closed_after=23, ratings=[(30, "satisfied", True, True)]),
        # Accepted 30 hours after dispatch (late), closed after its deadline, basically satisfied.
        "late": make_case(cat, g, t, [(1, "dispatch", "dispatched"), (31, "accept", "accepted"),
                                      (50, "handle", "handled"), (52, "verify", "verified"), (53, "close", "closed")],
                          unit=dep, closed_after=53, ratings=[(60, "basically", True, True)]),
        # Urgent, accepted after 3 hours: late for an urgent case. Closed with no rating (unrated).
        "urgent": make_case(cat, g, t, FULL[:1] + [(4, "accept", "accepted"), (6, "handle", "handled"),
                                                  (7, "verify", "verified"), (8, "close", "closed")],
                            urgency="urgent", unit=dep, closed_after=8),
        # Reworked once, then closed; first rated unsatisfied, then satisfied: the latest counts.
        "rework": make_case(cat, g, t, FULL[:3] + [(21, "rework", "accepted"), (25, "handle", "handled"),
                                                  (26, "verify", "verified"), (27, "close", "closed")],
                            unit=dep, closed_after=27,
                            ratings=[(28, "unsatisfied", False, True), (40, "satisfied", True, True)]),
        # Closed, reopened after an unsatisfied rating, now waiting for dispatch: counts as rework, not closed.
        "reopened": make_case(cat, g, t, FULL + [(40, "reopen", "registered")], unit=None,
                              ratings=[(30, "unsatisfied", False, True)]),
        # Suspended while accepted: the deadline was pushed back on resume (stored handle_due), closed in time.
        "suspended": make_case(cat, g, t, FULL[:2] + [(5, "suspend", "suspended"), (70, "resume", "accepted"),
                                                     (80, "handle", "handled"), (81, "verify", "verified"),
                                                     (82, "close", "closed")],
                               unit=dep, handle_due_hours=48 + 65, closed_after=82),
        # A follow-up call that did not reach the resident: no rating, ignored; a reached one without
        # an answer on "solved" counts for satisfaction only.
        "unreached": make_case(cat, g, t, FULL, unit=dep, closed_after=23,
                               ratings=[(30, "", None, False), (31, "unsatisfied", None, True)]),
        # Dispatched and never accepted, long past the window: due, not responded.
        "ignored": make_case(cat, g, t, FULL[:1], unit=dep),
        # Registered only, never dispatched: counts as a case, no rate's denominator.
        "new": make_case(cat, g, t, []),
        # Community B.
        "b1": make_case(cat, district.b.grid, t, FULL, unit=dep, closed_after=23,
                        ratings=[(30, "unsatisfied", False, True)]),
        "b2": make_case(cat, district.b.grid, t, FULL[:1], unit=dep),
    }
    # A duplicate merged into "good": left out of every figure.
    dup = make_case(cat, g, t, FULL, unit=dep, closed_after=23, ratings=[(30, "unsatisfied", False, True)])
    Case.objects.filter(pk=dup.pk).update(merged_into=made["good"])
    # 28 Feb 16:30 UTC is 1 March 00:30 in Shanghai: a March case; 15:30 UTC is still February there.
    made["early_march"] = make_case(cat, g, datetime(2026, 2, 28, 16, 30, tzinfo=UTC), FULL, unit=dep,
                                    closed_after=23, ratings=[(30, "satisfied", True, True)])
    make_case(cat, g, datetime(2026, 2, 28, 15, 30, tzinfo=UTC), FULL, unit=dep, closed_after=23)  # Feb
    return made


def recount(qs) -> metrics.Counts:
    """The rates recounted in Python, case by case, from each case's events and ratings."""
    c = metrics.Counts()
    now = timezone.now()
    for case in qs.filter(merged_into__isnull=True).prefetch_related("events", "feedback"):
        events = sorted(case.events.all(), key=lambda e: e.seq)
        c.cases += 1
        dispatch = next((e.at for e in events if e.transition == "dispatch"), None)
        accept = next((e.at for e in events if e.transition == "accept"), None)
        limit = timedelta(hours=metrics.RESPONSE_LIMIT_HOURS[case.urgency])
        if dispatch and (accept or now - dispatch > limit):
            c.response_due += 1
            c.responded += bool(accept and accept - dispatch <= limit)
        rated = sorted((f for f in case.feedback.all() if f.reached and f.rating), key=lambda f: (f.at, f.id))
        if rated:
            latest = rated[-1]
            c.rated += 1
            c.satisfied += latest.rating == "satisfied"
            c.basically += latest.rating == "basically"
            if latest.resolved is not None:
                c.answered += 1
                c.resolved += latest.resolved
        if case.state == CaseState.CLOSED:
            c.closed += 1
            c.on_time += case.handle_due is None or case.closed_at <= case.handle_due
        if any(e.transition == "handle" for e in events):
            c.handled += 1
            c.reworked += any(e.transition in ("rework", "reopen") for e in events)
    return c


def test_each_rate_equals_a_recount_from_events(personas, district, cases, period):
    board = metrics.metrics_dashboard(personas.district_admin, metrics.MetricFilters(period=period))
    lo, hi = period.bounds
    expected = recount(Case.objects.filter(created_at__gte=lo, created_at__lt=hi))
    assert board.total == expected
    # The hand-built set, counted by hand: 12 March cases (the merged duplicate and February's are out).
    assert expected.cases == 12
    assert (expected.responded, expected.response_due) == (7, 11)  # late, urgent and the two ignored miss
    assert (expected.rated, expected.satisfied, expected.basically) == (7, 3, 1)
    assert (expected.resolved, expected.answered) == (4, 6)  # "unreached" answered no "solved"
    assert (expected.on_time, expected.closed) == (7, 8)  # "late" closed after its deadline
    assert (expected.reworked, expected.handled) == (2, 9)
    rates = board.total.rates
    assert rates["satisfaction"] == round(4 / 7, 4) and rates["rework"] == round(2 / 9, 4)


def test_groupings_sum_to_the_total_and_split_by_area(personas, district, cases, period):
    board = metrics.metrics_dashboard(personas.district_admin, metrics.MetricFilters(period=period))
    assert board.area_level == "subdistrict"
    assert [r.key for r in board.by_area] == [district.s1.pk]
    by_grid = {r.key: r.counts for r in board.by_grid}
    assert by_grid[district.a.grid.pk].cases == 10 and by_grid[district.b.grid.pk].cases == 2
    march = next(r for r in board.by_month if r.key == "2026-03")
    assert march.counts == board.total
    drill = metrics.metrics_dashboard(personas.district_admin,
                                      metrics.MetricFilters(period=period, area=district.s1))
    assert drill.area_level == "community"
    assert {r.key: r.counts.cases for r in drill.by_area} == {district.a.area.pk: 10, district.b.area.pk: 2}
    assert [r.code for r in board.by_category] == ["T01"]
    assert {r.key for r in board.by_unit} == {district.department.pk, None}


def test_community_b_sees_nothing_of_a(personas, district, cases, period):
    board = metrics.metrics_dashboard(personas.community_b, metrics.MetricFilters(period=period))
    assert board.total.cases == 2
    assert {r.key for r in board.by_grid} == {district.b.grid.pk}
    assert board.area_level == "grid"
    with pytest.raises(metrics.Http404):
        metrics.metrics_area(personas.community_b, district.a.area.pk)
    with pytest.raises(metrics.Http404):
        metrics.metrics_dashboard(personas.member, metrics.MetricFilters(period=period))


def test_a_case_inside_its_response_window_is_not_yet_due(personas, district, cat):
    now = timezone.now()
    make_case(cat, district.a.grid, now - timedelta(hours=2), FULL[:1], unit=district.department)
    # Dispatched three hours ago: past the urgent limit of two hours, due and missed.
    make_case(cat, district.a.grid, now - timedelta(hours=4), FULL[:1], urgency="urgent", unit=district.department)
    today = timezone.localtime(now, SH).date()
    total = metrics.metrics_dashboard(personas.district_admin, metrics.MetricFilters(
        period=metrics.Period(today - timedelta(days=1), today))).total
    assert (total.cases, total.response_due, total.responded) == (2, 1, 0)


def test_an_acceptance_exactly_at_the_limit_is_in_time(personas, district, cat, period):
    t = datetime(2026, 3, 10, 9, 0, 0, 123456, tzinfo=SH)
    make_case(cat, district.a.grid, t, [(1, "dispatch", "dispatched"), (25, "accept", "accepted")],
              unit=district.department)
    total = metrics.metrics_dashboard(personas.district_admin, metrics.MetricFilters(period=period)).total
    assert (total.responded, total.response_due) == (1, 1)


def test_department_sees_the_cases_of_its_unit(personas, district, cases, period):
    board = metrics.metrics_dashboard(personas.department, metrics.MetricFilters(period=period))
    assert board.total.cases == Case.objects.filter(unit=district.department, merged_into__isnull=True,
                                                    created_at__gte=period.bounds[0],
                                                    created_at__lt=period.bounds[1]).count()


def test_cases_through_the_services_count(personas, district, cat, django_user_model):
    c = svc.case_report(actor=personas.community_a, category=cat, description="路灯不亮", lat=POINT_A[0],
                        lng=POINT_A[1], channel="staff")
    c = svc.case_dispatch(actor=personas.community_a, case=c, unit=district.department, expected_version=c.version)
    c = svc.case_accept(actor=personas.department, case=c, expected_version=c.version)
    c = svc.case_suspend(actor=personas.subdistrict_staff, case=c, expected_version=c.version, note="等待")
    c = svc.case_resume(actor=personas.subdistrict_staff, case=c, expected_version=c.version)
    c = svc.case_handle(actor=personas.department, case=c, expected_version=c.version, note="修好了")
    c = svc.case_verify(actor=personas.community_a, case=c, expected_version=c.version)
    c = svc.case_close(actor=personas.community_a, case=c, expected_version=c.version)
    today = timezone.localtime(timezone.now(), SH).date()
    board = metrics.metrics_dashboard(personas.community_a, metrics.MetricFilters(
        period=metrics.Period(today, today)))
    assert board.total.as_dict()["rates"] == {"response": 1.0, "resolution": None, "satisfaction": None,
                                              "on_time": 1.0, "rework": 0.0}


def _add_community(district, i: int):
    comm = area_create(actor=None, parent=district.s2, kind="community", code=f"350102002{100 + i:03d}",
                       name=f"新社区{i}")
    return area_create(actor=None, parent=comm, kind="grid", code=f"350102002{100 + i:03d}001",
                       name=f"新网格{i}", geometry=square(119.4 + i * 0.01, 26.2))


def test_query_count_is_constant_as_areas_grow(personas, district, cat, period):
    t = datetime(2026, 3, 5, 10, tzinfo=SH)
    f = metrics.MetricFilters(period=period)

    def queries() -> int:
        personas.district_admin.__dict__.pop("_jiceng_scope", None)
        with CaptureQueriesContext(connection) as ctx:
            board = metrics.metrics_dashboard(personas.district_admin, f)
        return len(ctx.captured_queries), len(board.by_grid)

    for i in range(2):
        make_case(cat, _add_community(district, i), t, FULL, unit=district.department, closed_after=23)
    small, grids_small = queries()
    for i in range(2, 12):
        make_case(cat, _add_community(district, i), t, FULL, closed_after=23)
    large, grids_large = queries()
    assert (grids_small, grids_large) == (2, 12)
    assert small == large <= 7  # scope (2), the cube, areas, categories (2), units


def test_periods():
    assert metrics.period_of("quarter", "2026Q2") == metrics.Period(date(2026, 4, 1), date(2026, 6, 30), "quarter")
    assert metrics.period_of("month", "2026-02").end == date(2026, 2, 28)
    assert metrics.period_of("year", "2025").label == "2025"
    recent = metrics.period_of("", today=date(2026, 12, 2))
    assert (recent.start, recent.end) == (date(2026, 1, 1), date(2026, 12, 2))
    with pytest.raises(ValueError):
        metrics.period_of("quarter", "2026Q5")


def test_ranking_orders_best_first_and_rework_lowest_first():
    def row(label, responded, due, reworked, handled):
        return metrics.MetricRow(label, label, metrics.Counts(cases=due, response_due=due, responded=responded,
                                                              handled=handled, reworked=reworked))

    rows = [row("a", 5, 10, 1, 10), row("b", 9, 10, 5, 10), row("c", 9, 10, 0, 0)]
    assert [(rank, r.label) for rank, r in metrics.metrics_ranking(rows, "response")] == [
        (1, "b"), (1, "c"), (3, "a")]
    assert [r.label for _rank, r in metrics.metrics_ranking(rows, "rework")] == ["a", "b"]


def test_monthly_topics_rank_classes_and_mark_recurrence(personas, district, cat):
    other = make_category("T02")
    third = make_category("T03")
    g = district.a.grid
    for month in range(1, 7):
        for _ in range(3):
            make_case(cat, g, datetime(2026, month, 10, tzinfo=SH), FULL[:1])
        if month == 6:
            make_case(other, g, datetime(2026, month, 11, tzinfo=SH), FULL[:1])
    make_case(third, district.b.grid, datetime(2026, 6, 12, tzinfo=SH), FULL[:1])
    result = metrics.metrics_topics(personas.community_a, month="2026-06", top_n=2)
    assert [(t.code, t.count, t.months_in_top, t.recurring) for t in result.topics] == [
        ("T01", 3, 6, True), ("T02", 1, 1, False)]
    assert len(result.topics[0].cases) == 3 and all(c.community_id == district.a.area.pk
                                                    for c in result.topics[0].cases)
    assert result.window[0] == "2026-01"
