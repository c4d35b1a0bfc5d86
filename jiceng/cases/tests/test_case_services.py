"""Case intake, routing, deadlines and every transition of the state machine, by map and by role."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from jiceng.accounts.models import AuditEvent
from jiceng.areas.geo import wgs84_to_gcj02
from jiceng.cases import case_selectors as sel
from jiceng.cases import case_services as svc
from jiceng.cases import workflow
from jiceng.cases.calendar import deadline_add
from jiceng.cases.models import Case, CaseEvent, CaseState, Category, DispatchCatalogue
from jiceng.units.models import Unit, UnitKind

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
# Inside grid A1 (a 0.01° square from 119.30E 26.08N), WGS-84.
POINT_A = (26.085, 119.305)
POINT_B = (26.085, 119.325)
OUTSIDE = (30.0, 110.0)


def make_category(code: str = "T01", parent: Category | None = None) -> Category:
    spec = {"code": code, "name": f"类{code}", "case_class": "event", "urgency_levels": ["normal", "urgent"],
            "unit_kind": "department"}
    c = Category.objects.add_child(parent, spec) if parent else Category.objects.add_root(spec)
    if parent is None:
        for stage, amount, unit in (("register", 1, "working_hours"), ("dispatch", 2, "working_hours"),
                                    ("handle", 2, "working_days"), ("verify", 1, "working_days")):
            c.limits.create(stage=stage, urgency="normal", amount=amount, unit=unit)
    return c


@pytest.fixture(autouse=True)
def english():
    """Messages are matched in the English source, whatever the project's default language."""
    with translation.override("en"):
        yield


@pytest.fixture
def cat(district):
    c = make_category()
    DispatchCatalogue.objects.create(category=c, area=district.s1, unit=district.department)
    return c


def report(actor, cat, point=POINT_A, **kw) -> Case:
    lat, lng = point if point else (None, None)
    kw.setdefault("channel", "staff")
    return svc.case_report(actor=actor, category=cat, description="路灯不亮\n详情", lat=lat, lng=lng, **kw)


def dispatched(personas, cat, unit) -> Case:
    c = report(personas.community_a, cat)
    return svc.case_dispatch(actor=personas.community_a, case=c, unit=unit, expected_version=c.version)


def handled(personas, cat, district) -> Case:
    c = dispatched(personas, cat, district.department)
    c = svc.case_accept(actor=personas.department, case=c, expected_version=c.version)
    return svc.case_handle(actor=personas.department, case=c, expected_version=c.version, note="修好了")


# --- intake and routing ---------------------------------------------------------------------------


def test_report_routes_point_to_grid_chain_and_unit(personas, district, cat):
    c = report(personas.grid_worker, cat, channel="patrol", reporter_phone="13812345678", reporter_name="王")
    assert c.state == CaseState.REGISTERED and c.suggested_unit == district.department and c.unit is None
    assert (c.grid_id, c.community_id, c.subdistrict_id, c.district_id) == (
        district.a.grid.pk, district.a.area.pk, district.s1.pk, district.district.pk)
    assert c.area_path == district.a.grid.path
    assert c.number.startswith("GL") and len(c.number) == 15
    assert c.reporter_phone_masked == "138****5678" and "13812345678" not in c.reporter_phone_encrypted
    ev = c.events.get()
    assert (ev.seq, ev.transition, ev.from_state, ev.to_state) == (1, "report", "", "registered")
    assert AuditEvent.objects.filter(action="case.report", object_id=str(c.pk)).exists()
    assert "13812345678" not in str(AuditEvent.objects.filter(action="case.report").values_list("changes"))


def test_numbers_are_sequential_and_unique(personas, cat):
    a, b = report(personas.community_a, cat), report(personas.community_a, cat)
    assert a.number[:10] == b.number[:10] and int(b.number[10:]) == int(a.number[10:]) + 1


def test_report_gcj02_point_is_converted(personas, district, cat):
    lat, lng = wgs84_to_gcj02(*POINT_A)
    c = svc.case_report(actor=personas.community_a, channel="staff", category=cat, description="x", lat=lat,
                        lng=lng, crs="gcj02")
    assert c.grid_id == district.a.grid.pk
    assert abs(c.lat - POINT_A[0]) < 1e-5 and abs(c.lng - POINT_A[1]) < 1e-5


