"""The JSON API of points, boards and check-in: a member's own ledger, the ranking, propose and decide,
the rulebook, a board without the opted-out, the member's board choice, and checking in with a code."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from django.conf import settings
from django.utils import translation

from jiceng.accounts.models import AuditEvent
from jiceng.party.checkin_models import CheckIn
from jiceng.party.checkin_services import checkin_token_make
from jiceng.party.meeting_models import MeetingKind
from jiceng.party.meeting_services import meeting_plan
from jiceng.party.models import Member
from jiceng.party.points_models import AwardState, PointsAward, PointsRulebook, SourceKind
from jiceng.party.points_services import points_post_for_source

from .helpers import members, residents

API = "/api/v1/party"


@pytest.fixture(autouse=True)
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


def _post_json(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def test_a_member_reads_their_own_ledger(personas, login):
    me = Member.objects.get(person=personas.member.person)
    points_post_for_source(actor=None, source_kind=SourceKind.SERVICE_RECORD, source_id=5, member=me,
                           at=date(2025, 3, 1), quantity=3)
    body = login(personas.member).get(f"{API}/points/me", {"year": 2025}).json()
    assert body["total"] == "3.00" and body["categories"] == {"service": "3.00"}
    assert body["entries"][0]["item_code"] == "service.record" and body["entries"][0]["rulebook_version"] == "2018/1"


def test_ranking_propose_and_decide_through_the_api(district, personas, login):
    people = members(district.orgs["a"].branch, residents(district.a.building, 3, start=700))
    for i, m in enumerate(people):
        points_post_for_source(actor=None, source_kind=SourceKind.SERVICE_RECORD, source_id=i, member=m,
                               at=date(2025, 3, 1), quantity=i + 1)
    client = login(personas.community_a)
    ranking = client.get(f"{API}/points/ranking", {"year": 2025, "limit": 2}).json()
    assert ranking["count"] == 4 and [r["total"] for r in ranking["members"]] == ["3.00", "2.00"]
    assert ranking["members"][0]["rank_in_branch"] == 1 and ranking["communities"][0]["name"] == "A社区"
    bad = _post_json(client, f"{API}/points/members/{people[0].pk}/awards",
                     {"item_code": "pioneer.honour", "occurred_on": "2025-05-01", "reason": " "})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "reason"
    created = _post_json(client, f"{API}/points/members/{people[0].pk}/awards",
                         {"item_code": "pioneer.honour", "occurred_on": "2025-05-01", "reason": "Award"})
    assert created.status_code == 201
    award_id = created.json()["id"]
    # The proposer finds it waiting but not theirs to decide; another worker in scope may; B sees nothing.
    waiting = client.get(f"{API}/points/awards").json()
    assert [(a["id"], a["decidable"], a["reason"]) for a in waiting] == [(award_id, False, "Award")]
    assert login(personas.subdistrict_staff).get(f"{API}/points/awards").json()[0]["decidable"] is True
    assert login(personas.community_b).get(f"{API}/points/awards").json() == []
    client = login(personas.community_a)
    own = _post_json(client, f"{API}/points/awards/{award_id}/decide", {"approve": True})
    assert own.status_code == 422
    decided = _post_json(login(personas.subdistrict_staff), f"{API}/points/awards/{award_id}/decide",
                         {"approve": True})
    assert decided.json()["state"] == AwardState.APPROVED == PointsAward.objects.get().state
    ledger = login(personas.community_a).get(f"{API}/points/members/{people[0].pk}", {"year": 2025}).json()
    assert ledger["total"] == "11.00"


def test_the_rulebook_through_the_api(personas, login):
    body = login(personas.community_a).get(f"{API}/points/rules", {"year": 2025}).json()
    assert (body["year"], body["version"], len(body["items"])) == (2018, 1, 15)


def _edited(book: dict, **changes) -> dict:
    """The book as read, with the first item changed: what a client sends back to save a version."""
    items = [{k: v for k, v in i.items() if k != "category"} for i in book["items"]]
    items[0] = {**items[0], **changes}
    return {"year": 2026, "items": items, "class_rules": book["class_rules"], "note": "Raise the first item"}


def test_the_district_saves_a_rulebook_version_through_the_api(personas, login):
    client = login(personas.district_admin)
    book = client.get(f"{API}/points/rules", {"year": 2026}).json()
    first = book["items"][0]
    saved = _post_json(client, f"{API}/points/rules", _edited(book, points="7.50", yearly_cap="30"))
    assert saved.status_code == 201, saved.content
    body = saved.json()
    assert (body["year"], body["version"]) == (2026, 1) and len(body["items"]) == len(book["items"])
    assert body["items"][0] | {"category": first["category"]} == first | {"points": "7.50", "yearly_cap": "30.00"}
    assert body["class_rules"] == book["class_rules"]
    # The year now reads the new version; the year it was copied from keeps its own.
    assert client.get(f"{API}/points/rules", {"year": 2026}).json()["items"][0]["points"] == "7.50"
    earlier = client.get(f"{API}/points/rules", {"year": 2025}).json()
    assert (earlier["year"], earlier["items"][0]["points"]) == (book["year"], first["points"])
    assert AuditEvent.objects.filter(action="points_rulebook.edit", reason="Raise the first item").count() == 1


def test_a_bad_rulebook_is_refused_per_field_and_nothing_is_saved(personas, login):
    client = login(personas.district_admin)
    book = client.get(f"{API}/points/rules", {"year": 2026}).json()
    payload = _edited(book, points="1.234", category_code="nope")
    payload["class_rules"] = [{"member_category": "nobody", "weight": "2"}]
    refused = _post_json(client, f"{API}/points/rules", payload)
    assert refused.status_code == 422
    located = {tuple(e["loc"]) for e in refused.json()["detail"]}
    assert located == {("body", "payload", "items", 0, "points"), ("body", "payload", "items", 0, "category_code"),
                       ("body", "payload", "class_rules", 0, "member_category")}
    assert PointsRulebook.objects.count() == 1 and not AuditEvent.objects.filter(action="points_rulebook.edit")
    # Only the district administrator edits: a community worker who reads the rulebook is refused.
    community = _post_json(login(personas.community_a), f"{API}/points/rules", _edited(book, points="2"))
    assert community.status_code == 404 and PointsRulebook.objects.count() == 1


def test_the_board_and_the_members_choice_through_the_api(district, personas, login):
    shown, hidden = residents(district.a.building, 2, start=720, name="党员")
    members(district.orgs["a"].branch, [shown, hidden])
    Member.objects.filter(person=hidden).update(show_on_board=False)
    client = login(personas.community_a)
    names = {m["name"] for m in client.get(f"{API}/boards/{district.a.building.pk}").json()["members"]}
    assert names == {"党员720", "A社区居民"}
    choice = _post_json(login(personas.member), f"{API}/board/me", {"show": False})
    assert choice.json()["show_on_board"] is False
    body = login(personas.community_a).get(f"{API}/boards/{district.a.building.pk}").json()
    assert {m["name"] for m in body["members"]} == {"党员720"}
    assert body["intake_url"].endswith(f"/r/b/{district.a.building.code}/")


def test_checking_in_through_the_api(district, personas, login):
    meeting = meeting_plan(actor=None, org=district.orgs["a"].branch, kind=MeetingKind.THEME_DAY,
                           planned_on=date(2025, 3, 3))
    client = login(personas.member)
    ok = _post_json(client, f"{API}/checkin", {"token": checkin_token_make(kind="meeting", object_id=meeting.pk)})
    assert ok.status_code == 200 and ok.json()["meeting_id"] == meeting.pk and CheckIn.objects.count() == 1
    expired = checkin_token_make(kind="meeting", object_id=meeting.pk, now=0)
    refused = _post_json(client, f"{API}/checkin", {"token": expired})
    assert refused.status_code == 422 and "expired" in refused.json()["detail"][0]["msg"]


def test_the_organizer_fetches_a_check_in_code_that_a_member_uses(district, personas, login):
    meeting = meeting_plan(actor=None, org=district.orgs["a"].branch, kind=MeetingKind.THEME_DAY,
                           planned_on=date(2025, 3, 3))
    url = f"{API}/meetings/{meeting.pk}/checkin-code"
    organizer = login(personas.community_a)
    code = organizer.get(url, {"minutes": 10}).json()
    assert code["open"] is True and code["check_ins"] == [] and code["url"].endswith(f"/party/checkin/{code['token']}/")
    lifetime = datetime.fromisoformat(code["expires_at"]) - datetime.now(UTC)
    assert timedelta(minutes=9) < lifetime <= timedelta(minutes=10)
    assert organizer.get(url, {"minutes": 0}).status_code == 422
    ok = _post_json(login(personas.member), f"{API}/checkin", {"token": code["token"]})
    assert ok.status_code == 200 and ok.json()["meeting_id"] == meeting.pk
    again = login(personas.community_a).get(url).json()
    assert [c["name"] for c in again["check_ins"]] == [personas.member.person.name]
    # The member in the room, and the other community's worker, may not show the code.
    assert login(personas.member).get(url).status_code == 404
    assert login(personas.community_b).get(url).status_code == 404
