"""The workbench: saved inbox views (per user, one click back to the filters) and the phone task list
where a grid worker accepts a case and reports it handled with a photo; fixed query counts."""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from jiceng.accounts.models import AuditEvent
from jiceng.cases import case_services as svc
from jiceng.cases import workbench_selectors as wsel
from jiceng.cases.models import Case, CaseAttachment, CaseEvent, CaseState, SavedView

from .test_case_services import POINT_B, cat, report  # noqa: F401  (fixture and helpers)

pytestmark = pytest.mark.django_db


def photo(name: str = "done.png") -> SimpleUploadedFile:
    buf = BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buf, "PNG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/png")


def to_grid(personas, cat, point=None):  # noqa: F811
    """A case in grid A1 (or at `point`) dispatched to no unit: the grid's workers handle it."""
    c = report(personas.community_a if point is None else personas.subdistrict_staff, cat,
               **({} if point is None else {"point": point}))
    return svc.case_dispatch(actor=personas.subdistrict_staff, case=c, unit=None, expected_version=c.version)


# --- saved views ----------------------------------------------------------------------------------


def test_saved_view_round_trip_is_per_user(login, personas, district, cat):  # noqa: F811
    client = login(personas.community_a)
    r = client.post(reverse("cases:saved_view_save"),
                    {"name": " 超期待办 ", "query": "state=dispatched&overdue=1&page=3&bogus=x&channel=nope"})
    view = SavedView.objects.get(user=personas.community_a)
    # Only the inbox's own filters are kept (no page, nothing unknown, no invalid value).
    assert view.name == "超期待办" and view.filters == {"state": "dispatched", "overdue": "1"}
    assert r.status_code == 302 and "overdue=1" in r["Location"] and "state=dispatched" in r["Location"]
    assert AuditEvent.objects.filter(action="cases.saved_view.save", actor=personas.community_a).exists()
    page = client.get(reverse("cases:inbox")).text
    assert "超期待办" in page and "?state=dispatched&amp;overdue=1" in page
    # The same name replaces the view instead of adding a second one.
    client.post(reverse("cases:saved_view_save"), {"name": "超期待办", "query": "near_due=1"})
    assert list(SavedView.objects.filter(user=personas.community_a).values_list("filters", flat=True)) == [
        {"near_due": "1"}]
    # Another user neither sees nor deletes it.
    other = Client()
    other.force_login(personas.community_b)
    assert "超期待办" not in other.get(reverse("cases:inbox")).text
    assert other.post(reverse("cases:saved_view_delete", args=[view.pk])).status_code == 404
    assert SavedView.objects.filter(pk=view.pk).exists()
    client.post(reverse("cases:saved_view_delete", args=[view.pk]))
    assert not SavedView.objects.filter(pk=view.pk).exists()


def test_saved_view_needs_a_name(login, personas, district):
    client = login(personas.community_a)
    r = client.post(reverse("cases:saved_view_save"), {"name": "  ", "query": "overdue=1"}, follow=True)
    assert not SavedView.objects.exists()
    assert "Give the view a name." in r.text or "请给视图起个名字" in r.text


# --- my tasks -------------------------------------------------------------------------------------


def test_tasks_are_the_grid_workers_own_nearest_deadline_first(login, personas, district, cat):  # noqa: F811
    later, sooner = to_grid(personas, cat), to_grid(personas, cat)
    suspended = to_grid(personas, cat)
    suspended = svc.case_accept(actor=personas.grid_worker, case=suspended, expected_version=suspended.version)
    svc.case_suspend(actor=personas.subdistrict_staff, case=suspended, expected_version=suspended.version,
                     note="等待材料")
    now = timezone.now()
    Case.objects.filter(pk=later.pk).update(handle_due=now + timedelta(days=3))
    Case.objects.filter(pk=sooner.pk).update(handle_due=now + timedelta(hours=2))
    to_department = report(personas.community_a, cat)
    svc.case_dispatch(actor=personas.community_a, case=to_department, unit=district.department, expected_version=1)
    other_grid = to_grid(personas, cat, point=POINT_B)
    registered = report(personas.community_a, cat)

    numbers = [c.number for c in wsel.my_tasks(personas.grid_worker)]
    assert numbers == [sooner.number, later.number, suspended.number]
    page = login(personas.grid_worker).get(reverse("cases:tasks")).text
    assert page.index(sooner.number) < page.index(later.number)
    for absent in (to_department, other_grid, registered):
        assert absent.number not in page
    # The department handler's tasks are the cases dispatched to its unit.
    assert [c.number for c in wsel.my_tasks(personas.department)] == [to_department.number]