def test_report_by_building_uses_its_ancestry(personas, district, cat):
    c = svc.case_report(actor=personas.subdistrict_staff, channel="hotline_12345", category=cat,
                        description="漏水", building=district.b.building, source_ref="HL-1")
    assert c.grid_id == district.b.grid.pk and c.community_id == district.b.area.pk
    assert c.area_path == district.b.building.path and c.source_ref == "HL-1"


def test_outside_every_grid_goes_to_triage(personas, district, cat):
    c = report(personas.district_admin, cat, point=OUTSIDE)
    assert c.state == CaseState.TRIAGE and c.area_path == "" and "outside every grid" in c.triage_reason
    # Only the district administrator sees an unplaced case.
    assert sel.case_inbox(personas.district_admin).filter(pk=c.pk).exists()
    assert not sel.case_inbox(personas.subdistrict_staff).filter(pk=c.pk).exists()
    c = svc.case_route(actor=personas.district_admin, case=c, area=district.a.grid, expected_version=c.version)
    assert c.state == CaseState.REGISTERED and c.suggested_unit == district.department


def test_no_catalogue_unit_goes_to_triage_in_its_area(personas, district, cat):
    other = make_category("T02")
    c = report(personas.community_a, other)
    assert c.state == CaseState.TRIAGE and "catalogue" in c.triage_reason and c.community_id == district.a.area.pk
    c = svc.case_dispatch(actor=personas.community_a, case=c, unit=district.department, expected_version=1)
    assert c.state == CaseState.DISPATCHED and c.triage_reason == ""


def test_report_validation(personas, district, cat):
    with pytest.raises(ValidationError) as exc:
        svc.case_report(actor=personas.community_a, channel="staff", category=cat, description=" ",
                        reporter_phone="123", urgency="emergency", lat=1.0)
    assert {"description", "reporter_phone", "urgency", "lat"} <= set(exc.value.message_dict)
    with pytest.raises(ValidationError) as exc:
        report(personas.community_a, cat, point=POINT_B)  # community B's grid
    assert "lat" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        report(personas.department, cat)
    with pytest.raises(PermissionDenied):
        report(personas.member, cat)
    assert Case.objects.count() == 0


def test_catalogue_most_specific_area_then_category(personas, district, cat):
    minor = make_category("T0101", parent=cat)
    specific = Unit.objects.create(kind=UnitKind.DEPARTMENT, name="A社区物业", code="U-A", home_area=district.a.area)
    other = Unit.objects.create(kind=UnitKind.DEPARTMENT, name="区住建局", code="U-Z", home_area=district.district)
    DispatchCatalogue.objects.create(category=minor, area=district.district, unit=other)
    DispatchCatalogue.objects.create(category=cat, area=district.a.area, unit=specific)
    # The major class on community A beats the minor class on the district.
    assert svc.catalogue_unit(minor, district.a.grid.path) == specific
    # In community B, subdistrict S1 (major class) beats the district (minor class): deeper area first.
    assert svc.catalogue_unit(minor, district.b.grid.path) == district.department
    # In subdistrict S2, only the district entry for the minor class applies.
    assert svc.catalogue_unit(minor, district.c.grid.path) == other
    assert svc.catalogue_unit(cat, district.c.grid.path) is None
    DispatchCatalogue.objects.create(category=minor, area=district.a.area, unit=other)
    assert svc.catalogue_unit(minor, district.a.grid.path) == other


def test_catalogue_set_by_district_admin_only(personas, district, cat):
    e = svc.catalogue_set(actor=personas.district_admin, category=cat, area=district.c.area,
                          unit=district.department)
    assert svc.catalogue_unit(cat, district.c.grid.path) == district.department
    with pytest.raises(PermissionDenied):
        svc.catalogue_set(actor=personas.subdistrict_staff, category=cat, area=district.a.area,
                          unit=district.department)
    svc.catalogue_delete(actor=personas.district_admin, entry=e)
    assert svc.catalogue_unit(cat, district.c.grid.path) is None


# --- deadlines ------------------------------------------------------------------------------------


def test_stage_deadlines_on_working_days(personas, district, cat):
    # Friday 2025-09-26 16:00: two working days on the calendar skip the weekend and the National Day week.
    start = datetime(2025, 9, 30, 16, 0, tzinfo=SH)
    assert svc.stage_due(cat, "handle", "normal", start) == deadline_add(start, 2, "working_days")
    assert svc.stage_due(cat, "handle", "normal", start).astimezone(SH).date() > datetime(2025, 10, 8).date()
    # A minor class without limits of its own uses its major class's; an urgency without limits uses normal.
    minor = make_category("T0101", parent=cat)
    assert svc.stage_due(minor, "verify", "urgent", start) == deadline_add(start, 1, "working_days")
    bare = make_category("T09")
    bare.limits.all().delete()
    assert svc.stage_due(bare, "handle", "normal", start) is None


