"""Party meeting pages and API: listing with filters and Excel export, planning, recording attendance,
submit and review, the compliance calendar with exemptions, the roll-up and lapses; fixed query counts."""

from __future__ import annotations

import io
import json
from datetime import date

import openpyxl
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from jiceng.party.meeting_models import Exemption, Meeting, MeetingAttachment, MeetingKind, MeetingState
from jiceng.party.meeting_services import meeting_plan, meeting_record_held

from .helpers import members, residents

API = "/api/v1/party"


@pytest.fixture(autouse=True)
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def branch(district, personas):
    """Community A's branch with three more voting members (four with the member persona)."""
    org = district.orgs["a"].branch
    members(org, residents(district.a.building, 3, start=800))
    return org


def _held(org, kind=MeetingKind.THEME_DAY, on=date(2025, 3, 3)) -> Meeting:
    meeting = meeting_plan(actor=None, org=org, kind=kind, planned_on=on)
    rows = [{"member_id": m.pk, "present": True} for m in org.members.all()]
    return meeting_record_held(actor=None, meeting=meeting, held_on=on, attendance=rows, minutes="Minutes")


def _post_json(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


# --- pages -------------------------------------------------------------------------------------------------


def test_plan_record_submit_review_through_pages(branch, personas, login):
    client = login(personas.community_a)
    response = client.post(reverse("party:meeting_new"), {"org": branch.pk, "kind": "members_meeting",
                                                          "planned_on": "2025-03-20", "title": "Q1"})
    meeting = Meeting.objects.get(org=branch)
    assert response.status_code == 302 and response["Location"] == reverse("party:meeting_detail", args=[meeting.pk])
    url = reverse("party:meeting_detail", args=[meeting.pk])
    page = client.get(url)
    assert page.status_code == 200 and b'name="present"' in page.content
    people = list(branch.members.order_by("pk"))
    # Two of four present: exactly half, recorded but the quorum is not met.
    data = {"action": "record", "held_on": "2025-03-21", "minutes": "Discussed the plan", "decisions": "",
            "topics": "Plan", "chair": str(people[0].person_id), "recorder": "",
            "present": [str(people[0].pk), str(people[1].pk)], f"reason_{people[2].pk}": "Ill"}
    assert client.post(url, data).status_code == 302
    meeting.refresh_from_db()
    assert (meeting.state, meeting.quorum_base, meeting.quorum_present, meeting.quorum_met) == ("held", 4, 2, False)
    assert meeting.attendance.get(member=people[2]).absence_reason == "Ill"
    assert meeting.chair_id == people[0].person_id
    data["present"].append(str(people[2].pk))
    client.post(url, data)
    meeting.refresh_from_db()
    assert meeting.quorum_met
    assert client.post(url, {"action": "submit"}).status_code == 302
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.SUBMITTED
    # Community A is the branch's higher organization; the review form is there for it.
    assert b'value="review"' in client.get(url).content
    assert client.post(url, {"action": "review", "decision": "send_back", "reason": ""}).status_code == 200
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.SUBMITTED  # a send-back needs a reason
    client.post(url, {"action": "review", "decision": "approve"})
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.APPROVED


def test_record_with_a_future_date_shows_a_field_error(branch, personas, login):
    meeting = meeting_plan(actor=None, org=branch, kind=MeetingKind.THEME_DAY, planned_on=date(2025, 3, 1))
    response = login(personas.community_a).post(
        reverse("party:meeting_detail", args=[meeting.pk]), {"action": "record", "held_on": "2100-01-01"}
    )
    assert response.status_code == 200
    assert "held_on" in response.context["held_form"].errors
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.PLANNED


def test_community_staff_cannot_review_their_own_committee(district, personas, login):
    committee = district.orgs["a"].committee
    meeting = _held(committee, MeetingKind.COMMITTEE_MEETING)
    meeting.state = MeetingState.SUBMITTED
    meeting.save(update_fields=["state"])
    url = reverse("party:meeting_detail", args=[meeting.pk])
    client = login(personas.community_a)
    assert b'value="review"' not in client.get(url).content
    assert client.post(url, {"action": "review", "decision": "approve"}).status_code == 404
    assert login(personas.subdistrict_staff).post(url, {"action": "review", "decision": "approve"}).status_code == 302


def test_list_filters_export_and_fixed_queries(branch, district, personas, login):
    client = login(personas.community_a)
    _held(branch)
    url = reverse("party:meetings")
    client.get(url)  # warm the session and scope caches
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for day in range(1, 21):
        meeting_plan(actor=None, org=branch, kind=MeetingKind.PARTY_LESSON, planned_on=date(2025, 4, day))
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(many.captured_queries) == len(few.captured_queries)
    assert len(response.context["page"].object_list) == 21
    filtered = client.get(url, {"kind": "theme_day", "year": "2025"})
    assert [m.kind for m in filtered.context["page"].object_list] == ["theme_day"]
    export = client.get(url, {"format": "xlsx", "kind": "party_lesson"})
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(export.content)).active
    assert sheet.max_row == 21  # header + 20 lessons
    assert not login(personas.community_b).get(url).context["page"].object_list


