"""A small district for tests, built through the same services the platform uses.

Layout (codes under 福州市鼓楼区 350102):
    district D 350102
      subdistrict S1 350102001 (鼓东街道)
        community A 350102001001 (A社区) - grid A1 - compound A1a - building A1a-1
        community B 350102001002 (B社区) - grid B1 - compound B1a - building B1a-1
      subdistrict S2 350102002 (鼓西街道)
        community C 350102002001 - grid C1 - compound C1a - building C1a-1
Each grid is a small square polygon near 26.08N 119.30E (WGS-84).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace

from jiceng.accounts.models import Role, RoleGrant, User
from jiceng.areas.models import Area
from jiceng.areas.services import area_create
from jiceng.party.models import MemberCategory, OrgKind
from jiceng.party.services import party_org_create
from jiceng.people.personal import id_check_digit
from jiceng.people.services import person_create
from jiceng.units.models import Unit, UnitKind


def square(lng: float, lat: float, size: float = 0.01) -> dict:
    return {
        "type": "Polygon",
        "coordinates": [[[lng, lat], [lng + size, lat], [lng + size, lat + size], [lng, lat + size], [lng, lat]]],
    }


def make_id_number(birth: str, serial: int, region: str = "350102") -> str:
    first17 = f"{region}{birth}{serial:03d}"
    return first17 + id_check_digit(first17)


def _community(parent: Area, code: str, name: str, lng: float, lat: float, n: int) -> SimpleNamespace:
    community = area_create(
        actor=None, parent=parent, kind="community", code=code, name=name, population=3000, households=1100
    )
    grid = area_create(
        actor=None,
        parent=community,
        kind="grid",
        code=code + "001",
        name=f"{name}第一网格",
        geometry=square(lng, lat),
        lat=lat + 0.005,
        lng=lng + 0.005,
    )
    compound = area_create(
        actor=None,
        parent=grid,
        kind="compound",
        code=code + "001001",
        name=f"{name}小区",
        lat=lat + 0.005,
        lng=lng + 0.005,
    )
    building = area_create(
        actor=None,
        parent=compound,
        kind="building",
        code=code + "001001001",
        name=f"{name}小区1号楼",
        lat=lat + 0.005,
        lng=lng + 0.005,
    )
    resident = person_create(
        actor=None,
        name=f"{name}居民",
        phone=f"1380000{n:04d}",
        id_number=make_id_number("19800101", n),
        home=building,
        room="101",
    )
    return SimpleNamespace(area=community, grid=grid, compound=compound, building=building, resident=resident)


def build_small_district() -> SimpleNamespace:
    district = area_create(actor=None, parent=None, kind="district", code="350102", name="鼓楼区")
    s1 = area_create(actor=None, parent=district, kind="subdistrict", code="350102001", name="鼓东街道")
    s2 = area_create(actor=None, parent=district, kind="subdistrict", code="350102002", name="鼓西街道")
    a = _community(s1, "350102001001", "A社区", 119.30, 26.08, 11)
    b = _community(s1, "350102001002", "B社区", 119.32, 26.08, 12)
    c = _community(s2, "350102002001", "C社区", 119.34, 26.08, 13)
    district = Area.objects.get(pk=district.pk)

    department = Unit.objects.create(kind=UnitKind.DEPARTMENT, name="区城市管理局", code="DEPT-CG", home_area=district)
    department.areas_served.add(s1)
    property_company = Unit.objects.create(
        kind=UnitKind.PROPERTY_COMPANY, name="A物业公司", code="PC-A", home_area=a.compound
    )
    # The Party tree: working committee → community committee → grid general branch → compound branch → group.
    wc = party_org_create(
        actor=None, parent=None, kind=OrgKind.WORKING_COMMITTEE, name="鼓东街道党工委", code="P350102001", area=s1
    )
    orgs = {}
    for key, comm in (("a", a), ("b", b)):
        committee = party_org_create(
            actor=None,
            parent=wc,
            kind=OrgKind.COMMITTEE,
            name=f"{comm.area.name}党委",
            code=f"P{comm.area.code}",
            area=comm.area,
        )
        general = party_org_create(
            actor=None,
            parent=committee,
            kind=OrgKind.GENERAL_BRANCH,
            name=f"{comm.grid.name}党总支",
            code=f"P{comm.grid.code}",
            area=comm.grid,
        )
        branch = party_org_create(
            actor=None,
            parent=general,
            kind=OrgKind.BRANCH,
            name=f"{comm.compound.name}党支部",
            code=f"P{comm.compound.code}",
            area=comm.compound,
        )
        group = party_org_create(
            actor=None,
            parent=branch,
            kind=OrgKind.GROUP,
            name=f"{comm.building.name}党小组",
            code=f"P{comm.building.code}",
            area=comm.building,
        )
        orgs[key] = SimpleNamespace(committee=committee, general=general, branch=branch, group=group)
    s1 = Area.objects.get(pk=s1.pk)
    s2 = Area.objects.get(pk=s2.pk)
    return SimpleNamespace(
        district=district,
        s1=s1,
        s2=s2,
        a=a,
        b=b,
        c=c,
        department=department,
        property_company=property_company,
        working_committee=wc,
        orgs=orgs,
    )


def make_persona_users(d: SimpleNamespace, password: str) -> dict[str, User]:
    from jiceng.party.models import Member

    def user(username: str, role: str, area: Area | None = None, unit: Unit | None = None, person=None) -> User:
        u = User.objects.create_user(username=username, password=password, person=person)
        RoleGrant.objects.create(user=u, role=role, area=area, unit=unit)
        return u

    member_person = d.a.resident
    Member.objects.create(
        person=member_person,
        org=d.orgs["a"].branch,
        area_path=d.orgs["a"].branch.area_path,
        category=MemberCategory.IN_SERVICE,
    )
    return {
        "district_admin": user("p_district", Role.DISTRICT_ADMIN, d.district),
        "subdistrict_staff": user("p_subdistrict", Role.SUBDISTRICT_STAFF, d.s1),
        "community_a": user("p_community_a", Role.COMMUNITY_STAFF, d.a.area),
        "community_b": user("p_community_b", Role.COMMUNITY_STAFF, d.b.area),
        "grid_worker": user("p_grid", Role.GRID_WORKER, d.a.grid),
        "department": user("p_department", Role.DEPARTMENT_HANDLER, unit=d.department),
        "member": user("p_member", Role.PARTY_MEMBER, d.a.building, person=member_person),
        "auditor": user("p_auditor", Role.AUDITOR, d.district),
        "sysadmin": user("p_sysadmin", Role.SYSTEM_ADMIN, d.district),
    }


# --- the access matrix -------------------------------------------------------------------------
# Every app lists its pages and API endpoints in jiceng/<app>/tests/access_cases.py as
# `CASES = [AccessCase(...), ...]`; jiceng/accounts/tests/test_access_matrix.py runs them all and
# fails for any URL pattern or API operation that no case covers.

PERSONAS = (
    "district_admin",
    "subdistrict_staff",
    "community_a",
    "community_b",
    "grid_worker",
    "department",
    "member",
    "auditor",
    "sysadmin",
)


@dataclass(frozen=True)
class AccessCase:
    """`route` is the URL pattern name ("people:detail") or, for the API, "api:<METHOD> <path>"
    with the path as declared ("api:GET /api/v1/people/{person_id}"). `url` builds the concrete
    URL from the `district` fixture. `allowed` personas get a non-404 answer; every persona in
    `denied` must get 404 (not 403: out of scope reads as not found)."""

    route: str
    url: Callable[[SimpleNamespace], str]
    allowed: tuple[str, ...]
    denied: tuple[str, ...]
    method: str = "get"
    data: dict | None = None
    # A public route (the resident's report page, Open311) answers visitors without an account too;
    # the anonymous test then expects it to answer rather than send to sign-in.
    public: bool = False