def test_staged_limits_add_up(district):
    c = make_category("T05")
    c.limits.filter(stage="handle").delete()
    c.limits.create(stage="handle", urgency="normal", order=1, step="stop", amount=1, unit="natural_days")
    c.limits.create(stage="handle", urgency="normal", order=2, step="penalty", amount=2, unit="natural_days")
    start = datetime(2025, 9, 1, 9, 0, tzinfo=SH)
    assert svc.stage_due(c, "handle", "normal", start) - start == timedelta(days=3)


def test_deadlines_set_as_stages_start(personas, district, cat):
    c = report(personas.community_a, cat)
    assert c.register_due and c.dispatch_due and c.handle_due is None and c.verify_due is None
    c = svc.case_dispatch(actor=personas.community_a, case=c, unit=district.department, expected_version=1)
    assert c.handle_due == svc.stage_due(cat, "handle", "normal", c.events.last().at) or c.handle_due
    c = svc.case_accept(actor=personas.department, case=c, expected_version=c.version)
    c = svc.case_handle(actor=personas.department, case=c, expected_version=c.version, note="done")
    assert c.verify_due is not None


def test_overdue_and_near_due_derived(personas, district, cat):
    c = dispatched(personas, cat, district.department)
    now = timezone.now()
    Case.objects.filter(pk=c.pk).update(handle_due=now - timedelta(minutes=1))
    inbox = sel.case_inbox(personas.community_a, sel.InboxFilters(overdue=True))
    assert [x.pk for x in inbox] == [c.pk] and inbox[0].overdue
    assert not sel.case_inbox(personas.community_a, sel.InboxFilters(near_due=True)).exists()
    Case.objects.filter(pk=c.pk).update(handle_due=now + timedelta(hours=2))
    assert sel.case_inbox(personas.community_a, sel.InboxFilters(near_due=True)).get().pk == c.pk
    assert not sel.case_inbox(personas.community_a, sel.InboxFilters(overdue=True)).exists()
    # Suspended cases are never overdue.
    Case.objects.filter(pk=c.pk).update(handle_due=now - timedelta(days=3), state="suspended")
    assert not sel.case_inbox(personas.community_a, sel.InboxFilters(overdue=True)).exists()


# --- transitions ----------------------------------------------------------------------------------


def test_full_lifecycle(personas, district, cat):
    c = handled(personas, cat, district)
    c = svc.case_verify(actor=personas.community_a, case=c, expected_version=c.version)
    c = svc.case_close(actor=personas.community_a, case=c, expected_version=c.version)
    assert c.state == CaseState.CLOSED and c.closed_at is not None
    events = list(c.events.order_by("seq"))
    assert [e.transition for e in events] == ["report", "dispatch", "accept", "handle", "verify", "close"]
    assert [e.seq for e in events] == [1, 2, 3, 4, 5, 6] and c.version == 6
    for prev, nxt in zip(events, events[1:], strict=False):
        assert nxt.from_state == prev.to_state
    c = svc.case_reopen(actor=personas.community_a, case=c, expected_version=c.version, note="居民不满意")
    assert c.state == CaseState.REGISTERED and c.closed_at is None and c.unit is None


def test_reopen_window(personas, district, cat):
    c = handled(personas, cat, district)
    c = svc.case_verify(actor=personas.community_a, case=c, expected_version=c.version)
    c = svc.case_close(actor=personas.community_a, case=c, expected_version=c.version)
    Case.objects.filter(pk=c.pk).update(closed_at=timezone.now() - timedelta(days=workflow.REOPEN_WINDOW_DAYS + 1))
    with pytest.raises(svc.ConflictError, match="cannot be reopened"):
        svc.case_reopen(actor=personas.community_a, case=c, expected_version=c.version, note="x")


def test_return_goes_back_to_dispatch(personas, district, cat):
    c = dispatched(personas, cat, district.department)
    with pytest.raises(ValidationError):
        svc.case_return(actor=personas.department, case=c, expected_version=c.version, reason="")
    c = svc.case_return(actor=personas.department, case=c, expected_version=c.version, reason="不归我们管")
    assert c.state == CaseState.RETURNED and c.unit is None and c.events.last().note == "不归我们管"
    # The department no longer sees it.
    assert not sel.case_inbox(personas.department).filter(pk=c.pk).exists()
    c = svc.case_dispatch(actor=personas.subdistrict_staff, case=c, unit=None, expected_version=c.version)
    # Dispatched to the grid: the grid worker is the assignee now.
    c = svc.case_accept(actor=personas.grid_worker, case=c, expected_version=c.version)
    assert c.state == CaseState.ACCEPTED


