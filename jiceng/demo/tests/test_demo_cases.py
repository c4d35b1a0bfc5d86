"""The demo's year of cases walks the real state machine: every event is a declared transition in
time order, the stored state is the last event's, numbers never collide with new reports."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.db.models import Count

from jiceng.accounts.models import User
from jiceng.areas.models import Area, AreaKind
from jiceng.cases import workflow
from jiceng.cases.case_services import case_report, route
from jiceng.cases.models import Case, CaseChannel, CaseEvent, CaseFeedback, CaseState, Category
from jiceng.demo.build import build_demo

N_CASES = 1500


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield build_demo(residents=0, cases=N_CASES)
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


pytestmark = pytest.mark.django_db


def test_every_case_walks_the_state_machine(demo):
    # The year's cases, plus (in a build this small, whose year closes nearly everything) the few reported
    # today through intake by the community login for the whistles and orders to act on.
    assert Case.objects.filter(created_by__isnull=True).count() == N_CASES
    assert Case.objects.filter(created_by__isnull=False).count() <= 4
    by_case: dict[int, list[CaseEvent]] = {}
    for e in CaseEvent.objects.order_by("case_id", "seq"):
        by_case.setdefault(e.case_id, []).append(e)
    for case in Case.objects.only("id", "state", "version", "closed_at", "unit_id"):
        events = by_case[case.pk]
        assert events[0].transition == "report" and [e.seq for e in events] == list(range(1, len(events) + 1))
        for before, after in zip(events, events[1:], strict=False):
            assert after.from_state == before.to_state and after.at >= before.at
            assert workflow.next_state(after.from_state, after.transition) == after.to_state, after
        assert case.state == events[-1].to_state and case.version == len(events)
        if case.state == CaseState.CLOSED:
            assert case.closed_at is not None and "verify" in [e.transition for e in events]


def test_the_year_has_every_stage_and_some_late_work(demo):
    states = dict(Case.objects.values_list("state").annotate(n=Count("id")))
    assert states[CaseState.CLOSED] > N_CASES * 0.8
    assert set(Case.objects.values_list("channel", flat=True)) == set(CaseChannel.values)
    late = sum(1 for c in Case.objects.filter(state=CaseState.CLOSED).exclude(handle_due=None)
               .prefetch_related("events") if next(e.at for e in reversed(c.events.all()) if e.transition ==
                                                    "handle") > c.handle_due)
    assert 0 < late < N_CASES * 0.2
    assert CaseFeedback.objects.filter(case__state=CaseState.CLOSED).count() > N_CASES * 0.5


def test_the_catalogue_routes_new_reports_and_numbers_do_not_collide(demo):
    building = Area.objects.filter(kind=AreaKind.BUILDING).order_by("path").first()
    category = Category.objects.get(code="E0501")  # 占道经营 -> city management
    assert route(category=category, lat=None, lng=None, crs="wgs84", building=building).unit.name == "区城市管理局"
    district_user = User.objects.get(username="district")
    before = Case.objects.count()
    case = case_report(actor=district_user, channel=CaseChannel.STAFF, category=category, description="占道经营",
                       building=building)
    assert case.state == CaseState.REGISTERED and Case.objects.count() == before + 1


def test_the_whistle_and_supervision_workbenches_have_work_in_every_state(demo):
    from jiceng.cases import supervision_selectors, whistle_selectors
    from jiceng.cases.supervision_models import SupervisionOrder
    from jiceng.cases.whistle_models import Whistle, WhistleResponse

    assert set(Whistle.objects.values_list("state", flat=True)) == {"open", "closed"}
    assert {"summoned", "checked_in", "reported"} <= set(WhistleResponse.objects.values_list("state", flat=True))
    assert WhistleResponse.objects.filter(rating__isnull=False).exists()
    orders = SupervisionOrder.objects.all()
    assert orders.filter(replied_at__isnull=False).exists() and orders.filter(escalated_from__isnull=False).exists()
    assert orders.filter(replied_at__isnull=True, escalation__isnull=True).exists()
    subdistrict, department = User.objects.get(username="subdistrict"), User.objects.get(username="department")
    assert whistle_selectors.whistle_list(subdistrict).exists() and whistle_selectors.whistle_list(department).exists()
    assert supervision_selectors.orders(subdistrict, state="open").exists()
