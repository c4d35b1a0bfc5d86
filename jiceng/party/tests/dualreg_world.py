"""Builders for the dual registration tests (not collected as tests).

A hospital (a resident unit registered in community B) has its own Party committee; its in-service members
live in community A's building, like the `member` persona (whose branch is community A's compound branch).
Community B's staff therefore speak for the workplace organization, community A's for the community.
"""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

from django.utils import timezone

from jiceng.accounts.models import Role, RoleGrant, User
from jiceng.party import dualreg_services as svc
from jiceng.party.dualreg_models import ServiceCategory, ServiceItem
from jiceng.party.models import Member, MemberCategory, OrgKind, PartyOrg
from jiceng.party.services import party_org_create
from jiceng.people.services import person_create
from jiceng.testing import make_id_number
from jiceng.units.models import Unit, UnitKind


def hospital_org(d) -> PartyOrg:
    org = PartyOrg.objects.filter(code="PHOSP").first()
    if org is not None:
        return org
    unit = Unit.objects.create(kind=UnitKind.RESIDENT_UNIT, name="区人民医院", code="RU-HOSP", home_area=d.b.area)
    return party_org_create(actor=None, parent=None, kind=OrgKind.COMMITTEE, name="区人民医院党委", code="PHOSP",
                            area=d.b.area, unit=unit)


def member_user(d, n: int, *, org: PartyOrg | None = None, building=None,
                category: str = MemberCategory.IN_SERVICE) -> User:
    """An in-service member of the hospital living in community A's building, with an account."""
    org = org or hospital_org(d)
    building = building or d.a.building
    person = person_create(actor=None, name=f"党员{n:03d}", phone=f"1370000{n:04d}",
                           id_number=make_id_number("19900101", n % 1000), home=building, room=f"{n}")
    Member.objects.create(person=person, org=org, area_path=org.area_path, category=category)
    user = User.objects.create_user(username=f"m{n}", password="x-Test-pass-2026!", person=person)
    RoleGrant.objects.create(user=user, role=Role.PARTY_MEMBER, area=building)
    return user


def item(d, *, capacity: int = 3, title: str = "楼道清扫", community=None) -> ServiceItem:
    today = timezone.localdate()
    return svc.service_item_create(actor=None, community=community or d.a.area, title=title,
                                   category=ServiceCategory.ENVIRONMENT, capacity=capacity,
                                   starts_on=today - timedelta(days=30), ends_on=today + timedelta(days=30))


def world(d, personas) -> SimpleNamespace:
    return SimpleNamespace(hospital=hospital_org(d), item=item(d))
