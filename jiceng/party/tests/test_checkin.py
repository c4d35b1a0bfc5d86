"""QR check-in at a meeting: a signed, expiring code; the member who scans it while signed in is recorded
present once; refused after expiry, when tampered with, for a member not expected, and once the meeting's
record has gone for review; recording the meeting keeps checked-in members present; the organizer's page."""

from __future__ import annotations

import time
from datetime import date

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.signing import b64_decode, b64_encode
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from jiceng.accounts.models import AuditEvent
from jiceng.party.checkin_models import CheckIn, CheckInKind
from jiceng.party.checkin_services import checkin_token_make, checkin_token_read, meeting_check_in
from jiceng.party.meeting_models import MeetingAttendance, MeetingKind
from jiceng.party.meeting_services import meeting_plan, meeting_record_held, meeting_submit
from jiceng.party.models import Member

from .helpers import members, residents


@pytest.fixture(autouse=True)
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def meeting(district, personas):
    return meeting_plan(actor=None, org=district.orgs["a"].branch, kind=MeetingKind.THEME_DAY,
                        planned_on=date(2025, 3, 3), title="March theme day")


def token_for(meeting, minutes=5, now=None):
    return checkin_token_make(kind=CheckInKind.MEETING, object_id=meeting.pk, minutes=minutes, now=now)


def test_a_member_checks_in_once_and_is_recorded_present(meeting, personas):
    token = token_for(meeting)
    first = meeting_check_in(actor=personas.member, token=token)
    again = meeting_check_in(actor=personas.member, token=token_for(meeting))
    assert first.pk == again.pk and CheckIn.objects.count() == 1
    member = Member.objects.get(person=personas.member.person)
    assert MeetingAttendance.objects.get(meeting=meeting, member=member).present
    assert AuditEvent.objects.filter(action="meeting.check_in").count() == 1


def test_an_expired_code_is_refused(meeting, personas):
    issued = time.time() - 10 * 60
    token = token_for(meeting, minutes=5, now=issued)
    with pytest.raises(ValidationError) as err:
        meeting_check_in(actor=personas.member, token=token)
    assert "expired" in err.value.message_dict["token"][0]
    # Still valid just before its expiry.
    assert checkin_token_read(token, now=issued + 5 * 60 - 1).object_id == meeting.pk
    assert not CheckIn.objects.exists()


def test_a_tampered_code_is_refused(meeting, personas, district):
    other = meeting_plan(actor=None, org=district.orgs["b"].branch, kind=MeetingKind.THEME_DAY,
                         planned_on=date(2025, 3, 3))
    token = token_for(meeting, minutes=5)
    payload, _, signature = token.partition(":")
    # Change the meeting id (or stretch the expiry) and keep the signature: refused.
    forged = b64_encode(b64_decode(payload.encode()).replace(f'"id":{meeting.pk}'.encode(),
                                                           f'"id":{other.pk}'.encode())).decode()
    for bad in (f"{forged}:{signature}", token[:-2] + "xx", "garbage", ""):
        with pytest.raises(ValidationError):
            meeting_check_in(actor=personas.member, token=bad)
    assert not CheckIn.objects.exists()


def test_a_member_not_expected_is_refused(meeting, district, personas):
    from jiceng.accounts.models import Role, RoleGrant, User

    person = residents(district.b.building, 1, start=900)[0]
    members(district.orgs["b"].branch, [person])
    outsider = User.objects.create_user(username="member_b", password="x-Long-pass-2026", person=person)
    RoleGrant.objects.create(user=outsider, role=Role.PARTY_MEMBER, area=district.b.building)
    with pytest.raises(ValidationError) as err:
        meeting_check_in(actor=outsider, token=token_for(meeting))
    assert "member" in err.value.message_dict
    # A user who is no Party member at all (a community worker) cannot check in either.
    with pytest.raises(PermissionDenied):
        meeting_check_in(actor=personas.community_a, token=token_for(meeting))


def test_check_in_closes_once_the_record_goes_for_review(meeting, district, personas):
    everyone = list(district.orgs["a"].branch.members.all())
    meeting_record_held(actor=None, meeting=meeting, held_on=date(2025, 3, 3), minutes="m",
                        attendance=[{"member_id": m.pk, "present": False} for m in everyone])
    meeting_check_in(actor=personas.member, token=token_for(meeting))  # held: still recordable
    meeting_submit(actor=None, meeting=meeting)
    CheckIn.objects.all().delete()
    with pytest.raises(ValidationError) as err:
        meeting_check_in(actor=personas.member, token=token_for(meeting))
    assert "state" in err.value.message_dict


def test_recording_the_meeting_keeps_a_checked_in_member_present(meeting, district, personas):
    members(district.orgs["a"].branch, residents(district.a.building, 2, start=910))
    meeting_check_in(actor=personas.member, token=token_for(meeting))
    everyone = list(district.orgs["a"].branch.members.all())
    meeting_record_held(actor=None, meeting=meeting, held_on=date(2025, 3, 3), minutes="m",
                        attendance=[{"member_id": m.pk, "present": False} for m in everyone])
    present = set(MeetingAttendance.objects.filter(meeting=meeting, present=True).values_list("member__person",
                                                                                              flat=True))
    assert present == {personas.member.person_id}


def test_scanning_the_code_on_a_phone(meeting, personas, login):
    url = reverse("party:checkin", args=[token_for(meeting)])
    client = login(personas.member)
    page = client.get(url)
    assert page.status_code == 200 and "March theme day" in page.content.decode()
    assert not CheckIn.objects.exists()  # opening the link records nothing; the tap does
    response = client.post(url)
    assert response.status_code == 302 and CheckIn.objects.count() == 1
    assert "recorded present" in client.get(response["Location"]).content.decode()
    expired = reverse("party:checkin", args=[token_for(meeting, now=time.time() - 3600)])
    refused = client.post(expired)
    assert refused.status_code == 400 and "expired" in refused.content.decode()


def test_signing_in_first_returns_to_the_code(meeting, client):
    url = reverse("party:checkin", args=[token_for(meeting)])
    response = client.get(url)
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


@pytest.mark.parametrize("n", [1, 12])
def test_the_organizers_page_shows_a_live_code_and_who_checked_in(meeting, district, personas, login, n):
    from jiceng.accounts.models import Role, RoleGrant, User

    people = residents(district.a.building, n, start=920)
    for i, m in enumerate(members(district.orgs["a"].branch, people)):
        user = User.objects.create_user(username=f"m{i}", password="x-Long-pass-2026", person=m.person)
        RoleGrant.objects.create(user=user, role=Role.PARTY_MEMBER, area=district.a.building)
        meeting_check_in(actor=user, token=token_for(meeting))
    client = login(personas.community_a)
    url = reverse("party:meeting_checkin", args=[meeting.pk])
    client.get(url)  # warm the session
    with CaptureQueriesContext(connection) as ctx:
        page = client.get(url, {"part": "live"})
    html = page.content.decode()
    assert page.status_code == 200 and "<svg" in html and "/party/checkin/" in html
    assert all(p.name in html for p in people)
    assert len(ctx.captured_queries) <= 8
    full = client.get(url).content.decode()
    assert 'hx-trigger="every 20s"' in full
    assert login(personas.community_b).get(url).status_code == 404