def test_suspend_and_resume_move_the_deadline(personas, district, cat):
    c = dispatched(personas, cat, district.department)
    c = svc.case_accept(actor=personas.department, case=c, expected_version=c.version)
    with pytest.raises(PermissionDenied):  # a suspension needs the subdistrict's approval
        svc.case_suspend(actor=personas.department, case=c, expected_version=c.version, note="等材料")
    c = svc.case_suspend(actor=personas.subdistrict_staff, case=c, expected_version=c.version, note="等材料")
    Case.objects.filter(pk=c.pk).update(suspended_at=timezone.now() - timedelta(hours=5))
    before = c.handle_due
    c = svc.case_resume(actor=personas.subdistrict_staff, case=c, expected_version=c.version)
    assert c.state == CaseState.ACCEPTED and c.handle_due - before >= timedelta(hours=5)


def test_handler_cannot_verify_own_work(personas, district, cat):
    c = report(personas.community_a, cat)
    c = svc.case_dispatch(actor=personas.community_a, case=c, unit=None, expected_version=c.version)
    c = svc.case_accept(actor=personas.grid_worker, case=c, expected_version=c.version)
    c = svc.case_handle(actor=personas.grid_worker, case=c, expected_version=c.version, note="清理了")
    with pytest.raises(ValidationError, match="cannot verify"):
        svc.case_verify(actor=personas.grid_worker, case=c, expected_version=c.version)
    with pytest.raises(ValidationError, match="cannot send their own work back"):
        svc.case_rework(actor=personas.grid_worker, case=c, expected_version=c.version, note="再弄一下")
    # The worker who handled it is offered neither judgement; another verifier is offered both.
    assert not {"verify", "rework"} & set(sel.case_detail(personas.grid_worker, c.number).actions)
    assert {"verify", "rework"} <= set(sel.case_detail(personas.community_a, c.number).actions)
    c = svc.case_rework(actor=personas.community_a, case=c, expected_version=c.version, note="没清干净")
    assert c.state == CaseState.ACCEPTED


def test_version_conflict(personas, district, cat):
    c = report(personas.community_a, cat)
    svc.case_dispatch(actor=personas.community_a, case=c, unit=district.department, expected_version=1)
    with pytest.raises(svc.ConflictError, match="reload"):
        svc.case_dispatch(actor=personas.subdistrict_staff, case=c, unit=district.department, expected_version=1)
    assert Case.objects.get(pk=c.pk).version == 2 and CaseEvent.objects.filter(case=c).count() == 2


def test_action_outside_the_map_is_a_conflict(personas, district, cat):
    c = report(personas.community_a, cat)
    with pytest.raises(svc.ConflictError):
        svc.case_close(actor=personas.community_a, case=c, expected_version=c.version)
    assert Case.objects.get(pk=c.pk).state == CaseState.REGISTERED


def test_state_checked_against_last_event(personas, district, cat):
    c = report(personas.community_a, cat)
    Case.objects.filter(pk=c.pk).update(state=CaseState.RETURNED)
    with pytest.raises(svc.ConflictError, match="history"):
        svc.case_dispatch(actor=personas.community_a, case=c, unit=district.department, expected_version=1)


# Who may take each action on a case in community A, whatever the state (the map is checked separately).
ROLE_MATRIX = {
    "dispatch": {"district_admin", "subdistrict_staff", "community_a"},
    "route": {"district_admin", "subdistrict_staff"},
    "accept": {"department"},
    "return": {"department"},
    "handle": {"department"},
    "suspend": {"district_admin", "subdistrict_staff"},
    "resume": {"district_admin", "subdistrict_staff"},
    "verify": {"district_admin", "subdistrict_staff", "community_a", "grid_worker"},
    "rework": {"district_admin", "subdistrict_staff", "community_a", "grid_worker"},
    "close": {"district_admin", "subdistrict_staff", "community_a"},
    "reopen": {"district_admin", "subdistrict_staff", "community_a"},
}


def test_role_matrix(personas, district, cat):
    from jiceng.accounts.scope import scope_for

    c = dispatched(personas, cat, district.department)
    for action, allowed in ROLE_MATRIX.items():
        got = {name for name in vars(personas) if workflow.may_act(scope_for(getattr(personas, name)), c, action)}
        assert got == allowed, action