def test_accept_then_handle_with_a_photo_from_the_task_list(login, personas, district, cat):  # noqa: F811
    case = to_grid(personas, cat)
    client = login(personas.grid_worker)
    r = client.post(reverse("cases:task_act", args=[case.number, "accept"]), {"version": case.version})
    assert r.status_code == 302 and r["Location"] == reverse("cases:tasks")
    case.refresh_from_db()
    assert case.state == CaseState.ACCEPTED
    # A file that is not a photo refuses the whole report: no event, no attachment, still accepted.
    bad = SimpleUploadedFile("notes.png", b"not an image", content_type="image/png")
    r = client.post(reverse("cases:task_act", args=[case.number, "handle"]),
                    {"version": case.version, "note": "已清理", "photos": [bad]}, follow=True)
    case.refresh_from_db()
    assert case.state == CaseState.ACCEPTED and not CaseAttachment.objects.exists()
    assert "notes.png" in r.text
    client.post(reverse("cases:task_act", args=[case.number, "handle"]),
                {"version": case.version, "note": "已清理", "photos": [photo()]})
    case.refresh_from_db()
    assert case.state == CaseState.HANDLED
    attachment = CaseAttachment.objects.get(case=case)
    assert attachment.event == CaseEvent.objects.get(case=case, transition="handle")
    assert attachment.uploaded_by == personas.grid_worker and attachment.content_type == "image/png"


def test_stale_task_action_says_conflict(login, personas, district, cat):  # noqa: F811
    case = to_grid(personas, cat)
    r = login(personas.grid_worker).post(reverse("cases:task_act", args=[case.number, "accept"]),
                                         {"version": case.version - 1}, follow=True)
    case.refresh_from_db()
    assert case.state == CaseState.DISPATCHED
    assert "Someone else changed this case" in r.text or "其他人" in r.text


def test_tasks_page_fixed_queries(login, personas, district, cat, django_assert_max_num_queries):  # noqa: F811
    for _ in range(2):
        to_grid(personas, cat)
    client = login(personas.grid_worker)
    client.get(reverse("cases:tasks"))
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("cases:tasks"), {"size": 20})
    for _ in range(23):
        to_grid(personas, cat)
    with django_assert_max_num_queries(len(few.captured_queries)):
        r = client.get(reverse("cases:tasks"), {"size": 200})
    assert r.text.count('<li class="task') == 25


def test_inbox_with_saved_views_fixed_queries(login, personas, district, cat,  # noqa: F811
                                              django_assert_max_num_queries):
    from jiceng.cases.workbench_services import saved_view_save

    report(personas.community_a, cat)
    saved_view_save(actor=personas.community_a, name="v0", filters={"overdue": "1"})
    client = login(personas.community_a)
    client.get(reverse("cases:inbox"))
    with django_assert_max_num_queries(30) as few:
        client.get(reverse("cases:inbox"), {"size": 20})
    for i in range(1, 12):
        saved_view_save(actor=personas.community_a, name=f"v{i}", filters={"state": "registered"})
        report(personas.community_a, cat)
    with django_assert_max_num_queries(len(few.captured_queries)):
        r = client.get(reverse("cases:inbox"), {"size": 200})
    assert r.text.count('name="pick"') == 12 and "v11" in r.text
