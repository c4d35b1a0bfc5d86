"""Dual registration pages and API as their users meet them: the member on a phone, the community, the
workplace organization; Excel exports; and a fixed number of queries on every list whatever its length."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from jiceng.party import dualreg_services as svc
from jiceng.party.dualreg_models import ClaimState, Registration, RegistrationState, ServiceClaim

from .dualreg_world import hospital_org, item, member_user
from .test_dualreg_services import png

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _rows(response) -> list[tuple]:
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))


def test_member_registers_claims_records_and_the_community_confirms(district, personas, media):
    member, community = _as(personas.member), _as(personas.community_a)
    page = member.get(reverse("party:dualreg_me"))
    assert page.status_code == 200 and "向居住地社区报到" in page.content.decode()

    assert member.post(reverse("party:dualreg_me_register")).status_code == 302
    reg = Registration.objects.get(member__person=district.a.resident)
    assert reg.community == district.a.area

    listing = community.get(reverse("party:dualreg_registrations"))
    assert district.a.resident.name in listing.content.decode()
    community.post(reverse("party:dualreg_registration_move", args=[reg.pk]),
                   {"action": "confirm", "version": reg.version})
    reg.refresh_from_db()
    assert reg.state == RegistrationState.CONFIRMED

    it = item(district, capacity=2, title="敬老院陪护")
    assert "敬老院陪护" in member.get(reverse("party:dualreg_me")).content.decode()
    member.post(reverse("party:dualreg_me_claim", args=[it.pk]))
    claim = ServiceClaim.objects.get(item=it)

    record_url = reverse("party:dualreg_me_record", args=[claim.pk])
    bad = member.post(record_url, {"served_on": timezone.localdate().isoformat(), "hours": "2", "beneficiary": "老人",
                                   "version": claim.version,
                                   "photo": io.BytesIO(b"not a photo")})
    assert bad.status_code == 200 and "照片" in bad.content.decode()  # the error beside the field, in Chinese
    ok = member.post(record_url, {"served_on": timezone.localdate().isoformat(), "hours": "2", "beneficiary": "老人",
                                  "version": claim.version, "photo": png()})
    assert ok.status_code == 302
    claim.refresh_from_db()
    assert claim.state == ClaimState.RECORDED

    assert community.get(reverse("party:dualreg_record_photo", args=[claim.pk]))["Content-Type"] == "image/png"
    assert _as(personas.community_b).get(reverse("party:dualreg_record_photo", args=[claim.pk])).status_code == 404
    community.post(reverse("party:dualreg_record_move", args=[claim.pk]), {"action": "confirm",
                                                                         "version": claim.version})
    claim.refresh_from_db()
    assert claim.state == ClaimState.CONFIRMED
    assert "2.0" in member.get(reverse("party:dualreg_me")).content.decode()


def test_a_stale_button_shows_the_conflict(district, personas):
    reg = svc.registration_request_member(actor=personas.member)
    community = _as(personas.community_a)
    url = reverse("party:dualreg_registration_move", args=[reg.pk])
    community.post(url, {"action": "confirm", "version": 1})
    response = community.post(url, {"action": "revoke", "version": 1}, follow=True)
    assert "请刷新页面后重试" in response.content.decode()
    reg.refresh_from_db()
    assert reg.state == RegistrationState.CONFIRMED


def test_community_publishes_items_and_errors_are_per_field(district, personas):
    community = _as(personas.community_a)
    today = timezone.localdate()
    bad = community.post(reverse("party:dualreg_items"), {
        "community": district.a.area.pk, "title": "助老", "category": "elderly", "capacity": 3,
        "starts_on": today.isoformat(), "ends_on": (today - timedelta(days=1)).isoformat()})
    assert bad.status_code == 200 and "结束日期不能早于开始日期" in bad.content.decode()
    good = community.post(reverse("party:dualreg_items"), {
        "community": district.a.area.pk, "title": "助老", "category": "elderly", "capacity": 3,
        "starts_on": today.isoformat(), "ends_on": (today + timedelta(days=9)).isoformat()})
    assert good.status_code == 302
    rows = _rows(community.get(reverse("party:dualreg_items"), {"format": "xlsx"}))
    assert rows[1][:2] == ("A社区", "助老")


def _populate(district, personas, start: int, n: int) -> None:
    """n in-service members of the hospital living in community A: registered, claiming, recording,
    confirmed, pledging."""
    today = timezone.localdate()
    it = item(district, capacity=100, title=f"项目{start}")
    for k in range(start, start + n):
        user = member_user(district, k)
        reg = svc.registration_request_member(actor=user)
        svc.registration_confirm(actor=None, registration=reg)
        claim = svc.service_claim_create(actor=user, item=it)
        svc.service_record_submit(actor=user, claim=claim, served_on=today, hours=1, beneficiary="居民")
        svc.service_claim_confirm(actor=None, claim=claim)
        svc.pledge_make(actor=user, text="每月一次", due_on=today + timedelta(days=5))


STAFF_PAGES = [
    ("party:dualreg_registrations", {}),
    ("party:dualreg_registrations", {"format": "xlsx"}),
    ("party:dualreg_buildings", {}),
    ("party:dualreg_buildings", {"format": "xlsx"}),
    ("party:dualreg_items", {}),
    ("party:dualreg_records", {}),
    ("party:dualreg_records", {"format": "xlsx"}),
    ("party:dualreg_pledges", {}),
    ("party:dualreg_pledges", {"format": "xlsx"}),
    ("party:dualreg_report", {}),
    ("party:dualreg_report", {"format": "xlsx"}),
]
API_LISTS = ["registrations", "registrations/counts", "items", "claims", "pledges", "report"]


def test_every_list_runs_a_fixed_number_of_queries(district, personas, django_assert_max_num_queries):
    hospital_org(district)
    _populate(district, personas, 1, 2)
    admin = _as(personas.district_admin)
    counts = {}
    for name, params in STAFF_PAGES:
        with django_assert_max_num_queries(40) as few:
            assert admin.get(reverse(name), params).status_code == 200
        counts[(name, str(params))] = len(few.captured_queries)
    for path in API_LISTS:
        with django_assert_max_num_queries(40) as few:
            assert admin.get(f"/api/v1/party/dualreg/{path}").status_code == 200
        counts[path] = len(few.captured_queries)
    member = _as(member_user(district, 900))
    with django_assert_max_num_queries(40) as few:
        member.get(reverse("party:dualreg_me"))
    counts["me"] = len(few.captured_queries)

    _populate(district, personas, 100, 12)
    for name, params in STAFF_PAGES:
        with django_assert_max_num_queries(counts[(name, str(params))]):
            response = admin.get(reverse(name), params)
        if params:
            assert len(_rows(response)) >= 13  # the header and every row of the bigger data
    for path in API_LISTS:
        with django_assert_max_num_queries(counts[path]):
            admin.get(f"/api/v1/party/dualreg/{path}")
    with django_assert_max_num_queries(counts["me"]):
        member.get(reverse("party:dualreg_me"))


def test_dual_report_page_and_export_for_the_workplace_org(district, personas):
    _populate(district, personas, 1, 3)
    workplace = _as(personas.community_b)  # the hospital's organization is anchored in community B
    year = timezone.localdate().year
    page = workplace.get(reverse("party:dualreg_report"), {"year": year})
    assert page.status_code == 200 and "党员001" in page.content.decode()
    rows = _rows(workplace.get(reverse("party:dualreg_report"), {"year": year, "format": "xlsx"}))
    assert len(rows) == 4 and rows[1][0] == "区人民医院党委"
    # Community B's own members live in B and report nothing here; community A's staff see the records
    # of the service given in A only through its own organizations' members.
    assert "党员001" not in _as(personas.grid_worker).get(reverse("party:dualreg_report")).content.decode()


def test_building_view_and_counts(district, personas):
    _populate(district, personas, 1, 2)
    member_user(district, 50)  # lives in A, not registered
    page = _as(personas.community_a).get(reverse("party:dualreg_buildings"), {"community": district.a.area.pk})
    body = page.content.decode()
    # The persona is in-service but a member of community A's own branch: nothing to register, not counted.
    assert "已报到 2 · 待确认 0 · 未报到 1" in body
    none = _as(personas.community_a).get(reverse("party:dualreg_buildings"),
                                         {"community": district.a.area.pk, "state": "none"}).content.decode()
    assert "党员050" in none and "党员001" not in none
    counts = _as(personas.community_b).get("/api/v1/party/dualreg/registrations/counts").json()
    hospital = next(o for o in counts["by_org"] if o["name"] == "区人民医院党委")
    assert (hospital["in_service"], hospital["confirmed"], hospital["not_registered"]) == (3, 2, 1)


def test_api_claim_record_and_conflict(district, personas):
    it = item(district, capacity=1)
    api = "/api/v1/party/dualreg"
    member = _as(personas.member)
    claim = member.post(f"{api}/items/{it.pk}/claim").json()
    assert claim["state"] == "claimed"
    other = _as(member_user(district, 7))
    full = other.post(f"{api}/items/{it.pk}/claim")
    assert full.status_code == 422 and "名额已满" in full.json()["detail"][0]["msg"]
    recorded = member.post(f"{api}/claims/{claim['id']}/record", {
        "served_on": timezone.localdate().isoformat(), "hours": "1.5", "beneficiary": "居民", "version": 1},
        content_type="application/json")
    assert recorded.status_code == 200 and recorded.json()["state"] == "recorded"
    stale = _as(personas.community_a).post(f"{api}/claims/{claim['id']}/move", {"action": "confirm", "version": 1},
                                           content_type="application/json")
    assert stale.status_code == 422
    done = _as(personas.community_a).post(f"{api}/claims/{claim['id']}/move", {"action": "confirm", "version": 2},
                                          content_type="application/json")
    assert done.status_code == 200 and done.json()["state"] == "confirmed"


def test_workplace_org_registers_through_its_page_and_the_community_returns_it(district, personas):
    hospital = hospital_org(district)
    workplace = _as(personas.community_b)
    form = workplace.get(reverse("party:dualreg_org_new"))
    assert form.status_code == 200 and "区人民医院党委" in form.content.decode()
    done = workplace.post(reverse("party:dualreg_org_new"), {"org": hospital.pk, "community": district.a.area.pk})
    assert done.status_code == 302
    reg = Registration.objects.get(org=hospital, member__isnull=True)
    again = workplace.post(reverse("party:dualreg_org_new"), {"org": hospital.pk, "community": district.a.area.pk})
    assert "该组织已向此社区报到" in again.content.decode()
    community = _as(personas.community_a)
    url = reverse("party:dualreg_registration_move", args=[reg.pk])
    no_reason = community.post(url, {"action": "return", "version": reg.version}, follow=True)
    assert "请说明退回报到的原因" in no_reason.content.decode()
    community.post(url, {"action": "return", "version": reg.version, "reason": "请补充单位联系人"})
    reg.refresh_from_db()
    assert reg.state == RegistrationState.RETURNED and reg.reason == "请补充单位联系人"
    workplace.post(url, {"action": "resubmit", "version": reg.version})
    reg.refresh_from_db()
    assert reg.state == RegistrationState.REQUESTED


def test_api_records_service_with_a_photo_as_a_multipart_form(district, personas, media):
    it = item(district, capacity=1)
    api = "/api/v1/party/dualreg"
    member = _as(personas.member)
    claim = member.post(f"{api}/items/{it.pk}/claim").json()
    url = f"{api}/claims/{claim['id']}/record/photo"
    today = timezone.localdate().isoformat()
    bad = member.post(url, {"served_on": today, "hours": "1.5", "photo": io.BytesIO(b"not a photo")})
    assert bad.status_code == 422
    fields = {e["loc"][-1] for e in bad.json()["detail"]}
    assert fields == {"beneficiary", "photo"}  # every wrong field named at once, nothing recorded
    assert ServiceClaim.objects.get(pk=claim["id"]).state == ClaimState.CLAIMED
    done = member.post(url, {"served_on": today, "hours": "1.5", "beneficiary": "独居老人", "version": 1,
                             "photo": png("visit.png")})
    assert done.status_code == 200, done.content
    assert done.json()["state"] == "recorded" and done.json()["has_photo"] is True
    photo = _as(personas.community_a).get(reverse("party:dualreg_record_photo", args=[claim["id"]]))
    assert photo["Content-Type"] == "image/png"
    schema = member.get("/api/v1/openapi.json").json()["paths"][f"{api}/claims/{{claim_id}}/record/photo"]
    assert "multipart/form-data" in schema["post"]["requestBody"]["content"]


def test_community_branch_members_are_not_counted_as_unregistered(district, personas):
    """Only in-service members of a unit's own Party organization (their workplace's) need to register where
    they live; community A's branch member (the persona, in-service too) is neither "not registered" on the
    building view nor a workplace organization in the counts, until they register anyway."""
    _populate(district, personas, 1, 1)
    community = _as(personas.community_a)
    branch = district.orgs["a"].branch
    none = community.get(reverse("party:dualreg_buildings"), {"community": district.a.area.pk, "state": "none"})
    assert district.a.resident.name not in none.content.decode()
    page = _as(personas.district_admin).get(reverse("party:dualreg_registrations")).content.decode()
    per_org = page[page.index("按单位党组织统计"):]
    per_org = per_org[:per_org.index("</table>")]
    assert branch.name not in per_org and "区人民医院党委" in per_org
    counts = _as(personas.district_admin).get("/api/v1/party/dualreg/registrations/counts").json()
    assert [o["name"] for o in counts["by_org"]] == ["区人民医院党委"]

    reg = svc.registration_request_member(actor=personas.member)
    svc.registration_confirm(actor=None, registration=reg)
    shown = community.get(reverse("party:dualreg_buildings"), {"community": district.a.area.pk}).content.decode()
    assert district.a.resident.name in shown and "已报到 2 · 待确认 0 · 未报到 0" in shown


def _current_menu(body: str) -> list[str]:
    import re

    return re.findall(r'aria-current="page" class="active">([^<]+)</a>', body)


@pytest.mark.parametrize("name", ["party:dualreg_registrations", "party:dualreg_buildings", "party:dualreg_items",
                                  "party:dualreg_records", "party:dualreg_pledges", "party:dualreg_report",
                                  "party:dualreg_org_new"])
def test_the_menu_lights_dual_registration_on_its_pages(district, personas, name):
    hospital_org(district)
    body = _as(personas.community_b).get(reverse(name)).content.decode()
    assert _current_menu(body) == ["双报到"]


def test_the_menu_still_lights_party_organizations_and_my_service(district, personas):
    assert _current_menu(_as(personas.community_a).get(reverse("party:tree")).content.decode()) == ["党组织"]
    assert _current_menu(_as(personas.member).get(reverse("party:dualreg_me")).content.decode()) == ["我的服务"]


def test_confirming_a_record_keeps_the_lists_filters(district, personas):
    user = member_user(district, 1)
    claims = []
    for title in ("楼道清扫", "助老"):
        claim = svc.service_claim_create(actor=user, item=item(district, title=title))
        svc.service_record_submit(actor=user, claim=claim, served_on=timezone.localdate(), hours=1,
                                  beneficiary="居民")
        claims.append(ServiceClaim.objects.get(pk=claim.pk))
    community = _as(personas.community_a)
    listing = community.get(reverse("party:dualreg_records"), {"state": "recorded", "community": district.a.area.pk})
    assert f'name="back" value="state=recorded&amp;community={district.a.area.pk}"' in listing.content.decode()
    done = community.post(reverse("party:dualreg_record_move", args=[claims[0].pk]), {
        "action": "confirm", "version": claims[0].version,
        "back": f"state=recorded&community={district.a.area.pk}&next=//elsewhere.example"})
    assert done["Location"] == f"/party/dualreg/records/?state=recorded&community={district.a.area.pk}"
    after = community.get(done["Location"]).content.decode()
    assert "助老" in after and "楼道清扫" not in after.split("<tbody>")[1]  # the confirmed one left the filter
    # From the unfiltered list (or a form without the field), back to the plain list.
    plain = community.post(reverse("party:dualreg_record_move", args=[claims[1].pk]),
                           {"action": "return", "reason": "请补照片", "version": claims[1].version, "back": ""})
    assert plain["Location"] == "/party/dualreg/records/"


def test_deciding_a_registration_keeps_the_lists_filters(district, personas):
    reg = svc.registration_request_member(actor=member_user(district, 1))
    done = _as(personas.community_a).post(reverse("party:dualreg_registration_move", args=[reg.pk]), {
        "action": "confirm", "version": reg.version, "back": "state=requested&kind=member"})
    assert done["Location"] == "/party/dualreg/registrations/?state=requested&kind=member"