@pytest.mark.parametrize("state", list(CaseState.values))
def test_map_allows_exactly_declared_actions(personas, district, cat, state):
    c = dispatched(personas, cat, district.department)
    Case.objects.filter(pk=c.pk).update(state=state)
    CaseEvent.objects.filter(case=c).update(to_state=state)
    for action in workflow.ACTIONS:
        c = Case.objects.get(pk=c.pk)
        actor = personas.department if "assignee" in workflow.ACTION_ROLES[action] else personas.district_admin
        kw = {"unit": district.department} if action == "dispatch" else {}
        kw |= {"area": district.a.grid} if action == "route" else {}
        try:
            svc.case_act(actor=actor, case=c, action=action, expected_version=c.version, note="why", **kw)
        except svc.ConflictError:
            assert (state, action) not in workflow.TRANSITIONS
        except ValidationError:
            # Routing needs an unplaced-or-placed triage case only; the only map-allowed refusal here.
            assert (state, action) in workflow.TRANSITIONS
        else:
            assert (state, action) in workflow.TRANSITIONS
            c.refresh_from_db()
            assert c.state == workflow.TRANSITIONS[(state, action)]
            Case.objects.filter(pk=c.pk).update(state=state, unit=district.department)
            CaseEvent.objects.filter(case=c).update(to_state=state)


def test_department_acts_only_on_its_units_cases(personas, district, cat):
    other = Unit.objects.create(kind=UnitKind.DEPARTMENT, name="区市场监管局", code="U-M", home_area=district.district)
    c = dispatched(personas, cat, other)
    with pytest.raises(PermissionDenied):
        svc.case_accept(actor=personas.department, case=c, expected_version=c.version)
    assert not sel.case_inbox(personas.department).filter(pk=c.pk).exists()
    # Grid workers handle only cases dispatched to their grid, not to a unit.
    with pytest.raises(PermissionDenied):
        svc.case_accept(actor=personas.grid_worker, case=c, expected_version=c.version)


def test_scope_of_reads(personas, district, cat):
    c = report(personas.community_a, cat)
    assert sel.case_get(personas.subdistrict_staff, c.number) == c
    assert sel.case_get(personas.grid_worker, c.number) == c
    from django.http import Http404

    for name in ("community_b", "department", "member", "auditor", "sysadmin"):
        with pytest.raises(Http404):
            sel.case_get(getattr(personas, name), c.number)
    assert AuditEvent.objects.filter(action="access.out_of_scope").exists()


def test_my_tasks(personas, district, cat):
    to_dept = dispatched(personas, cat, district.department)
    to_grid = report(personas.community_a, cat)
    to_grid = svc.case_dispatch(actor=personas.community_a, case=to_grid, unit=None, expected_version=1)
    report(personas.community_a, cat)  # still waiting for dispatch: nobody's task yet
    mine = sel.InboxFilters(mine=True)
    assert [c.pk for c in sel.case_inbox(personas.department, mine)] == [to_dept.pk]
    assert [c.pk for c in sel.case_inbox(personas.grid_worker, mine)] == [to_grid.pk]
    assert not sel.case_inbox(personas.community_a, mine).exists()


def test_events_are_append_only(personas, cat):
    event = report(personas.community_a, cat).events.get()
    event.note = "changed"
    with pytest.raises(RuntimeError):
        event.save()
    with pytest.raises(RuntimeError):
        event.delete()


def test_one_report_runs_a_fixed_handful_of_statements(personas, district, cat, django_assert_max_num_queries):
    """Intake's statements (docs/PERFORMANCE.md): the place, the grid chain, the catalogue, the day's counter
    (update, read), one read of the category's limits and one of the calendar for both deadlines, the case,
    its first event, the audit chain and savepoints: 16, from 21 (three counter statements, two stage_due
    reads of everything, and a look-up of the last event number of a case that has none). PostgreSQL adds
    the audit chain's advisory lock."""
    from django.db import connection

    first = report(personas.community_a, cat)  # the day's counter row exists from here on
    with django_assert_max_num_queries(16 + (connection.vendor == "postgresql")):
        second = report(personas.community_a, cat)
    assert int(second.number[-5:]) == int(first.number[-5:]) + 1
    assert second.events.get().seq == 1 and second.register_due and second.dispatch_due
    assert second.dispatch_due == svc.stage_due(cat, "dispatch", "normal", second.created_at)
