"""The monthly metrics rollup: figures read through it equal the figures computed live from the facts,
for every persona and filter, on generated cases; a late rating, reopen or merge makes its month stale
and the figures stay right; time alone (a late dispatch still waiting) does too; the command; scope;
a constant number of queries."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jiceng.cases import metrics, metrics_rollup
from jiceng.cases.feedback_services import case_follow_up
from jiceng.cases.merge_services import case_merge
from jiceng.cases.models import Case, CaseEvent, CaseState, DispatchCatalogue, MetricsRollup, MetricsRollupBuild
from jiceng.cases.tests.test_case_services import make_category
from jiceng.cases.tests.test_metrics import FULL, SH, make_case

pytestmark = pytest.mark.django_db
MONTHS = ("2026-01", "2026-02", "2026-03")
QUARTER = metrics.Period(date(2026, 1, 1), date(2026, 3, 31), "quarter")


@pytest.fixture
def cats(district):
    major = make_category("R01")
    minor = make_category("R0101", parent=major)
    other = make_category("R02")
    DispatchCatalogue.objects.create(category=major, area=district.s1, unit=district.department)
    return {"major": major, "minor": minor, "other": other}


# Lifecycles a generated case may stop at or go through (hours after report, transition, to state).
LIVES = [
    [],
    FULL[:1],
    FULL[:2],
    FULL[:3],
    FULL,
    [(1, "dispatch", "dispatched"), (30, "accept", "accepted"), (50, "handle", "handled"),
     (52, "verify", "verified"), (53, "close", "closed")],
    FULL[:3] + [(21, "rework", "accepted"), (25, "handle", "handled"), (26, "verify", "verified"),
                (27, "close", "closed")],
    FULL + [(40, "reopen", "registered")],
    FULL[:2] + [(5, "suspend", "suspended"), (70, "resume", "accepted")],
]
RATINGS = [(), ((30, "satisfied", True, True),), ((30, "basically", None, True),),
           ((30, "unsatisfied", False, True), (40, "satisfied", True, True)), ((30, "", None, False),)]


def generate(district, cats, seed: int, n: int = 60) -> list[Case]:
    """n cases spread over the first quarter of 2026 (Asia/Shanghai) in communities A and B, of three
    categories, some for the department and some self-handled, urgent or not, rated or not; a few
    merged into another. Reproducible from the seed."""
    rng = random.Random(seed)
    made = []
    start = datetime(2025, 12, 31, 16, 0, tzinfo=UTC)  # 1 January 00:00 in Shanghai
    for _ in range(n):
        created = start + timedelta(minutes=rng.randrange(0, 90 * 24 * 60))
        steps = rng.choice(LIVES)
        closed = steps[-1][0] if steps and steps[-1][2] == CaseState.CLOSED else None
        made.append(make_case(
            rng.choice(list(cats.values())), rng.choice([district.a.grid, district.b.grid]), created, steps,
            urgency=rng.choice(["normal", "normal", "urgent"]), unit=rng.choice([district.department, None]),
            handle_due_hours=rng.choice([None, 24, 48]), closed_after=closed,
            ratings=rng.choice(RATINGS) if closed else ()))
    for dup in rng.sample(made, 4):
        Case.objects.filter(pk=dup.pk).update(merged_into=made[0] if dup != made[0] else made[1])
    return made


def both(user, f) -> tuple[metrics.Cube, metrics.Cube]:
    user.__dict__.pop("_jiceng_scope", None)
    through = metrics.metrics_cube(user, f)
    user.__dict__.pop("_jiceng_scope", None)
    return through, metrics.metrics_cube(user, f, use_rollup=False)


def build_all() -> None:
    for m in MONTHS:
        metrics_rollup.rollup_build(month=m)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_rollup_plus_live_equals_live_for_every_persona_and_filter(personas, district, cats, seed):
    generate(district, cats, seed)
    build_all()
    assert metrics_rollup.rollup_fresh(list(MONTHS)) == set(MONTHS)
    custom = metrics.Period(date(2026, 1, 15), date(2026, 3, 31), "custom")  # January in part: live
    filters = [
        metrics.MetricFilters(period=QUARTER),
        metrics.MetricFilters(period=custom),
        metrics.MetricFilters(period=QUARTER, area=district.a.area),
        metrics.MetricFilters(period=QUARTER, area=district.a.grid),
        metrics.MetricFilters(period=QUARTER, area=district.s1),
        metrics.MetricFilters(period=QUARTER, unit_id=district.department.pk),
        metrics.MetricFilters(period=QUARTER, category=cats["major"]),  # takes in its minor class
        metrics.MetricFilters(period=QUARTER, category=cats["minor"]),
    ]
    users = [personas.district_admin, personas.subdistrict_staff, personas.community_a, personas.community_b,
             personas.grid_worker, personas.department]
    for user in users:
        for f in filters:
            through, live = both(user, f)
            assert through.groups == live.groups, (user.username, f)
    # Not vacuous: the district's quarter came from the rollup, and a department's cannot.
    plan, _scope = metrics_rollup.rollup_plan(personas.district_admin, filters[0])
    assert plan.rollup_months == MONTHS and plan.live_ranges == ()
    plan, _scope = metrics_rollup.rollup_plan(personas.district_admin, filters[1])
    assert plan.rollup_months == ("2026-02", "2026-03") and len(plan.live_ranges) == 1
    personas.department.__dict__.pop("_jiceng_scope", None)
    assert metrics_rollup.rollup_scope_q(personas.department) is None
    assert metrics.metrics_cube(personas.district_admin, filters[0]).total().cases == Case.objects.filter(
        merged_into__isnull=True).count()


def test_rows_are_the_facts_regrouped_and_a_rebuild_is_deterministic(personas, district, cats):
    generate(district, cats, seed=7)
    build_all()
    first = sorted(MetricsRollup.objects.values_list(*metrics.ROLLUP_KEYS, *metrics.COUNT_FIELDS), key=str)
    build_all()
    assert sorted(MetricsRollup.objects.values_list(*metrics.ROLLUP_KEYS, *metrics.COUNT_FIELDS), key=str) == first
    assert sum(r[len(metrics.ROLLUP_KEYS)] for r in first) == Case.objects.filter(merged_into__isnull=True).count()


def _month_stale_then_right(personas, month: str, change) -> None:
    f = metrics.MetricFilters(period=QUARTER)
    before, _live = both(personas.district_admin, f)
    change()
    assert month not in metrics_rollup.rollup_fresh(list(MONTHS))
    assert metrics_rollup.rollup_fresh(list(MONTHS)) == set(MONTHS) - {month}
    through, live = both(personas.district_admin, f)
    assert through.groups == live.groups
    assert through.groups != before.groups  # the change shows at once, without a rebuild
    # A rebuild straight away still counts the change as "after the build" (it is inside MARK_MARGIN,
    # where a slow transaction could still be committing): the month stays live. Once the margin has
    # passed, the rebuild covers it and the month is fresh again.
    metrics_rollup.rollup_build(month=month)
    assert month not in metrics_rollup.rollup_fresh(list(MONTHS))
    later = timezone.now() + metrics_rollup.MARK_MARGIN + timedelta(seconds=1)
    metrics_rollup.rollup_build(month=month, now=later)
    assert metrics_rollup.rollup_fresh(list(MONTHS), now=later) == set(MONTHS)
    again, live = both(personas.district_admin, f)
    assert again.groups == live.groups == through.groups


def test_a_late_rating_makes_its_month_stale_and_the_figures_stay_right(personas, district, cats):
    generate(district, cats, seed=4)
    case = make_case(cats["major"], district.a.grid, datetime(2026, 2, 10, 9, tzinfo=SH), FULL,
                     unit=district.department, closed_after=23)
    build_all()
    _month_stale_then_right(personas, "2026-02", lambda: case_follow_up(
        actor=personas.district_admin, case=case, reached=True, rating="unsatisfied", resolved=False))


def test_a_late_reopen_makes_its_month_stale(personas, district, cats):
    generate(district, cats, seed=5)
    case = make_case(cats["major"], district.a.grid, datetime(2026, 3, 10, 9, tzinfo=SH), FULL,
                     unit=district.department, closed_after=23)
    build_all()

    def reopen():  # as case_reopen writes it: the row and its event, in one go
        CaseEvent.objects.create(case=case, seq=7, at=timezone.now(), transition="reopen",
                                 from_state=CaseState.CLOSED, to_state=CaseState.REGISTERED)
        Case.objects.filter(pk=case.pk).update(state=CaseState.REGISTERED, closed_at=None, unit=None)

    _month_stale_then_right(personas, "2026-03", reopen)


def test_a_late_merge_makes_its_month_stale(personas, district, cats):
    generate(district, cats, seed=6)
    t = datetime(2026, 1, 20, 9, tzinfo=SH)
    dup = make_case(cats["major"], district.a.grid, t, FULL[:1], unit=district.department)
    target = make_case(cats["major"], district.a.grid, t, FULL[:2], unit=district.department)
    build_all()
    _month_stale_then_right(personas, "2026-01", lambda: case_merge(
        actor=personas.district_admin, case=dup, into=target, expected_version=dup.version))


def test_a_waiting_late_dispatch_is_trusted_only_until_its_window_passes(personas, district, cats):
    """A January case first dispatched an hour before the build, nobody has accepted it: it is not yet
    "response due". The build is fresh until 24 hours after that dispatch, stale from then on (time
    alone changes the figure; no event will come)."""
    created = datetime(2026, 1, 5, 9, tzinfo=SH)
    dispatched = timezone.now() - timedelta(hours=1) - metrics_rollup.MARK_MARGIN
    case = make_case(cats["major"], district.a.grid, created, [], unit=district.department)
    CaseEvent.objects.create(case=case, seq=2, at=dispatched, transition="dispatch",
                             from_state=CaseState.REGISTERED, to_state=CaseState.DISPATCHED)
    Case.objects.filter(pk=case.pk).update(state=CaseState.DISPATCHED)
    build = metrics_rollup.rollup_build(month="2026-01")
    assert build.settles_at == pytest.approx(dispatched + timedelta(hours=24), abs=timedelta(seconds=1))
    assert metrics_rollup.rollup_fresh(["2026-01"]) == {"2026-01"}
    assert metrics_rollup.rollup_fresh(["2026-01"], now=dispatched + timedelta(hours=25)) == set()
    f = metrics.MetricFilters(period=QUARTER)
    assert metrics.metrics_cube(personas.district_admin, f).total().response_due == 0


def test_a_month_is_only_trusted_once_its_last_window_has_passed(personas, district, cats):
    today = timezone.localtime(timezone.now(), metrics.LOCAL).date()
    this_month = f"{today:%Y-%m}"
    metrics_rollup.rollup_build(month=this_month)
    assert metrics_rollup.rollup_fresh([this_month]) == set()
    assert this_month not in metrics_rollup.rollup_due_months()


def test_the_command_rebuilds_given_and_stale_months(personas, district, cats, capsys):
    generate(district, cats, seed=8)
    call_command("metrics-rollup", "--month", "2026-02")
    assert set(MetricsRollupBuild.objects.values_list("month", flat=True)) == {"2026-02"}
    call_command("metrics-rollup", "--stale")
    built = set(MetricsRollupBuild.objects.values_list("month", flat=True))
    assert built >= set(MONTHS) and "2025-12" not in built  # from the first case's month
    assert metrics_rollup.rollup_due_months() == []
    out = capsys.readouterr().out
    assert "2026-01:" in out and "rows in" in out
    call_command("metrics-rollup", "--stale")
    assert "every settled month is fresh" in capsys.readouterr().out
    with pytest.raises(CommandError):
        call_command("metrics-rollup", "--month", "2026-13")
    with pytest.raises(CommandError):
        call_command("metrics-rollup")


def test_community_b_sees_nothing_of_a_through_the_rollup(personas, district, cats):
    generate(district, cats, seed=9)
    build_all()
    f = metrics.MetricFilters(period=QUARTER)
    through, live = both(personas.community_b, f)
    assert through.groups == live.groups
    assert set(through.groups["community_id"]) == {district.b.area.pk}
    assert district.a.grid.pk not in through.groups["grid_id"]
    b_cases = Case.objects.filter(community=district.b.area, merged_into__isnull=True).count()
    assert through.total().cases == b_cases < Case.objects.filter(merged_into__isnull=True).count()
    # Drilling into A from B's scope through the rollup shows nothing either.
    assert metrics.metrics_cube(personas.community_b, metrics.MetricFilters(
        period=QUARTER, area=district.a.area)).total().cases == 0


def test_query_count_is_the_same_with_and_without_the_rollup(personas, district, cats):
    f = metrics.MetricFilters(period=QUARTER)

    def queries(user) -> int:
        user.__dict__.pop("_jiceng_scope", None)
        with CaptureQueriesContext(connection) as ctx:
            metrics.metrics_dashboard(user, f)
        return len(ctx.captured_queries)

    generate(district, cats, seed=10, n=10)
    live = queries(personas.district_admin), queries(personas.community_a)
    build_all()
    fresh = queries(personas.district_admin), queries(personas.community_a)
    generate(district, cats, seed=11, n=40)  # more cases, and every month stale again
    stale = queries(personas.district_admin), queries(personas.community_a)
    build_all()
    again = queries(personas.district_admin), queries(personas.community_a)
    assert live == fresh == stale == again
    assert max(live) <= 7  # scope (2), which months the rollup answers, the cube, areas, categories, units


def test_marks_move_up_on_fresh_months_only_and_too_many_late_rows_mean_live(personas, district, cats,
                                                                             monkeypatch):
    generate(district, cats, seed=12)
    build_all()
    old = dict(MetricsRollupBuild.objects.values_list("month", "event_mark"))
    late = make_case(cats["major"], district.a.grid, datetime(2026, 2, 3, 9, tzinfo=SH), FULL,
                     unit=district.department, closed_after=23)
    later = timezone.now() + metrics_rollup.MARK_MARGIN + timedelta(seconds=1)
    assert metrics_rollup.rollup_remark(months=list(MONTHS), now=later) == 2  # February is stale: kept
    moved = dict(MetricsRollupBuild.objects.values_list("month", "event_mark"))
    assert moved["2026-02"] == old["2026-02"] and moved["2026-01"] > old["2026-01"]
    assert metrics_rollup.rollup_fresh(list(MONTHS), now=later) == {"2026-01", "2026-03"}
    f = metrics.MetricFilters(period=QUARTER)
    through, live = both(personas.district_admin, f)
    assert through.groups == live.groups and through.total().cases == live.total().cases
    assert late.pk  # counted live in February
    # More late rows than the check reads: every month is treated as stale, the figures stay right.
    monkeypatch.setattr(metrics_rollup, "LATE_ROWS_CAP", 3)
    assert metrics_rollup.rollup_fresh(list(MONTHS), now=later) == set()
    through, live = both(personas.district_admin, f)
    assert through.groups == live.groups
