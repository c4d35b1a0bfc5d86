"""Build 福州市鼓楼区 at real scale: `jiceng demo [--full] [--reset] [--residents N]`.

The structure is always complete (10 subdistricts, 69 communities, 534 grids, 588 compounds and
their buildings, the five-level Party network with positions and 349 part-time members, units);
residents are a sample unless `full` is set, when all 720,000 are inserted with about 7% Party
members. Area populations and households always hold the real totals.

Speed: rows are prepared in Python and inserted with bulk_create in batches inside one transaction;
tree paths are computed here (trees.py), personal numbers encrypted once per row. One summary audit
event ("demo.build") records the build, instead of one event per generated row.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone
from shapely.geometry.base import BaseGeometry

from jiceng.accounts.audit import audit_record
from jiceng.accounts.models import Role, RoleGrant, User
from jiceng.areas.geo import bump_grid_generation
from jiceng.areas.models import Area, AreaKind
from jiceng.party.models import Member, MemberCategory, MemberStatus, OrgKind, PartyOrg, Position, PositionTitle
from jiceng.people.models import Person
from jiceng.people.sensitive import SensitiveTag
from jiceng.units.models import Contact, Unit, UnitKind, UnitRole

from . import geometry as geo
from . import names as N
from .bulk import FastInserter
from .people import PeopleFactory, PersonSpec, protected_fields, protected_phone
from .trees import Node, assign_paths, instances, next_root_step

SEED = 20141101  # the day of the "三个如何", November 2014
DEFAULT_RESIDENTS = 10_000
MEMBER_SHARE = 0.07
BATCH = 5_000

# Party terms: committees five years, (general) branches three (the model's note on Position).
TERM_YEARS = {
    OrgKind.WORKING_COMMITTEE: 5,
    OrgKind.COMMITTEE: 5,
    OrgKind.GENERAL_BRANCH: 3,
    OrgKind.BRANCH: 3,
    OrgKind.GROUP: 3,
}


class DemoExists(Exception):
    """The database already holds a district; building again needs reset=True."""


@dataclass
class Place:
    node: Node
    kind: str
    code: str
    name: str
    parent: Place | None = None
    geom: BaseGeometry | None = None
    point: tuple[float, float] | None = None
    population: int = 0
    households: int = 0
    children: list[Place] = field(default_factory=list)
    buildings: list[int] = field(default_factory=list)  # indices of buildings in the subtree
    address: str = ""

    @property
    def obj(self) -> Area:
        return self.node.obj


@dataclass
class Report:
    counts: dict[str, int] = field(default_factory=dict)
    stages: list[tuple[str, float]] = field(default_factory=list)
    seconds: float = 0.0


def split(total: int, weights: Sequence[float]) -> list[int]:
    """Whole numbers proportional to the weights that add up to total (largest remainder)."""
    s = sum(weights)
    raw = [total * w / s for w in weights]
    out = [int(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: raw[i] - out[i], reverse=True)
    for i in order[: total - sum(out)]:
        out[i] += 1
    return out


def add_years(day: date, years: int) -> date:
    """The same day `years` later (28 February for a 29 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


_CN_DIGITS = "零一二三四五六七八九"


def cn_number(n: int) -> str:
    """1..99 in Chinese numerals (第十二网格)."""
    if n < 10:
        return _CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _CN_DIGITS[tens]) + "十" + (_CN_DIGITS[ones] if ones else "")


# --- wiping -------------------------------------------------------------------------------------

_KEEP = {"accounts.user", "accounts.auditevent", "accounts.apitoken"}


def _wipe_order() -> list[type[models.Model]]:
    """Every model whose rows hang on areas, people, Party organizations or units (so they go
    with the district), referencing models first. accounts.User, the audit log and API tokens
    stay: users lose their link to a person and their grants on areas and units."""
    roots = {Area, Person, PartyOrg, Unit}
    chosen: set[type[models.Model]] = set(roots)
    all_models = [m for m in apps.get_models(include_auto_created=True) if m._meta.label_lower not in _KEEP]
    changed = True
    while changed:
        changed = False
        for m in all_models:
            if m in chosen:
                continue
            for f in m._meta.concrete_fields:
                if f.is_relation and f.related_model in chosen and m is not RoleGrant:
                    chosen.add(m)
                    changed = True
                    break
    order: list[type[models.Model]] = []
    pending = set(chosen)
    while pending:
        for m in sorted(pending, key=lambda x: x._meta.label):
            referenced_by_pending = any(
                f.is_relation and f.related_model is m
                for other in pending
                if other is not m
                for f in other._meta.concrete_fields
            )
            if not referenced_by_pending:
                order.append(m)
                pending.discard(m)
                break
        else:  # a cycle: fall back to any order (the database will say if it minds)
            order.extend(sorted(pending, key=lambda x: x._meta.label))
            break
    return order


