"""The demo's dual registration and service rows (jiceng/demo/dualreg.py) on the small test district: every
row is one the services could have left (state = last event, version = events, places taken = claims not
withdrawn, never above capacity), every service point comes from a confirmed record, and the member
login's page shows each state of its story."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest
from django.db.models import Count, Max
from django.utils import timezone

from jiceng.accounts.models import Role, RoleGrant, User
from jiceng.demo.dualreg import build_dualreg, plan_workplace
from jiceng.demo.points import build_points
from jiceng.party import dualreg_selectors as sel
from jiceng.party.dualreg_models import (
    ClaimEvent,
    ClaimState,
    Pledge,
    Registration,
    RegistrationEvent,
    RegistrationKind,
    RegistrationState,
    ServiceClaim,
    ServiceItem,
)
from jiceng.party.models import Member, MemberCategory
from jiceng.party.points_models import PointsEntry, SourceKind
from jiceng.people.services import person_create
from jiceng.testing import make_id_number
from jiceng.units.models import Unit, UnitKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(district, personas):
    for code, name, community in (("R1", "福建省立医院", district.a.area), ("R2", "福州第一中学", district.b.area)):
        Unit.objects.create(kind=UnitKind.RESIDENT_UNIT, name=name, code=code, home_area=community)
    for n in range(60):  # residents who are not members yet, in the three communities' buildings
        home = (district.a, district.b, district.c)[n % 3].building
        person_create(actor=None, name=f"居民{n:02d}", phone=f"1351111{n:04d}", id_number=make_id_number(
            "19850101", 100 + n), home=home, room=f"{n}")
    today = timezone.localdate()
    added = plan_workplace(seed=7, today=today)
    # As insert_logins does: the member login is an in-service member of a workplace organization.
    member = (Member.objects.filter(category=MemberCategory.IN_SERVICE, org__unit__isnull=False,
                                    person__community=district.a.area).order_by("pk").first())
    login = User.objects.create_user(username="member", password="x-Test-pass-2026!", person=member.person)
    RoleGrant.objects.create(user=login, role=Role.PARTY_MEMBER, area=member.person.home)
    counts = build_dualreg(seed=7, today=today)
    build_points(seed=7, today=today)
    return added, counts, member, login


def test_every_row_is_one_the_state_machines_allow(demo):
    added, counts, _member, _login = demo
    assert added >= 2 and counts["registrations"] >= 2 and counts["claims"] > 0 and counts["pledges"] > 0
    for model, event, fk in ((Registration, RegistrationEvent, "registration"), (ServiceClaim, ClaimEvent, "claim")):
        last = {row[fk]: row for row in event.objects.values(fk).annotate(n=Count("id"), v=Max("version"))}
        final = dict(event.objects.order_by(fk, "version").values_list(fk, "to_state"))  # the last one wins
        for pk, state, version in model.objects.values_list("pk", "state", "version"):
            assert final[pk] == state and last[pk]["n"] == last[pk]["v"] == version, (model.__name__, pk)
    states = Counter(Registration.objects.filter(kind=RegistrationKind.MEMBER).values_list("state", flat=True))
    assert states[RegistrationState.CONFIRMED] >= 1
    assert not Registration.objects.filter(state=RegistrationState.RETURNED, reason="").exists()
    # Only in-service members of a workplace organization register, where they live.
    for reg in Registration.objects.filter(kind=RegistrationKind.MEMBER).select_related("member__person", "org"):
        assert reg.member.category == MemberCategory.IN_SERVICE and reg.org.unit_id is not None
        assert reg.community_id == reg.member.person.community_id
    taken = Counter(ServiceClaim.objects.exclude(state=ClaimState.WITHDRAWN).values_list("item_id", flat=True))
    for item in ServiceItem.objects.all():
        assert item.claimed == taken[item.pk] <= item.capacity
    today = timezone.localdate()
    for claim in ServiceClaim.objects.filter(state__in=[ClaimState.RECORDED, ClaimState.CONFIRMED]):
        assert claim.item.starts_on <= claim.served_on <= min(claim.item.ends_on, today) and claim.hours > 0
    assert not Pledge.objects.filter(fulfilled_on__gt=today).exists()


def test_every_service_point_comes_from_a_confirmed_record(demo):
    entries = {e.source_id: e for e in PointsEntry.objects.filter(source_kind=SourceKind.SERVICE_RECORD)}
    year = timezone.localdate().year
    confirmed = ServiceClaim.objects.filter(state=ClaimState.CONFIRMED, served_on__year__gte=year - 1)
    assert set(entries) == set(confirmed.values_list("pk", flat=True)) and entries
    for claim in confirmed:
        e = entries[claim.pk]
        assert (e.member_id, e.quantity, e.occurred_on) == (claim.member_id, claim.hours, claim.served_on)


def test_the_community_login_finds_its_waiting_work_in_its_notices(demo, personas, district):
    from jiceng.notify.models import Notice

    waiting = (Registration.objects.filter(state=RegistrationState.REQUESTED, community=district.a.area).count()
               + ServiceClaim.objects.filter(state=ClaimState.RECORDED, item__community=district.a.area).count())
    kinds = Counter(Notice.objects.filter(user=personas.community_a).values_list("kind", flat=True))
    assert waiting and sum(kinds.values()) == waiting
    assert set(kinds) <= {"registration.requested", "service_record.submitted"}
    assert Notice.objects.filter(user=demo[3], kind="registration.confirmed").count() == 1


def test_the_member_login_has_a_story_on_its_page(demo, client):
    _added, _counts, member, login = demo
    home = sel.member_home(member)
    assert [r.state for r in home.registrations] == [RegistrationState.CONFIRMED]
    assert {c.state for c in home.claims} == {ClaimState.CONFIRMED, ClaimState.RECORDED, ClaimState.CLAIMED}
    assert home.confirmed_hours > Decimal(0) and home.items  # open items left to claim
    assert sorted(p.fulfilled_on is not None for p in home.pledges) == [False, True]
    client.force_login(login)
    page = client.get("/party/dualreg/me/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "已确认" in page and "已记实，待确认" in page and "已认领" in page
    points = client.get("/party/points/me/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "到社区报到服务（经社区确认）" in points
