"""Dual registration, the service list, claims, records and pledges, through their services."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections
from django.utils import timezone
from PIL import Image

from jiceng.accounts.models import AuditEvent
from jiceng.party import dualreg_selectors as sel
from jiceng.party import dualreg_services as svc
from jiceng.party.dualreg_models import ClaimEvent, ClaimState, RegistrationEvent, RegistrationState, ServiceItem
from jiceng.party.models import MemberCategory
from jiceng.party.points_models import PointsEntry

from .dualreg_world import hospital_org, item, member_user

pytestmark = pytest.mark.django_db


def png(name: str = "p.png") -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buf, "PNG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/png")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_member_registers_where_they_live_and_the_community_confirms(district, personas):
    reg = svc.registration_request_member(actor=personas.member)
    assert reg.community == district.a.area and reg.state == RegistrationState.REQUESTED
    assert reg.org_path == district.orgs["a"].branch.area_path
    svc.registration_confirm(actor=personas.community_a, registration=reg, version=1)
    reg.refresh_from_db()
    assert reg.state == RegistrationState.CONFIRMED and reg.version == 2
    assert list(RegistrationEvent.objects.filter(registration=reg).values_list("to_state", flat=True)) == [
        "requested", "confirmed"]
    assert AuditEvent.objects.filter(action="registration.confirm", object_id=str(reg.pk)).count() == 1


def test_another_community_cannot_confirm_and_nothing_changes(district, personas):
    reg = svc.registration_request_member(actor=personas.member)
    with pytest.raises(PermissionDenied):
        svc.registration_confirm(actor=personas.community_b, registration=reg)
    reg.refresh_from_db()
    assert reg.state == RegistrationState.REQUESTED and reg.version == 1


def test_return_needs_a_reason_then_the_member_asks_again(district, personas):
    reg = svc.registration_request_member(actor=personas.member)
    with pytest.raises(ValidationError) as exc:
        svc.registration_return(actor=personas.community_a, registration=reg, reason=" ")
    assert "reason" in exc.value.message_dict
    svc.registration_return(actor=personas.community_a, registration=reg, reason="楼栋信息不符")
    assert reg.state == RegistrationState.RETURNED and reg.reason == "楼栋信息不符"
    svc.registration_resubmit(actor=personas.member, registration=reg)
    assert reg.state == RegistrationState.REQUESTED


def test_a_stale_version_is_a_clear_conflict(district, personas):
    reg = svc.registration_request_member(actor=personas.member)
    svc.registration_confirm(actor=personas.community_a, registration=reg, version=1)
    with pytest.raises(ValidationError) as exc:
        svc.registration_revoke(actor=personas.community_a, registration=reg, version=1)
    assert "state" in exc.value.message_dict
    reg.refresh_from_db()
    assert reg.state == RegistrationState.CONFIRMED


def test_no_transition_outside_the_map(district, personas):
    reg = svc.registration_request_member(actor=personas.member)
    with pytest.raises(ValidationError):
        svc.registration_revoke(actor=personas.community_a, registration=reg)  # requested → revoked
    svc.registration_confirm(actor=personas.community_a, registration=reg)
    with pytest.raises(ValidationError):
        svc.registration_return(actor=personas.community_a, registration=reg, reason="x")  # confirmed → returned


def test_one_registration_at_a_time_and_revoked_frees_the_place(district, personas):
    reg = svc.registration_request_member(actor=personas.member)
    with pytest.raises(ValidationError) as exc:
        svc.registration_request_member(actor=personas.member)
    assert "community" in exc.value.message_dict
    svc.registration_confirm(actor=personas.community_a, registration=reg)
    svc.registration_revoke(actor=personas.member, registration=reg)
    again = svc.registration_request_member(actor=personas.member)
    assert again.pk != reg.pk


def test_only_in_service_members_register(district, personas):
    retired = member_user(district, 301, category=MemberCategory.RETIRED)
    with pytest.raises(ValidationError) as exc:
        svc.registration_request_member(actor=retired)
    assert "member" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        svc.registration_request_member(actor=personas.community_a)  # staff are not members


def test_workplace_org_registers_and_both_sides_see_it(district, personas):
    hospital = hospital_org(district)
    with pytest.raises(PermissionDenied):
        svc.registration_request_org(actor=personas.community_a, org=hospital, community=district.a.area)
    reg = svc.registration_request_org(actor=personas.community_b, org=hospital, community=district.a.area)
    with pytest.raises(ValidationError):
        svc.registration_request_org(actor=personas.community_b, org=district.orgs["b"].branch,
                                     community=district.a.area)  # not a unit's organization
    assert reg in sel.registration_list(personas.community_a)  # the community's side
    assert reg in sel.registration_list(personas.community_b)  # the workplace organization's side
    assert reg not in sel.registration_list(personas.grid_worker)


def test_counts_per_community_and_per_workplace_org(district, personas):
    users = [member_user(district, n) for n in range(1, 4)]
    regs = [svc.registration_request_member(actor=u) for u in users]
    svc.registration_confirm(actor=personas.community_a, registration=regs[0])
    svc.registration_return(actor=personas.community_a, registration=regs[1], reason="x")
    by_community = {c.name: c for c in sel.counts_by_community(personas.district_admin)}
    a = by_community[district.a.area.name]
    assert (a.members_confirmed, a.requested, a.returned) == (1, 1, 1)
    by_org = {o.name: o for o in sel.counts_by_org(personas.community_b)}
    h = by_org["区人民医院党委"]
    assert (h.in_service, h.confirmed, h.requested, h.not_registered) == (3, 1, 1, 1)


def test_building_view_shows_who_has_and_has_not_registered(district, personas):
    users = [member_user(district, n) for n in range(1, 3)]
    svc.registration_confirm(actor=personas.community_a,
                             registration=svc.registration_request_member(actor=users[0]))
    rows = sel.building_view(personas.community_a, district.a.area)
    row = next(r for r in rows if r.building == district.a.building)
    # The persona, in-service in community A's own branch, has nothing to register and is not listed.
    assert (row.registered, row.waiting, row.not_registered) == (1, 0, 1)
    none = sel.building_view(personas.community_a, district.a.area, state="none")
    assert sum(len(r.members) for r in none) == 1


# --- service list, claims, records ---------------------------------------------------------------------


def test_capacity_is_never_exceeded_even_from_a_stale_item(district, personas):
    it = item(district, capacity=1)
    first, second = member_user(district, 1), member_user(district, 2)
    stale = ServiceItem.objects.get(pk=it.pk)
    svc.service_claim_create(actor=first, item=it)
    with pytest.raises(ValidationError) as exc:
        svc.service_claim_create(actor=second, item=stale)
    assert "item" in exc.value.message_dict
    assert ServiceItem.objects.get(pk=it.pk).claimed == 1


def test_withdraw_gives_the_place_back(district, personas):
    it = item(district, capacity=1)
    claim = svc.service_claim_create(actor=personas.member, item=it)
    svc.service_claim_withdraw(actor=personas.member, claim=claim)
    assert ServiceItem.objects.get(pk=it.pk).claimed == 0
    svc.service_claim_create(actor=member_user(district, 5), item=it)


def test_members_claim_only_where_they_live_or_are_registered(district, personas):
    elsewhere = item(district, community=district.b.area, title="B社区助老")
    with pytest.raises(PermissionDenied):
        svc.service_claim_create(actor=personas.member, item=elsewhere)


def test_confirming_a_record_posts_its_hours_as_points(district, personas, media):
    claim = svc.service_claim_create(actor=personas.member, item=item(district))
    today = timezone.localdate()
    svc.service_record_submit(actor=personas.member, claim=claim, served_on=today, hours="2.5",
                              beneficiary="3号楼独居老人", photo=png())
    assert claim.state == ClaimState.RECORDED and claim.photo and claim.photo_type == "image/png"
    with pytest.raises(PermissionDenied):
        svc.service_claim_confirm(actor=personas.community_b, claim=claim)
    assert not PointsEntry.objects.filter(member=claim.member).exists()
    svc.service_claim_confirm(actor=personas.community_a, claim=claim)
    entry = PointsEntry.objects.get(member=claim.member, source_kind="service_record", source_id=claim.pk)
    # The default rulebook's service.record item: 1 point per confirmed hour.
    assert (entry.item_code, entry.points, entry.year) == ("service.record", Decimal("2.5"), today.year)
    assert sel.member_home(claim.member).confirmed_hours == Decimal("2.5")
    assert list(ClaimEvent.objects.filter(claim=claim).values_list("to_state", flat=True)) == [
        "claimed", "recorded", "confirmed"]


def test_record_errors_are_per_field(district, personas, media):
    claim = svc.service_claim_create(actor=personas.member, item=item(district))
    fake = SimpleUploadedFile("x.jpg", b"not an image", content_type="image/jpeg")
    with pytest.raises(ValidationError) as exc:
        svc.service_record_submit(actor=personas.member, claim=claim,
                                  served_on=timezone.localdate() + timedelta(days=1), hours="30", beneficiary="",
                                  photo=fake)
    assert set(exc.value.message_dict) == {"served_on", "hours", "beneficiary", "photo"}
    claim.refresh_from_db()
    assert claim.state == ClaimState.CLAIMED


def test_returned_record_is_recorded_again(district, personas):
    claim = svc.service_claim_create(actor=personas.member, item=item(district))
    svc.service_record_submit(actor=personas.member, claim=claim, served_on=timezone.localdate(), hours=1,
                              beneficiary="居民")
    svc.service_claim_return(actor=personas.community_a, claim=claim, reason="请补充照片")
    assert claim.state == ClaimState.RETURNED
    svc.service_record_submit(actor=personas.member, claim=claim, served_on=timezone.localdate(), hours=2,
                              beneficiary="居民")
    assert claim.state == ClaimState.RECORDED and claim.reason == ""
    with pytest.raises(PermissionDenied):
        svc.service_record_submit(actor=member_user(district, 9), claim=claim, served_on=timezone.localdate(),
                                  hours=1, beneficiary="x")


def test_pledge_and_its_fulfilment(district, personas):
    today = timezone.localdate()
    pledge = svc.pledge_make(actor=personas.member, text="每月清理楼道一次", due_on=today + timedelta(days=10))
    assert pledge.community == district.a.area
    assert pledge in sel.pledge_list(personas.community_a, state="open")
    svc.pledge_fulfil(actor=personas.member, pledge=pledge, fulfilment="已完成三次", fulfilled_on=today)
    assert pledge in sel.pledge_list(personas.community_a, state="fulfilled")
    with pytest.raises(ValidationError):
        svc.pledge_fulfil(actor=personas.member, pledge=pledge, fulfilment="again", fulfilled_on=today)
    assert pledge not in sel.pledge_list(personas.community_b)


def test_dual_report_goes_to_the_workplace_org(district, personas):
    users = [member_user(district, n) for n in range(1, 3)]
    reg = svc.registration_request_member(actor=users[0])
    svc.registration_confirm(actor=personas.community_a, registration=reg)
    for hours in ("1.5", "2"):
        claim = svc.service_claim_create(actor=users[0], item=item(district, title=f"服务{hours}"))
        svc.service_record_submit(actor=users[0], claim=claim, served_on=timezone.localdate(), hours=hours,
                                  beneficiary="居民")
        svc.service_claim_confirm(actor=personas.community_a, claim=claim)
    report = sel.dual_report(personas.community_b, year=timezone.localdate().year)
    rows = {m.person.name: m for m in report.members}
    assert rows["党员001"].records == 2 and rows["党员001"].hours == Decimal("3.5")
    assert rows["党员001"].community_name == district.a.area.name
    assert rows["党员002"].records == 0
    assert len(report.records) == 2 and report.total_hours == Decimal("3.5")
    assert sel.dual_report(personas.community_b, year=timezone.localdate().year - 1).total_hours == 0


@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="SQLite serializes writers for the whole file; the race needs PostgreSQL's row locks")
@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_of_the_last_place_one_wins(district, personas):
    """Several members press "claim" on the last places at the same moment, each on its own connection."""
    import threading

    it = item(district, capacity=2)
    users = [member_user(district, n) for n in range(1, 7)]
    barrier = threading.Barrier(len(users))
    outcomes: list[str] = []

    def press(user):
        try:
            barrier.wait()
            svc.service_claim_create(actor=user, item=it)
            outcomes.append("won")
        except ValidationError:
            outcomes.append("full")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=press, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["full"] * 4 + ["won"] * 2
    assert ServiceItem.objects.get(pk=it.pk).claimed == 2