def test_compliance_page_and_exemption(branch, personas, login):
    _held(branch, MeetingKind.THEME_DAY, date(2025, 1, 9))
    client = login(personas.community_a)
    url = reverse("party:meeting_compliance", args=[branch.pk])
    page = client.get(url, {"year": 2025})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'class="st-met"' in html and 'class="st-missing"' in html
    response = client.post(url, {"meeting_kind": "theme_day", "day": "2025-02-10", "reason": "Spring Festival"})
    assert response.status_code == 302
    assert Exemption.objects.get(org=branch).period_start == date(2025, 2, 1)
    cal = client.get(url, {"year": 2025}).context["calendar"]
    theme = next(r for r in cal.rows if r.kind == "theme_day")
    assert [c.status for c in theme.cells[:2]] == ["met", "exempt"]
    bad = client.post(url, {"meeting_kind": "theme_day", "day": "2025-02-11", "reason": "again"})
    assert bad.status_code == 200 and bad.context["form"].errors


def test_rollup_page_and_export(branch, personas, login):
    _held(branch, MeetingKind.MEMBERS_MEETING, date(2025, 2, 2))
    client = login(personas.subdistrict_staff)
    page = client.get(reverse("party:meeting_rollup"), {"year": 2025, "quarter": 1})
    assert page.status_code == 200
    row = next(r for r in page.context["data"].rows if r.org.pk == branch.pk)
    assert row.cells["members_meeting"] == "met"
    assert row.cells["theme_day"] == "missing" and row.behind > 0
    export = client.get(reverse("party:meeting_rollup"), {"year": 2025, "quarter": 1, "format": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(export.content)).active
    assert sheet.max_row == len(page.context["data"].rows) + 1
    assert client.get(reverse("party:meeting_rollup"), {"quarter": 5}).status_code == 404


def test_lapses_page_and_export(branch, personas, login):
    client = login(personas.community_a)
    page = client.get(reverse("party:meeting_lapses"))
    assert page.status_code == 200
    assert len(page.context["items"]) == 4  # nobody ever attended and no joining dates: all escalated
    export = client.get(reverse("party:meeting_lapses"), {"format": "xlsx"})
    assert openpyxl.load_workbook(io.BytesIO(export.content)).active.max_row == 5
    assert login(personas.community_b).get(reverse("party:meeting_lapses")).context["items"] == []


# --- API -------------------------------------------------------------------------------------------------


def test_api_workflow(branch, personas, login):
    client = login(personas.community_a)
    created = _post_json(client, f"{API}/meetings/orgs/{branch.pk}",
                         {"kind": "members_meeting", "planned_on": "2025-05-01", "title": "Q2"})
    assert created.status_code == 201
    mid = created.json()["id"]
    people = list(branch.members.order_by("pk"))
    held = _post_json(client, f"{API}/meetings/{mid}/held", {
        "held_on": "2025-05-02", "minutes": "Minutes",
        "attendance": [{"member_id": m.pk, "present": True} for m in people[:3]]
        + [{"member_id": people[3].pk, "present": False, "absence_reason": "Travel"}],
        "chair_member_id": people[0].pk,
    })
    assert held.status_code == 200
    body = held.json()
    assert (body["state"], body["quorum_base"], body["quorum_present"], body["quorum_met"]) == ("held", 4, 3, True)
    assert {a["absence_reason"] for a in body["attendance"] if not a["present"]} == {"Travel"}
    assert _post_json(client, f"{API}/meetings/{mid}/submit", {}).json()["state"] == "submitted"
    again = _post_json(client, f"{API}/meetings/{mid}/submit", {})
    assert again.status_code == 422
    reviewed = _post_json(client, f"{API}/meetings/{mid}/review", {"approve": False, "reason": "Add decisions"})
    assert reviewed.json()["state"] == "sent_back" and reviewed.json()["review_reason"] == "Add decisions"
    listing = client.get(f"{API}/meetings", {"state": "sent_back"}).json()
    assert [m["id"] for m in listing["items"]] == [mid]
    cal = client.get(f"{API}/meetings/compliance/{branch.pk}", {"year": 2025}).json()
    mm = next(r for r in cal["rows"] if r["kind"] == "members_meeting")
    assert mm["cells"][1]["held"] == 0  # sent back: not counted
    ex = _post_json(client, f"{API}/meetings/compliance/{branch.pk}/exemptions",
                    {"meeting_kind": "members_meeting", "day": "2025-05-05", "reason": "Merged"})
    assert ex.status_code == 201 and ex.json()["period_start"] == "2025-04-01"
    rollup = client.get(f"{API}/meetings/rollup", {"year": 2025, "quarter": 2}).json()
    assert next(r for r in rollup["rows"] if r["org_id"] == branch.pk)["cells"]["members_meeting"] == "exempt"
    lapses = client.get(f"{API}/meetings/lapses").json()
    # 2 May 2025 is long past: everyone is escalated, but only the absent one never attended.
    assert {x["member_id"]: x["attended"] for x in lapses} == {**{m.pk: True for m in people[:3]}, people[3].pk: False}
    assert {x["level"] for x in lapses} == {"escalate"}


def test_api_bad_input_gets_field_errors(branch, district, personas, login):
    client = login(personas.community_a)
    bad = _post_json(client, f"{API}/meetings/orgs/{branch.pk}", {"kind": "picnic", "planned_on": "2025-05-01"})
    assert bad.status_code == 422
    meeting = meeting_plan(actor=None, org=branch, kind=MeetingKind.THEME_DAY, planned_on=date(2025, 3, 1))
    stranger = members(district.orgs["b"].branch, residents(district.b.building, 1, start=900))[0]
    response = _post_json(client, f"{API}/meetings/{meeting.pk}/held",
                          {"held_on": "2025-03-01", "attendance": [{"member_id": stranger.pk, "present": True}]})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "attendance"
    assert Meeting.objects.get(pk=meeting.pk).state == MeetingState.PLANNED
    assert _post_json(client, f"{API}/meetings/{meeting.pk}/review", {"approve": True}).status_code == 422


def test_api_lists_run_fixed_queries(branch, district, personas, login):
    client = login(personas.subdistrict_staff)
    _held(branch)
    client.get(f"{API}/meetings")  # warm the session and scope caches
    with CaptureQueriesContext(connection) as few:
        client.get(f"{API}/meetings")
    with CaptureQueriesContext(connection) as few_rollup:
        client.get(f"{API}/meetings/rollup", {"year": 2025, "quarter": 1})
    with CaptureQueriesContext(connection) as few_lapses:
        client.get(f"{API}/meetings/lapses")
    for i in range(10):
        _held(branch, MeetingKind.PARTY_LESSON, date(2025, 1 + i, 3))
    members(district.orgs["b"].branch, residents(district.b.building, 5, start=950))
    with CaptureQueriesContext(connection) as many:
        assert client.get(f"{API}/meetings").json()["count"] == 11
    with CaptureQueriesContext(connection) as many_rollup:
        client.get(f"{API}/meetings/rollup", {"year": 2025, "quarter": 1})
    with CaptureQueriesContext(connection) as many_lapses:
        assert len(client.get(f"{API}/meetings/lapses").json()) == 9
    assert len(many.captured_queries) == len(few.captured_queries)
    assert len(many_rollup.captured_queries) == len(few_rollup.captured_queries)
    assert len(many_lapses.captured_queries) == len(few_lapses.captured_queries)


def test_rollup_of_a_subtree(district, personas, login):
    client = login(personas.district_admin)
    committee_a = district.orgs["a"].committee
    page = client.get(reverse("party:meeting_rollup"), {"year": 2025, "quarter": 1, "org": committee_a.pk})
    assert {r.org.pk for r in page.context["data"].rows} == {
        committee_a.pk, *(getattr(district.orgs["a"], k).pk for k in ("general", "branch", "group"))}
    api = client.get(f"{API}/meetings/rollup", {"year": 2025, "quarter": 1, "org_id": committee_a.pk}).json()
    assert {r["org_id"] for r in api["rows"]} == {r.org.pk for r in page.context["data"].rows}
    assert login(personas.community_b).get(reverse("party:meeting_rollup"),
                                           {"org": committee_a.pk}).status_code == 404


# --- files kept with a meeting ------------------------------------------------------------------------------


def _png(name: str = "sign-in.png"):
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(buf, "PNG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/png")


def _pdf(name: str = "minutes.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
                              content_type="application/pdf")


def test_files_are_kept_with_a_meeting_and_served_in_scope_only(branch, personas, login):
    meeting = _held(branch)
    client = login(personas.community_a)
    url = reverse("party:meeting_detail", args=[meeting.pk])
    response = client.post(url, {"action": "attach", "files": [_png(), _pdf()]})
    assert response.status_code == 302
    files = list(MeetingAttachment.objects.filter(meeting=meeting).order_by("pk"))
    assert [(f.name, f.content_type) for f in files] == [("sign-in.png", "image/png"),
                                                         ("minutes.pdf", "application/pdf")]
    page = client.get(url).content.decode()
    file_url = reverse("party:meeting_attachment", args=[meeting.pk, files[1].pk])
    assert file_url in page and "minutes.pdf" in page
    served = client.get(file_url)
    assert served["Content-Type"] == "application/pdf" and b"".join(served.streaming_content).startswith(b"%PDF-")
    # Another community's worker, and a file asked for under another meeting, read as not found.
    other = _held(branch, on=date(2025, 3, 4))
    assert client.get(reverse("party:meeting_attachment", args=[other.pk, files[1].pk])).status_code == 404
    assert login(personas.community_b).get(file_url).status_code == 404


def test_a_file_that_is_no_photo_or_pdf_is_refused_and_nothing_is_kept(branch, personas, login):
    meeting = _held(branch)
    client = login(personas.community_a)
    fake = SimpleUploadedFile("minutes.pdf", b"just text pretending", content_type="application/pdf")
    response = client.post(reverse("party:meeting_detail", args=[meeting.pk]),
                           {"action": "attach", "files": [_png(), fake]}, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "minutes.pdf: Send a PDF, or a JPEG, PNG or WebP photo." in response.content.decode()
    assert not MeetingAttachment.objects.filter(meeting=meeting).exists()


def test_files_cannot_be_added_once_the_meeting_is_submitted(branch, personas):
    from django.core.exceptions import ValidationError

    from jiceng.party.meeting_services import meeting_attachments_add, meeting_submit

    meeting = meeting_submit(actor=None, meeting=_held(branch))
    with pytest.raises(ValidationError) as exc:
        meeting_attachments_add(actor=personas.community_a, meeting=meeting, files=[_pdf()])
    assert "files" in exc.value.message_dict


def test_api_takes_files_as_multipart_and_lists_them_on_the_meeting(branch, personas, login):
    meeting = _held(branch)
    client = login(personas.community_a)
    url = f"/api/v1/party/meetings/{meeting.pk}/attachments"
    created = client.post(url, {"files": [_pdf()]})
    assert created.status_code == 201, created.content
    assert created.json()[0]["content_type"] == "application/pdf"
    detail = client.get(f"/api/v1/party/meetings/{meeting.pk}").json()
    assert [a["name"] for a in detail["attachments"]] == ["minutes.pdf"]
    empty = client.post(url, {})
    assert empty.status_code == 422 and empty.json()["detail"][0]["loc"][-1] == "files"
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "multipart/form-data" in paths["/api/v1/party/meetings/{meeting_id}/attachments"]["post"]["requestBody"][
        "content"]
