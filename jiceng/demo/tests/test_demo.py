"""The demo district: counts from seed 000, tree integrity, a true tiling, valid personal numbers,
the demo logins. Built once per module with a small resident sample, rolled back at the end."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import shapely
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import Count, Sum
from shapely.geometry import Point, shape

from jiceng.accounts.audit import audit_verify_chain
from jiceng.accounts.models import AuditEvent, Role, User
from jiceng.areas.geo import grid_id_for_point, wgs84_to_gcj02
from jiceng.areas.models import Area, AreaKind
from jiceng.demo import geometry as geo
from jiceng.demo import names as N
from jiceng.demo.build import DemoExists, build_demo, split
from jiceng.demo.logins import DEMO_LOGINS
from jiceng.party.models import Member, OrgKind, PartyOrg, Position
from jiceng.people import personal
from jiceng.people.models import Person
from jiceng.units.models import Unit, UnitKind, UnitRole

SAMPLE = 200


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield build_demo(residents=SAMPLE)
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


pytestmark = pytest.mark.django_db


def test_counts_match_seed_000(demo):
    counts = dict(Area.objects.values_list("kind").order_by().annotate(n=Count("id")))
    assert counts[AreaKind.DISTRICT] == 1
    assert counts[AreaKind.SUBDISTRICT] == 10
    assert counts[AreaKind.COMMUNITY] == 69
    assert counts[AreaKind.GRID] == 534
    assert counts[AreaKind.COMPOUND] == 588
    per_compound = Area.objects.filter(kind=AreaKind.BUILDING).values("path").count() / 588
    assert 4 <= per_compound <= 12
    assert demo.counts["grids"] == 534 and demo.counts["compounds"] == 588


def test_subdistricts_are_real_with_their_codes(demo):
    subs = list(Area.objects.filter(kind=AreaKind.SUBDISTRICT).order_by("code").values_list("code", "name"))
    assert subs == [
        ("350102001", "鼓东街道"), ("350102002", "鼓西街道"), ("350102003", "温泉街道"), ("350102004", "东街街道"),
        ("350102005", "南街街道"), ("350102006", "安泰街道"), ("350102007", "华大街道"), ("350102008", "水部街道"),
        ("350102009", "五凤街道"), ("350102100", "洪山镇"),
    ]
    district = Area.objects.get(kind=AreaKind.DISTRICT)
    assert (district.code, district.name) == ("350102", "鼓楼区")


def test_codes_extend_the_parent_code(demo):
    lengths = {"district": 6, "subdistrict": 9, "community": 12, "grid": 15, "compound": 18, "building": 21}
    by_path = {a.path: a for a in Area.objects.only("path", "code", "kind", "depth")}
    for area in by_path.values():
        assert len(area.code) == lengths[area.kind] and area.code.isdigit()
        if area.depth > 1:
            parent = by_path[area.path[: -Area.steplen]]
            assert area.code.startswith(parent.code)


def test_populations_add_up_to_720000(demo):
    district = Area.objects.get(kind=AreaKind.DISTRICT)
    assert district.population == N.RESIDENTS_TOTAL
    for kind in (AreaKind.SUBDISTRICT, AreaKind.COMMUNITY, AreaKind.GRID, AreaKind.COMPOUND, AreaKind.BUILDING):
        total = Area.objects.filter(kind=kind).aggregate(p=Sum("population"), h=Sum("households"))
        assert total["p"] == N.RESIDENTS_TOTAL
        assert total["h"] == district.households
    # Each subdistrict holds its share from names.py.
    shares = dict(Area.objects.filter(kind=AreaKind.SUBDISTRICT).values_list("code", "population"))
    assert shares == {s.code: s.population for s in N.SUBDISTRICTS}


def _tree_problems(model) -> list[str]:
    """What treebeard's find_problems checks (alphabet, step length, orphans, depth, numchild),
    over the whole tree in one query; find_problems itself runs two queries per node."""
    rows = list(model.objects.values_list("path", "depth", "numchild"))
    paths = {path for path, _, _ in rows}
    children: dict[str, int] = {}
    problems = []
    for path, depth, _ in rows:
        if any(ch not in model.alphabet for ch in path) or len(path) % model.steplen:
            problems.append(f"bad path {path}")
        if depth != len(path) // model.steplen:
            problems.append(f"wrong depth {path}")
        if depth > 1:
            parent = path[: -model.steplen]
            if parent not in paths:
                problems.append(f"orphan {path}")
            children[parent] = children.get(parent, 0) + 1
    problems += [f"wrong numchild {p}" for p, _, n in rows if children.get(p, 0) != n]
    return problems


def test_area_and_party_trees_are_sound(demo):
    assert _tree_problems(Area) == []
    assert _tree_problems(PartyOrg) == []
    # treebeard's own check, on a subdistrict's subtree and its Party tree (it is slow on all).
    dongjie = Area.objects.get(kind=AreaKind.SUBDISTRICT, name="东街街道")
    assert all(problem == [] for problem in Area.objects.find_problems(dongjie))
    wc = PartyOrg.objects.get(area=dongjie)
    assert all(problem == [] for problem in PartyOrg.objects.find_problems(wc))
    district = Area.objects.get_root_nodes().get(kind=AreaKind.DISTRICT)
    assert Area.objects.get_children_count(district) == 10
    assert Area.objects.get_descendant_count(district) == Area.objects.count() - 1
    assert [c.name for c in Area.objects.get_children(district)][:1] == ["鼓东街道"]


def test_five_level_party_network(demo):
    orgs = PartyOrg.objects.select_related("area")
    tops = [o for o in orgs if o.depth == 1]
    assert len(tops) == 10
    assert sum(o.kind == OrgKind.WORKING_COMMITTEE for o in tops) == 9  # the town has a 党委
    assert orgs.filter(kind=OrgKind.COMMITTEE, depth=2, area__kind=AreaKind.COMMUNITY).count() == 69
    assert orgs.filter(kind=OrgKind.GENERAL_BRANCH, area__kind=AreaKind.GRID).count() == 534
    # 100% coverage: every compound has exactly one branch anchored on it, under its grid's general branch.
    branches = orgs.filter(kind=OrgKind.BRANCH, area__kind=AreaKind.COMPOUND)
    assert branches.count() == 588
    assert set(branches.values_list("area_id", flat=True)) == set(
        Area.objects.filter(kind=AreaKind.COMPOUND).values_list("id", flat=True)
    )
    for branch in branches[:50]:
        parent = PartyOrg.objects.get_parent(branch)
        assert parent.kind == OrgKind.GENERAL_BRANCH
        assert branch.area.path.startswith(parent.area.path)
        assert branch.area_path == branch.area.path
    groups = orgs.filter(kind=OrgKind.GROUP)
    assert groups.count() >= Area.objects.filter(kind=AreaKind.BUILDING).count() / 2
    assert all(g.area.kind == AreaKind.BUILDING for g in groups[:100])
    # 三坊七巷: eleven lane branches.
    lanes = orgs.filter(kind=OrgKind.BRANCH, area__name="三坊七巷社区")
    assert lanes.count() == 11


def test_positions_terms_and_part_time_members(demo):
    today = date.today()
    assert Position.objects.filter(is_part_time=True).count() == N.PART_TIME_TOTAL
    assert not Position.objects.filter(is_part_time=True, source_unit__isnull=False).exclude(
        source_unit__kind__in=[UnitKind.DEPARTMENT, UnitKind.RESIDENT_UNIT, UnitKind.PROPERTY_COMPANY]
    ).exists()
    # Every committee, general branch and branch has a secretary.
    for kind in (OrgKind.WORKING_COMMITTEE, OrgKind.COMMITTEE, OrgKind.GENERAL_BRANCH, OrgKind.BRANCH):
        orgs = PartyOrg.objects.filter(kind=kind)
        with_secretary = orgs.filter(positions__title="secretary").distinct().count()
        assert with_secretary == orgs.count()
    assert Position.objects.filter(term_end__lt=today).exists()  # re-election overdue
    assert Position.objects.filter(term_end__gte=today, term_end__lte=today + timedelta(days=120)).exists()
    assert not Position.objects.filter(term_end__lte=models_f("term_start")).exists()


def models_f(name):
    from django.db.models import F

    return F(name)


def test_units_and_cross_appointments(demo):
    kinds = dict(Unit.objects.values_list("kind").order_by().annotate(n=Count("id")))
    assert kinds[UnitKind.OWNERS_COMMITTEE] == 588
    assert kinds[UnitKind.DEPARTMENT] >= 15
    assert kinds[UnitKind.RESIDENT_UNIT] >= 20
    assert kinds[UnitKind.PROPERTY_COMPANY] >= 50
    department = Unit.objects.get(name="区城市管理局")
    assert list(department.areas_served.values_list("kind", flat=True)) == ["district"]
    # Every compound is served by one property company and its owners' committee.
    served = Unit.objects.filter(kind=UnitKind.PROPERTY_COMPANY).values_list("areas_served", flat=True)
    assert sorted(served) == sorted(Area.objects.filter(kind=AreaKind.COMPOUND).values_list("id", flat=True))
    # 交叉任职: someone is a branch secretary, on an owners' committee and with a property company.
    secretaries = set(
        Position.objects.filter(org__kind=OrgKind.BRANCH, title="secretary").values_list("person_id", flat=True)
    )
    owners = set(UnitRole.objects.filter(unit__kind=UnitKind.OWNERS_COMMITTEE).values_list("person_id", flat=True))
    company = set(UnitRole.objects.filter(unit__kind=UnitKind.PROPERTY_COMPANY).values_list("person_id", flat=True))
    assert secretaries & owners & company


def test_grids_tile_the_district(demo):
    district = shape(Area.objects.get(kind=AreaKind.DISTRICT).geometry)
    grids = [shape(g) for g in Area.objects.filter(kind=AreaKind.GRID).values_list("geometry", flat=True)]
    assert all(g.is_valid and not g.is_empty for g in grids)
    union = shapely.union_all(grids)
    assert abs(union.area - district.area) / district.area < 1e-4
    assert district.symmetric_difference(union).area / district.area < 1e-4
    overlap = sum(g.area for g in grids) - union.area
    assert overlap / district.area < 1e-6
    # Communities tile their subdistricts, grids their communities.
    for kind, child in ((AreaKind.SUBDISTRICT, AreaKind.COMMUNITY), (AreaKind.COMMUNITY, AreaKind.GRID)):
        for parent in Area.objects.filter(kind=kind):
            outline = shape(parent.geometry)
            kids = [
                shape(a.geometry)
                for a in Area.objects.filter(kind=child, path__startswith=parent.path).only("geometry")
            ]
            assert abs(shapely.union_all(kids).area - outline.area) / outline.area < 1e-4


def test_subdistrict_areas_follow_population(demo):
    district = Area.objects.get(kind=AreaKind.DISTRICT)
    d_area = shape(district.geometry).area
    for sub in Area.objects.filter(kind=AreaKind.SUBDISTRICT):
        share = sub.population / district.population
        assert abs(shape(sub.geometry).area / d_area - share) < 0.01


def test_outline_is_the_real_boundary_in_wgs84():
    import json

    raw = json.loads(geo.outline_path().read_text(encoding="utf-8"))
    gcj = raw["coordinates"][0][0]
    stored = geo.district_outline()
    wgs = list(stored.exterior.coords) if stored.geom_type == "Polygon" else list(stored.geoms[0].exterior.coords)
    # Shifted from GCJ-02 (by some hundreds of metres) and exactly back again.
    lng, lat = wgs[0]
    g_lat, g_lng = wgs84_to_gcj02(lat, lng)
    assert min(abs(g_lng - x) + abs(g_lat - y) for x, y, *_ in gcj) < 2e-6
    assert min(abs(lng - x) + abs(lat - y) for x, y, *_ in gcj) > 1e-3


def test_compounds_and_buildings_lie_in_their_grid_and_route_to_it(demo):
    grids = {a.path: (a.id, shape(a.geometry)) for a in Area.objects.filter(kind=AreaKind.GRID)}
    buildings = Area.objects.filter(kind=AreaKind.BUILDING).only("path", "lat", "lng")
    for c in Area.objects.filter(kind=AreaKind.COMPOUND).only("path", "lat", "lng"):
        assert grids[c.path[: 4 * Area.steplen]][1].covers(Point(c.lng, c.lat))
    for b in buildings:
        gid, poly = grids[b.path[: 4 * Area.steplen]]
        assert poly.covers(Point(b.lng, b.lat))
    for b in buildings[:200]:
        gid, poly = grids[b.path[: 4 * Area.steplen]]
        assert grid_id_for_point(b.lat, b.lng) == gid


def test_residents_have_valid_numbers_and_chain(demo):
    people = list(Person.objects.select_related("home"))
    assert len(people) >= SAMPLE
    seen_ids, seen_phones = set(), set()
    for p in people:
        id_number = personal.decrypt(p.id_encrypted)
        assert personal.normalize_id_number(id_number) == id_number
        assert id_number.startswith("3501")
        assert id_number[-1] == personal.id_check_digit(id_number[:17])
        assert personal.id_birth_date(id_number) == p.birth_date
        assert personal.id_gender(id_number) == p.gender
        assert p.id_index == personal.blind_index(id_number, "id")
        assert p.id_masked == personal.mask_id_number(id_number)
        seen_ids.add(id_number)
        if p.phone_encrypted:
            phone = personal.decrypt(p.phone_encrypted)
            assert personal.normalize_phone(phone) == phone
            assert p.phone_index == personal.blind_index(phone, "phone")
            assert p.phone_masked == personal.mask_phone(phone)
            seen_phones.add(phone)
        assert p.home.kind == AreaKind.BUILDING and p.area_path == p.home.path
    assert len(seen_ids) == len(people)
    assert len(seen_phones) == sum(1 for p in people if p.phone_encrypted)
    # The area chain matches the home's ancestors.
    area_by_id = {a.id: a for a in Area.objects.filter(depth__lte=4)}
    for p in people[:500]:
        assert area_by_id[p.grid_id].path == p.area_path[: 4 * Area.steplen]
        assert area_by_id[p.community_id].path == p.area_path[: 3 * Area.steplen]
        assert area_by_id[p.subdistrict_id].path == p.area_path[: 2 * Area.steplen]


def test_members_belong_to_their_branch(demo):
    members = Member.objects.select_related("org", "person")
    assert members.count() > 0
    for m in members[:500]:
        assert m.area_path == m.org.area_path
    residents = members.filter(org__kind=OrgKind.BRANCH)[:200]
    for m in residents:
        assert m.person.area_path.startswith(m.org.area_path)


def test_demo_logins(demo):
    expected = {
        "district": Role.DISTRICT_ADMIN,
        "subdistrict": Role.SUBDISTRICT_STAFF,
        "community": Role.COMMUNITY_STAFF,
        "community_b": Role.COMMUNITY_STAFF,
        "grid": Role.GRID_WORKER,
        "department": Role.DEPARTMENT_HANDLER,
        "member": Role.PARTY_MEMBER,
        "auditor": Role.AUDITOR,
        "sysadmin": Role.SYSTEM_ADMIN,
    }
    assert [u for u, _ in DEMO_LOGINS] == list(expected)
    users = {u.username: u for u in User.objects.prefetch_related("grants__area", "grants__unit")}
    for username, role in expected.items():
        user = users[username]
        assert user.check_password(settings.DEMO_PASSWORD)
        assert [g.role for g in user.grants.all()] == [role]
    area = {name: users[name].grants.all()[0].area for name in expected}
    assert area["district"].kind == AreaKind.DISTRICT
    assert area["subdistrict"].name == "东街街道"
    assert area["community"].name == "军门社区" and area["community"].path.startswith(area["subdistrict"].path)
    assert area["community_b"].kind == AreaKind.COMMUNITY
    assert area["community_b"].path.startswith(area["subdistrict"].path)
    assert area["community_b"] != area["community"]
    assert area["grid"].kind == AreaKind.GRID and area["grid"].path.startswith(area["community"].path)
    assert users["department"].grants.all()[0].unit.name == "区城市管理局"
    member = users["member"]
    assert member.person is not None and Member.objects.filter(person=member.person).exists()
    assert area["member"] == member.person.home
    assert member.person.community_id == area["community"].id


def test_one_summary_audit_event(demo):
    events = AuditEvent.objects.filter(action="demo.build")
    assert events.count() == 1
    assert events[0].changes["counts"]["compounds"] == 588
    assert audit_verify_chain() == []


def test_building_twice_needs_reset(demo):
    with pytest.raises(DemoExists):
        build_demo(residents=0)
    with pytest.raises(CommandError):
        call_command("demo", residents=0)


def test_reset_rebuilds_the_same_district(demo):
    before = list(Area.objects.order_by("path").values_list("path", "code", "name", "population")[:300])
    report = build_demo(residents=0, reset=True)
    assert Area.objects.filter(kind=AreaKind.DISTRICT).count() == 1
    assert report.counts["compounds"] == 588
    assert list(Area.objects.order_by("path").values_list("path", "code", "name", "population")[:300]) == before
    assert _tree_problems(Area) == []
    assert User.objects.filter(username__in=[u for u, _ in DEMO_LOGINS]).count() == len(DEMO_LOGINS)


def test_split_is_exact():
    assert split(10, [1, 1, 1]) == [4, 3, 3]
    assert sum(split(720_000, [0.3, 1.7, 2.9, 0.01])) == 720_000