def wipe() -> None:
    """Remove the district and everything hanging on it, with plain DELETEs (the ORM's cascade
    collector would load 720,000 residents into memory)."""
    qn = connection.ops.quote_name
    with connection.cursor() as cur:
        cur.execute(f"UPDATE {qn(User._meta.db_table)} SET {qn('person_id')} = NULL")  # noqa: S608
        cur.execute(
            f"DELETE FROM {qn(RoleGrant._meta.db_table)} "  # noqa: S608
            f"WHERE {qn('area_id')} IS NOT NULL OR {qn('unit_id')} IS NOT NULL"
        )
        for model in _wipe_order():
            cur.execute(f"DELETE FROM {qn(model._meta.db_table)}")  # noqa: S608


def analyze() -> None:
    """Refresh the query planner's statistics after a bulk load: without them PostgreSQL guesses
    (a whole-district phone search took 75 ms instead of 1 ms before autovacuum got round to it)."""
    qn = connection.ops.quote_name
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            for model in (*_wipe_order(), User, RoleGrant):
                cur.execute(f"ANALYZE {qn(model._meta.db_table)}")
        elif connection.vendor == "sqlite":
            cur.execute("ANALYZE")


# --- the builder --------------------------------------------------------------------------------


class Builder:
    def __init__(self, *, full: bool, residents: int, seed: int, log: Callable[[str], None],
                 cases: int = 0, party_life: bool = False) -> None:
        self.full = full
        self.cases = cases
        self.party_life = party_life
        self.sample = residents
        self.seed = seed
        self.log = log
        self.today = date.today()
        self.rng_geo = random.Random(seed)
        self.rng = random.Random(seed + 1)
        self.rng_people = random.Random(seed + 2)
        self.people = PeopleFactory(self.rng_people, self.today)
        self.report = Report()
        self.places: dict[str, list[Place]] = {k: [] for k in AreaKind.values}
        self.district: Place | None = None
        # Office-holders and committee members, created before residents and placed in buildings.
        self.officials_by_building: dict[int, list[PersonSpec]] = {}
        self.member_of: dict[int, tuple[PartyOrg | Node, str]] = {}  # id(spec) -> (org node, category)
        self.units: dict[str, Unit] = {}
        self.n_persons = 0
        self.n_members = 0

    # -- stages --

    def stage(self, name: str, fn: Callable[[], Any]) -> Any:
        t = time.perf_counter()
        result = fn()
        dt = time.perf_counter() - t
        self.report.stages.append((name, dt))
        self.log(f"  {name:<34} {dt:6.1f} s")
        return result

    def run(self) -> Report:
        t0 = time.perf_counter()
        self.stage("boundaries and partition", self.plan_areas)
        self.stage("areas", self.insert_areas)
        self.stage("units", self.insert_units)
        self.stage("Party organizations", self.plan_party)
        self.stage("residents" + (" (all)" if self.full else " (sample)"), self.insert_people)
        self.stage("positions, members, unit posts", self.insert_posts)
        if self.party_life:
            from .dualreg import plan_workplace

            self.n_members += self.stage("workplace Party organizations",
                                         lambda: plan_workplace(seed=self.seed, today=self.today, log=self.log))
        self.stage("demo logins", self.insert_logins)
        if self.cases:
            from .cases import build_cases

            self.stage("a year of cases", lambda: build_cases(n=self.cases, seed=self.seed, log=self.log))
        if self.party_life:
            from .party_life import build_party_life

            self.stage("this year's Party life", lambda: build_party_life(seed=self.seed, log=self.log))
            from .dualreg import build_dualreg

            self.stage("dual registration and service",
                       lambda: build_dualreg(seed=self.seed, today=self.today, log=self.log))
            from .points import build_points

            self.stage("this year's points ledger", lambda: build_points(seed=self.seed, log=self.log))
        self.stage("planner statistics (ANALYZE)", analyze)
        self.report.seconds = time.perf_counter() - t0
        self.report.counts = self.counts()
        audit_record(
            actor=None,
            action="demo.build",
            object_type="areas.area",
            object_id=self.district.obj.pk,
            changes={"seed": self.seed, "full": self.full, "counts": self.report.counts,
                     "seconds": round(self.report.seconds, 1)},
        )
        bump_grid_generation()
        return self.report

    # -- areas --

    def _place(self, kind: str, code: str, name: str, parent: Place | None, **kw: Any) -> Place:
        node = parent.node.add() if parent is not None else Node({})
        place = Place(node=node, kind=kind, code=code, name=name, parent=parent, **kw)
        if parent is not None:
            parent.children.append(place)
        self.places[kind].append(place)
        return place

    def plan_areas(self) -> None:
        rng = self.rng_geo
        outline = geo.district_outline()
        district = self._place(AreaKind.DISTRICT, N.DISTRICT_CODE, N.DISTRICT_NAME, None, geom=outline)
        self.district = district
        specs = N.SUBDISTRICTS
        sub_geoms = geo.finish(
            geo.bisect_partition(outline, [s.anchor for s in specs], [s.population for s in specs])
        )
        # Grids per community follow population (at least 4); compounds: one per grid, and the
        # remaining ones in the most populous grids.
        comm_pops: list[list[int]] = [
            split(s.population, [rng.uniform(0.7, 1.3) for _ in s.communities]) for s in specs
        ]
        flat_pops = [p for pops in comm_pops for p in pops]
        min_grids = 4
        grids_per_comm = [
            min_grids + g for g in split(N.GRIDS_TOTAL - min_grids * len(flat_pops), flat_pops)
        ]
        k = 0
        for spec, sub_geom, pops in zip(specs, sub_geoms, comm_pops, strict=True):
            sub = self._place(
                AreaKind.SUBDISTRICT, spec.code, spec.name, district, geom=sub_geom, population=spec.population
            )
            anchors = [geo.random_point_in(sub_geom, rng) for _ in spec.communities]
            comm_geoms = geo.finish(geo.bisect_partition(sub_geom, anchors, pops))
            for ci, (cname, cgeom, cpop) in enumerate(zip(spec.communities, comm_geoms, pops, strict=True), 1):
                comm = self._place(
                    AreaKind.COMMUNITY, f"{spec.code}{ci:03d}", cname, sub, geom=cgeom, population=cpop
                )
                n_grids = grids_per_comm[k]
                k += 1
                grid_geoms = geo.finish(geo.voronoi_partition(cgeom, n_grids, rng))
                grid_pops = split(cpop, [rng.uniform(0.6, 1.4) for _ in grid_geoms])
                for gi, (ggeom, gpop) in enumerate(zip(grid_geoms, grid_pops, strict=True), 1):
                    self._place(
                        AreaKind.GRID,
                        f"{comm.code}{gi:03d}",
                        f"{cname}第{cn_number(gi)}网格",
                        comm,
                        geom=ggeom,
                        population=gpop,
                    )
        grids = self.places[AreaKind.GRID]
        extra = N.COMPOUNDS_TOTAL - len(grids)
        twice = set(sorted(range(len(grids)), key=lambda i: grids[i].population, reverse=True)[:extra])
        used_names: set[str] = set()
        for gi, grid in enumerate(grids):
            n_comp = 2 if gi in twice else 1
            for ki, cpop in enumerate(split(grid.population, [rng.uniform(0.7, 1.3) for _ in range(n_comp)]), 1):
                cname = self._compound_name(used_names)
                point = geo.random_point_in(grid.geom, rng)
                street = rng.choice(N.COMPOUND_STEMS)
                comp = self._place(
                    AreaKind.COMPOUND,
                    f"{grid.code}{ki:03d}",
                    cname,
                    grid,
                    point=point,
                    population=cpop,
                    address=f"福州市鼓楼区{street}路{rng.randint(1, 300)}号",
                )
                n_build = max(4, min(12, round(cpop / rng.uniform(110, 190))))
                for bi, bpop in enumerate(split(cpop, [rng.uniform(0.6, 1.4) for _ in range(n_build)]), 1):
                    b = self._place(
                        AreaKind.BUILDING,
                        f"{comp.code}{bi:03d}",
                        f"{cname}{bi}号楼",
                        comp,
                        point=geo.point_near(grid.geom, point, 120, rng),
                        population=bpop,
                        households=max(1, round(bpop / rng.uniform(2.4, 2.8))),
                        address=f"{comp.address}{bi}号楼",
                    )
                    index = len(self.places[AreaKind.BUILDING]) - 1
                    p: Place | None = b
                    while p is not None:
                        p.buildings.append(index)
                        p = p.parent
        # Households and populations add up the tree from the buildings.
        for kind in (AreaKind.COMPOUND, AreaKind.GRID, AreaKind.COMMUNITY, AreaKind.SUBDISTRICT, AreaKind.DISTRICT):
            for place in self.places[kind]:
                place.households = sum(c.households for c in place.children)
                place.population = sum(c.population for c in place.children)

    def _compound_name(self, used: set[str]) -> str:
        rng = self.rng_geo
        while True:
            name = rng.choice(N.COMPOUND_STEMS) + rng.choice(N.COMPOUND_WORDS)
            if name not in used:
                used.add(name)
                return name
            for phase in ("二期", "三期", "四期"):
                if name + phase not in used:
                    used.add(name + phase)
                    return name + phase

    def insert_areas(self) -> None:
        for kind, places in self.places.items():
            for p in places:
                lat = lng = None
                if p.point is not None:
                    lng, lat = p.point
                elif p.geom is not None:
                    rp = p.geom.representative_point()
                    lng, lat = round(rp.x, 7), round(rp.y, 7)
                p.node.fields = dict(
                    kind=kind,
                    code=p.code,
                    name=p.name,
                    population=p.population,
                    households=p.households,
                    geometry=geo.to_geojson(p.geom) if p.geom is not None else None,
                    lat=lat,
                    lng=lng,
                    address=p.address,
                )
        nodes = assign_paths(Area, [self.district.node], next_root_step(Area))
        Area.objects.bulk_create(instances(Area, nodes), batch_size=1000)

    # -- units --

    def _unit(self, kind: str, name: str, code: str, home: Place, served: Iterable[Place] = (), address: str = ""):
        unit = Unit(kind=kind, name=name, code=code, home_area=home.obj, address=address)
        unit._served = [p.obj for p in served]  # type: ignore[attr-defined]
        self.units[code] = unit
        return unit

    def insert_units(self) -> None:
        rng = self.rng
        d = self.district
        subs = {p.name: p for p in self.places[AreaKind.SUBDISTRICT]}
        comms = self.places[AreaKind.COMMUNITY]
        for i, name in enumerate(N.DEPARTMENTS, 1):
            self._unit(UnitKind.DEPARTMENT, name, f"{d.code}-D{i:02d}", d, [d])
        self._unit(UnitKind.DEPARTMENT, N.POLICE_BUREAU, f"{d.code}-PB", d, [d])
        for i, (name, served) in enumerate(N.POLICE_STATIONS, 1):
            places = [subs[s] for s in served]
            self._unit(UnitKind.DEPARTMENT, name, f"{d.code}-PS{i:02d}", places[0], places)
        for i, name in enumerate(N.RESIDENT_UNITS, 1):
            home = rng.choice(comms)
            self._unit(UnitKind.RESIDENT_UNIT, name, f"{d.code}-R{i:03d}", home, [home])
        for i, name in enumerate(N.SOCIAL_ORGS, 1):
            self._unit(UnitKind.SOCIAL_ORG, name, f"{d.code}-S{i:02d}", d, [d])
        for i, name in enumerate(N.ENTERPRISES, 1):
            home = rng.choice(comms)
            self._unit(UnitKind.ENTERPRISE, name, f"{d.code}-E{i:02d}", home, [home])
        # Property companies: a dozen per subdistrict, each managing nearby compounds.
        self.property_of: dict[int, Unit] = {}
        brands = list(N.PROPERTY_BRANDS)
        n = 0
        for sub in self.places[AreaKind.SUBDISTRICT]:
            compounds = [c for comm in sub.children for g in comm.children for c in g.children]
            n_companies = max(4, len(compounds) // 5)
            by_company: list[list[Place]] = [[] for _ in range(n_companies)]
            for ci, comp in enumerate(compounds):
                by_company[min(n_companies - 1, ci * n_companies // len(compounds))].append(comp)
            for served in by_company:
                if not served:
                    continue
                n += 1
                brand = brands[(n - 1) % len(brands)]
                suffix = "" if n <= len(brands) else sub.name[:2]
                name = f"福州{brand}{suffix}物业服务有限公司" if n % 3 else f"福建{brand}{suffix}物业管理有限公司"
                home = served[0].parent.parent  # the first compound's community
                unit = self._unit(UnitKind.PROPERTY_COMPANY, name, f"{d.code}-PC{n:03d}", home, served)
                for comp in served:
                    self.property_of[id(comp)] = unit
        for comp in self.places[AreaKind.COMPOUND]:
            self._unit(UnitKind.OWNERS_COMMITTEE, f"{comp.name}业主委员会", f"{comp.code}-OC", comp, [comp])
        units = list(self.units.values())
        Unit.objects.bulk_create(units, batch_size=1000)
        through = Unit.areas_served.through
        through.objects.bulk_create(
            [through(unit_id=u.pk, area_id=a.pk) for u in units for a in u._served], batch_size=2000
        )
        contacts = []
        for u in units:
            gender = "male" if rng.random() < 0.5 else "female"
            phone = self.people.phone()
            title = {
                UnitKind.DEPARTMENT: "办公室主任",
                UnitKind.RESIDENT_UNIT: "党建联络员",
                UnitKind.PROPERTY_COMPANY: "项目经理",
                UnitKind.OWNERS_COMMITTEE: "业委会主任",
            }.get(u.kind, "联系人")
            contacts.append(Contact(unit=u, name=self.people.name(gender), title=title, **protected_phone(phone)))
        Contact.objects.bulk_create(contacts, batch_size=2000)

    # -- Party tree and its office-holders --

    def _official(self, place: Place, *, min_age: int = 28, max_age: int = 62) -> PersonSpec:
        """An adult living in a building of `place` (a building with room left, in a full build)."""
        rng = self.rng
        buildings = self.places[AreaKind.BUILDING]
        for _ in range(20):
            bi = rng.choice(place.buildings)
            if len(self.officials_by_building.get(bi, ())) < buildings[bi].population // 2:
                break
        spec = self.people.person(bi, min_age=min_age, max_age=max_age)
        self.officials_by_building.setdefault(bi, []).append(spec)
        return spec

    def plan_party(self) -> None:
        rng = self.rng
        today = self.today
        self.positions: list[tuple[Node, PersonSpec, str, bool, Unit | None, date, date]] = []
        self.unit_roles: list[tuple[Unit, PersonSpec, str, date]] = []
        roots: list[Node] = []
        self.branch_of: dict[int, Node] = {}  # id(compound place) -> its branch node
        resident_units = [u for u in self.units.values() if u.kind == UnitKind.RESIDENT_UNIT]
        stations = {
            sub_name: self.units[f"{N.DISTRICT_CODE}-PS{i:02d}"]
            for i, (_, served) in enumerate(N.POLICE_STATIONS, 1)
            for sub_name in served
        }

        def term(kind: str) -> tuple[date, date]:
            years = TERM_YEARS[kind]
            # Spread elections so that some are due soon and some overdue (about one in six).
            start = today - timedelta(days=rng.randint(0, years * 365 + 240))
            return start, add_years(start, years)

        def org(parent: Node | None, kind: str, name: str, code: str, place: Place) -> Node:
            fields = dict(kind=kind, name=name, code=code, area=place.obj, area_path=place.obj.path,
                          founded_on=today - timedelta(days=rng.randint(365 * 3, 365 * 30)))
            node = parent.add(**fields) if parent is not None else Node(fields)
            node.place = place  # type: ignore[attr-defined]
            return node

        def posts(node: Node, kind: str, place: Place, titles: Sequence[str], member_cat: str = "") -> list[PersonSpec]:
            start, end = term(kind)
            held = []
            for title in titles:
                spec = self._official(place)
                self.positions.append((node, spec, title, False, None, start, end))
                self.member_of[id(spec)] = (node, member_cat or MemberCategory.COMMUNITY_RESIDENT)
                held.append(spec)
            node.term = (start, end)  # type: ignore[attr-defined]
            return held

        part_time_left = N.PART_TIME_TOTAL
        wc_part_time = [4 if i < 5 else 3 for i in range(len(self.places[AreaKind.SUBDISTRICT]))]
        comm_total = part_time_left - sum(wc_part_time)
        comm_part_time = split(comm_total, [1] * len(self.places[AreaKind.COMMUNITY]))
        ci = 0
        S, D, M = PositionTitle.SECRETARY, PositionTitle.DEPUTY_SECRETARY, PositionTitle.COMMITTEE_MEMBER
        for si, sub in enumerate(self.places[AreaKind.SUBDISTRICT]):
            # A subdistrict has a working committee (党工委); the town a Party committee (党委).
            wc_name = f"中共福州市鼓楼区{sub.name}{'委员会' if spec_is_town(sub) else '工作委员会'}"
            wc = org(None, OrgKind.COMMITTEE if spec_is_town(sub) else OrgKind.WORKING_COMMITTEE,
                     wc_name, f"P{sub.code}", sub)
            wc_kind = OrgKind.WORKING_COMMITTEE
            posts(wc, wc_kind, sub, [S, D, D, M, M, M, M], MemberCategory.IN_SERVICE)
            start, end = wc.term  # type: ignore[attr-defined]
            for unit in rng.sample(resident_units, wc_part_time[si]):
                spec = self._official(self.district)
                self.positions.append((wc, spec, M, True, unit, start, end))
            roots.append(wc)
            for comm in sub.children:
                committee = org(wc, OrgKind.COMMITTEE, f"中共{comm.name}委员会", f"P{comm.code}", comm)
                posts(committee, OrgKind.COMMITTEE, comm, [S, D, M, M, M, PositionTitle.ORGANIZER],
                      MemberCategory.IN_SERVICE)
                start, end = committee.term  # type: ignore[attr-defined]
                comm_compounds = [c for g in comm.children for c in g.children]
                for j in range(comm_part_time[ci]):
                    # Part-time members: the community police officer, property companies, resident
                    # units, residents' representatives, in turn.
                    source = j % 4
                    if source == 0:
                        unit = stations[sub.name]
                    elif source == 1:
                        unit = self.property_of[id(rng.choice(comm_compounds))]
                    elif source == 2:
                        unit = rng.choice(resident_units)
                    else:
                        unit = None
                    spec = self._official(comm if unit is None else self.district)
                    self.positions.append((committee, spec, M, True, unit, start, end))
                    if unit is None:
                        self.member_of[id(spec)] = (committee, MemberCategory.COMMUNITY_RESIDENT)
                ci += 1
                if comm.name == "三坊七巷社区":
                    for li, lane in enumerate(N.LANE_BRANCHES, 1):
                        lane_node = org(committee, OrgKind.BRANCH, f"中共{lane}坊巷支部委员会",
                                        f"P{comm.code}L{li:02d}", comm)
                        posts(lane_node, OrgKind.BRANCH, comm, [S, M])
                for grid in comm.children:
                    general = org(committee, OrgKind.GENERAL_BRANCH, f"中共{grid.name}总支部委员会",
                                  f"P{grid.code}", grid)
                    posts(general, OrgKind.GENERAL_BRANCH, grid, [S, D, M])
                    for comp in grid.children:
                        self._plan_compound(general, comp, org, posts)
        self.party_roots = roots

    def _plan_compound(self, general: Node, comp: Place, org, posts) -> None:
        rng = self.rng
        S, D, M = PositionTitle.SECRETARY, PositionTitle.DEPUTY_SECRETARY, PositionTitle.COMMITTEE_MEMBER
        branch = org(general, OrgKind.BRANCH, f"中共{comp.name}支部委员会", f"P{comp.code}", comp)
        self.branch_of[id(comp)] = branch
        titles = [S, D, M] if rng.random() < 0.5 else [S, M]
        secretary, *rest = posts(branch, OrgKind.BRANCH, comp, titles)
        start, end = branch.term
        started = start
        owners = self.units[f"{comp.code}-OC"]
        company = self.property_of[id(comp)]
        r = rng.random()
        # 红色业委会: in two compounds of five the branch secretary chairs the owners' committee;
        # in some the secretary also works for the property company (交叉任职 across all three);
        # in half the property company's manager sits on the branch committee.
        chair = secretary if r < 0.4 else self._official(comp)
        self.unit_roles.append((owners, chair, "主任", start))
        for _ in range(2):
            self.unit_roles.append((owners, self._official(comp), "委员", start))
        if r < 0.12:
            self.unit_roles.append((company, secretary, "党建联络员", start))
        manager = self._official(comp)
        self.unit_roles.append((company, manager, "项目经理", started - timedelta(days=rng.randint(0, 900))))
        if rng.random() < 0.5:
            self.positions.append((branch, manager, M, False, None, start, end))
            self.member_of[id(manager)] = (branch, MemberCategory.IN_SERVICE)
        # Building groups: one per building, or per two buildings in larger compounds.
        b_idx = comp.buildings
        size = 1 if len(b_idx) <= 6 else 2
        buildings = self.places[AreaKind.BUILDING]
        for k in range(0, len(b_idx), size):
            chunk = b_idx[k : k + size]
            first = buildings[chunk[0]]
            label = f"{k + 1}号楼" if len(chunk) == 1 else f"{k + 1}-{k + len(chunk)}号楼"
            group = org(branch, OrgKind.GROUP, f"{comp.name}{label}党小组", f"P{first.code}", first)
            leader = self._official(first)
            self.positions.append((group, leader, PositionTitle.GROUP_LEADER, False, None, start, end))
            self.member_of[id(leader)] = (branch, MemberCategory.COMMUNITY_RESIDENT)

    def insert_party(self) -> None:
        nodes = assign_paths(PartyOrg, self.party_roots, next_root_step(PartyOrg))
        PartyOrg.objects.bulk_create(instances(PartyOrg, nodes), batch_size=1000)

    # -- people --

    def _sample_counts(self) -> list[int]:
        buildings = self.places[AreaKind.BUILDING]
        if self.full:
            return [max(0, b.population - len(self.officials_by_building.get(i, ()))) for i, b in enumerate(buildings)]
        counts = [0] * len(buildings)
        weights = [b.population for b in buildings]
        for i in random.Random(self.seed + 3).choices(range(len(buildings)), weights, k=self.sample):
            counts[i] += 1
        # The demo logins' community gets residents even in the smallest sample.
        for comm in self.places[AreaKind.COMMUNITY]:
            if comm.name == N.LOGIN_COMMUNITY:
                for i in comm.buildings[:20]:
                    counts[i] = max(counts[i], 2)
        return counts

    def insert_people(self) -> None:
        self.insert_party()
        buildings = self.places[AreaKind.BUILDING]
        chain: dict[int, dict] = {}
        for i, b in enumerate(buildings):
            grid = b.parent.parent
            comm = grid.parent
            chain[i] = dict(
                home_id=b.obj.pk,
                area_path=b.obj.path,
                district_id=self.district.obj.pk,
                subdistrict_id=comm.parent.obj.pk,
                community_id=comm.obj.pk,
                grid_id=grid.obj.pk,
            )
        counts = self._sample_counts()
        rng = self.rng_people
        # Members among ordinary residents: about 7% of the whole population (counting the
        # office-holders who are members already) are Party members; a sample gets the same rate.
        population = self.district.population
        adults = 0.8 * population
        p_member = max(0.0, (MEMBER_SHARE * population - len(self.member_of)) / adults)
        tags = [SensitiveTag.LOW_INCOME, SensitiveTag.DISABILITY, SensitiveTag.COMMUNITY_CORRECTIONS]
        now = timezone.now()
        persons = FastInserter(Person)
        members = FastInserter(Member)

        def add(spec: PersonSpec, member: tuple[Node, str] | None) -> None:
            t = rng.random()
            sensitive = [tags[0]] if t < 0.015 else [tags[1]] if t < 0.035 else [tags[2]] if t < 0.036 else []
            pk = persons.new_id()
            spec.row["id"] = pk
            persons.add(
                dict(
                    id=pk,
                    name=spec.name,
                    gender=spec.gender,
                    birth_date=spec.birth_date,
                    room=spec.room,
                    sensitive_tags=sensitive,
                    created_at=now,
                    updated_at=now,
                    **chain[spec.building],
                    **protected_fields(spec.phone, spec.id_number),
                )
            )
            if member is not None:
                members.add(self._member(spec, member[0].obj, member[1]) | {"id": members.new_id()})

        for i, b in enumerate(buildings):
            branch = self.branch_of[id(b.parent)]
            for spec in self.officials_by_building.get(i, ()):
                add(spec, self.member_of.get(id(spec)))
            for _ in range(counts[i]):
                spec = self.people.person(i)
                is_member = spec.age(self.today) >= 18 and rng.random() < p_member
                add(spec, (branch, "") if is_member else None)
        # Foreign keys are deferred to the commit on both databases, so chunk order does not matter.
        self.n_persons = persons.finish()
        self.n_members = members.finish()

    def _member(self, spec: PersonSpec, org: PartyOrg, category: str) -> dict:
        rng = self.rng_people
        age = spec.age(self.today)
        if not category:
            if age >= 60:
                category = MemberCategory.RETIRED if rng.random() < 0.75 else MemberCategory.COMMUNITY_RESIDENT
            else:
                category = rng.choices(
                    [MemberCategory.IN_SERVICE, MemberCategory.COMMUNITY_RESIDENT, MemberCategory.MOBILE,
                     MemberCategory.NEW_EMPLOYMENT],
                    [60, 15, 10, 15 if age < 45 else 2],
                )[0]
        earliest = add_years(spec.birth_date, 18)
        span = max(1, (self.today - earliest).days)
        joined = earliest + timedelta(days=rng.randint(0, span))
        probationary = (self.today - joined).days < 365
        return dict(
            person_id=spec.row["id"],
            org_id=org.pk,
            area_path=org.area_path,
            category=category,
            status=MemberStatus.PROBATIONARY if probationary else MemberStatus.FULL,
            joined_on=joined,
            full_on=None if probationary else joined + timedelta(days=365),
            show_on_board=rng.random() < 0.9,
        )

    # -- posts --

    def insert_posts(self) -> None:
        Position.objects.bulk_create(
            [
                Position(org=node.obj, person_id=spec.row["id"], title=title, is_part_time=part_time,
                         source_unit=unit, term_start=start, term_end=end)
                for node, spec, title, part_time, unit, start, end in self.positions
            ],
            batch_size=1000,
        )
        UnitRole.objects.bulk_create(
            [UnitRole(unit=unit, person_id=spec.row["id"], title=title, started_on=started)
             for unit, spec, title, started in self.unit_roles],
            batch_size=1000,
        )

    # -- logins --

    def insert_logins(self) -> None:
        by_name = {p.name: p for kind in (AreaKind.SUBDISTRICT, AreaKind.COMMUNITY) for p in self.places[kind]}
        sub = by_name[N.LOGIN_SUBDISTRICT]
        comm = by_name[N.LOGIN_COMMUNITY]
        comm_b = by_name[N.LOGIN_COMMUNITY_B]
        assert comm.parent is sub and comm_b.parent is sub  # noqa: S101 - names.py must keep this true
        grid = comm.children[0]
        # The member login is an in-service member of a resident unit's Party organization living here, so
        # dual registration (only theirs) has a story to show; without workplace organizations (a build
        # without Party life), a member of the community's own branch.
        here = Member.objects.filter(person__community_id=comm.obj.pk).select_related("person", "person__home")
        member = (
            here.filter(category=MemberCategory.IN_SERVICE, org__unit__isnull=False)
            .order_by("person__home__path", "id").first()
            or here.filter(category=MemberCategory.COMMUNITY_RESIDENT).order_by("person__home__path", "id").first()
        )
        department = self.units[f"{N.DISTRICT_CODE}-D01"]
        d = self.district.obj
        plan = [
            ("district", Role.DISTRICT_ADMIN, d, None, None),
            ("subdistrict", Role.SUBDISTRICT_STAFF, sub.obj, None, None),
            ("community", Role.COMMUNITY_STAFF, comm.obj, None, None),
            ("community_b", Role.COMMUNITY_STAFF, comm_b.obj, None, None),
            ("grid", Role.GRID_WORKER, grid.obj, None, None),
            ("department", Role.DEPARTMENT_HANDLER, None, department, None),
            ("member", Role.PARTY_MEMBER, member.person.home, None, member.person),
            ("auditor", Role.AUDITOR, d, None, None),
            ("sysadmin", Role.SYSTEM_ADMIN, d, None, None),
        ]
        from django.contrib.auth.hashers import make_password

        # One hash for the one public demo password: hashing it nine times costs seconds, not safety.
        password = make_password(settings.DEMO_PASSWORD)
        for username, role, area, unit, person in plan:
            user = User.objects.filter(username=username).first()
            if user is None:
                user = User(username=username)
            user.password = password
            user.person = person
            user.is_active = True
            user.password_changed_at = timezone.now()
            user.save()
            user.grants.all().delete()
            RoleGrant.objects.create(user=user, role=role, area=area, unit=unit)

    def counts(self) -> dict[str, int]:
        return {
            "subdistricts": len(self.places[AreaKind.SUBDISTRICT]),
            "communities": len(self.places[AreaKind.COMMUNITY]),
            "grids": len(self.places[AreaKind.GRID]),
            "compounds": len(self.places[AreaKind.COMPOUND]),
            "buildings": len(self.places[AreaKind.BUILDING]),
            "population": self.district.population,
            "party_organizations": PartyOrg.objects.count(),
            "positions": len(self.positions),
            "part_time_members": sum(1 for p in self.positions if p[3]),
            "units": len(self.units),
            "residents": self.n_persons,
            "members": self.n_members,
        }


def spec_is_town(place: Place) -> bool:
    return any(s.is_town for s in N.SUBDISTRICTS if s.code == place.code)


def build_demo(
    *,
    full: bool = False,
    residents: int = DEFAULT_RESIDENTS,
    reset: bool = False,
    seed: int = SEED,
    cases: int = 0,
    party_life: bool = False,
    log: Callable[[str], None] = lambda s: None,
) -> Report:
    """Build the demo district in one transaction. Raises DemoExists when a district is there
    already and reset is False."""
    with transaction.atomic():
        if Area.objects.filter(kind=AreaKind.DISTRICT).exists():
            if not reset:
                raise DemoExists
            t = time.perf_counter()
            wipe()
            log(f"  {'wiped the previous district':<34} {time.perf_counter() - t:6.1f} s")
        return Builder(full=full, residents=residents, seed=seed, log=log, cases=cases,
                       party_life=party_life).run()
