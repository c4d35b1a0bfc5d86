"""Follow-up calls (回访): the service's rules, the case page's panel, and the API."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import translation

from jiceng.accounts.models import AuditEvent
from jiceng.cases.feedback_services import case_follow_up
from jiceng.cases.models import CaseFeedback
from jiceng.cases.tests.test_resident import cat, fresh, submit, to_handled  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


@pytest.fixture
def handled(district, cat, personas):  # noqa: F811
    return to_handled(submit(cat, place=district.a.building).case, personas)


def test_reached_call_with_rating(personas, handled):
    fb = case_follow_up(actor=personas.community_a, case=handled, reached=True, rating="basically",
                        resolved=True, comment="居民说灯亮了")
    assert (fb.source, fb.rating, fb.resolved, fb.reached, fb.actor) == (
        "follow_up", "basically", True, True, personas.community_a)
    assert AuditEvent.objects.filter(action="case.follow_up", actor=personas.community_a).exists()


def test_unanswered_call_carries_no_rating(personas, handled):
    fb = case_follow_up(actor=personas.subdistrict_staff, case=handled, reached=False)
    assert fb.rating == "" and fb.resolved is None and not fb.reached
    with pytest.raises(ValidationError) as exc:
        case_follow_up(actor=personas.community_a, case=handled, reached=False, rating="satisfied")
    assert "rating" in exc.value.message_dict
    with pytest.raises(ValidationError):
        case_follow_up(actor=personas.community_a, case=handled, reached=True, rating="")


def test_call_only_after_the_work_is_done(district, cat, personas):  # noqa: F811
    fresh_case = submit(cat, place=district.a.building).case
    with pytest.raises(ValidationError):
        case_follow_up(actor=personas.community_a, case=fresh_case, reached=True, rating="satisfied")


@pytest.mark.parametrize("who", ["community_b", "grid_worker", "department", "member"])
def test_only_staff_over_the_case_record_calls(personas, handled, who):
    with pytest.raises(PermissionDenied):
        case_follow_up(actor=getattr(personas, who), case=handled, reached=False)
    assert not CaseFeedback.objects.exists()


def test_case_page_panel_records_and_lists(client, personas, handled):
    client.force_login(personas.community_a)
    page = client.get(reverse("cases:case", args=[handled.number])).content.decode()
    assert 'id="follow-up-form"' in page
    response = client.post(reverse("cases:follow_up", args=[handled.number]),
                           {"reached": "1", "rating": "unsatisfied", "resolved": "0", "comment": "还在漏水"})
    assert response.status_code == 302
    with translation.override("zh-hans"):
        page = client.get(reverse("cases:case", args=[handled.number]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    body = page.content.decode()
    assert "还在漏水" in body and "回访" in body and "p_community_a" in body
    # A grid worker sees the case but no form; the page still lists the calls.
    client.force_login(personas.grid_worker)
    body = client.get(reverse("cases:case", args=[handled.number])).content.decode()
    assert 'id="follow-up-form"' not in body and "还在漏水" in body


def test_api_lists_and_records(client, personas, handled):
    client.force_login(personas.community_a)
    url = f"/api/v1/cases/feedback/{handled.number}/follow-ups"
    created = client.post(url, json.dumps({"reached": True, "rating": "satisfied", "resolved": True}),
                          content_type="application/json")
    assert created.status_code == 201 and created.json()["recorded_by"] == "p_community_a"
    bad = client.post(url, json.dumps({"reached": False, "rating": "satisfied"}), content_type="application/json")
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "rating"
    listed = client.get(f"/api/v1/cases/feedback/{handled.number}").json()
    assert [f["rating"] for f in listed] == ["satisfied"]
    client.force_login(personas.community_b)
    assert client.get(f"/api/v1/cases/feedback/{handled.number}").status_code == 404


def test_feedback_api_queries_do_not_grow_with_the_calls(client, personas, handled, django_assert_max_num_queries):
    client.force_login(personas.community_a)
    url = f"/api/v1/cases/feedback/{handled.number}"
    case_follow_up(actor=personas.community_a, case=handled, reached=False)
    client.get(url)
    with django_assert_max_num_queries(12) as small:
        assert len(client.get(url).json()) == 1
    for who in (personas.community_a, personas.subdistrict_staff, personas.district_admin) * 3:
        case_follow_up(actor=who, case=handled, reached=True, rating="satisfied")
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(client.get(url).json()) == 10
