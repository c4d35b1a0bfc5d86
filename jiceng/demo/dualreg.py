"""Dual registration (双报到) and service for the demo district, in two steps.

1. `plan_workplace` (before the logins and this year's Party life): every resident unit (驻区单位) gets its
   own Party committee, through party_org_create like any organization, and in-service members taken from
   residents who are not members yet, living all over the district (a few in 军门社区 for sure, so the
   `member` login is one of them). Their meetings then come with the rest of the Party life.
2. `build_dualreg` (after the Party life, before the points ledger): the organizations register with their
   home community and the in-service members where they live (requested, confirmed, returned with a
   reason, revoked); every community publishes a service list for last year and this year; members claim
   items (registered in-service members and community residents alike: both claim where they live),
   record the service they gave and the community confirms or returns it; some make pledges and keep
   them. The points ledger (points.py) then posts the confirmed records, so every service point in the
   demo comes from a record that exists.

Rows go in with FastInserter like the rest of the demo, each row in the state the services would leave it:
`version` = number of events, the state = the last event's, `claimed` = the item's claims not withdrawn,
never above the capacity. The `member` login's story is fixed (registered and confirmed, a confirmed
record, one waiting, one just claimed, a pledge open and one kept) so its pages show each state.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from jiceng.accounts.models import User
from jiceng.areas.models import Area, AreaKind
from jiceng.party.dualreg_models import (
    ClaimEvent,
    ClaimState,
    Pledge,
    Registration,
    RegistrationEvent,
    RegistrationKind,
    RegistrationState,
    ServiceCategory,
    ServiceClaim,
    ServiceItem,
)
from jiceng.party.models import Member, MemberCategory, MemberStatus, OrgKind, PartyOrg
from jiceng.party.services import party_org_create
from jiceng.people.models import Person
from jiceng.units.models import Unit, UnitKind

from . import names as N
from .bulk import FastInserter

# Share of residents who are not members yet that become in-service members of a workplace organization.
WORKPLACE_SHARE = 0.02
# In-service members living in the login community, at least (its pages must have people on them).
LOGIN_COMMUNITY_MIN = 12
# Of in-service members: how many registered, and how their registrations stand.
REGISTERED_SHARE = 0.8
REG_STATES = [(RegistrationState.CONFIRMED, 0.7), (RegistrationState.REQUESTED, 0.14),
              (RegistrationState.RETURNED, 0.1), (RegistrationState.REVOKED, 0.06)]
# Of the members who may claim (confirmed in-service members; community residents), how many serve.
SERVE_SHARE = 1 / 3
CLAIM_STATES = [(ClaimState.CONFIRMED, 0.55), (ClaimState.RECORDED, 0.15), (ClaimState.RETURNED, 0.05),
                (ClaimState.CLAIMED, 0.2), (ClaimState.WITHDRAWN, 0.05)]
PLEDGE_SHARE = 0.25

RETURN_REASONS = ["所在楼栋与登记住址不符，请核实后重新申请", "请补充工作单位党组织证明",
                  "请先联系社区党委确认报到时间"]
RECORD_RETURN_REASONS = ["请补充服务照片", "服务时长与活动记录不符，请核实", "请写明服务对象"]
ITEMS = [
    ("独居老人探访", ServiceCategory.ELDERLY, "每周陪伴独居老人一次，聊天、代购、检查水电燃气"),
    ("四点半课堂辅导", ServiceCategory.CHILDREN, "放学后为双职工家庭孩子辅导作业"),
    ("楼道清扫与垃圾分类督导", ServiceCategory.ENVIRONMENT, "周末清理楼道杂物，早晚在分类投放点值守"),
    ("夜间平安巡防", ServiceCategory.SAFETY, "与网格员一起夜巡，查看消防通道和电动车充电"),
    ("法律咨询进社区", ServiceCategory.LEGAL, "每月一次为居民解答婚姻、继承、物业纠纷问题"),
    ("义诊与健康讲座", ServiceCategory.HEALTH, "测血压血糖，讲解慢病用药"),
    ("文明实践宣讲", ServiceCategory.CULTURE, "在新时代文明实践站宣讲政策"),
    ("疫苗接种引导", ServiceCategory.HEALTH, "接种点现场引导、登记"),
]
BENEFICIARIES = ["3号楼独居老人", "社区困难家庭", "小区双职工家庭的孩子", "楼栋全体住户", "社区老年活动中心",
                 "残疾人家庭", "新就业群体（外卖骑手）", "小区业主"]
NOTES = ["陪同就医、打扫卫生", "辅导数学和语文作业", "清理楼道堆放杂物三处", "巡查消防通道，劝离占道车辆",
         "解答物业费纠纷咨询", "为20位老人测量血压", ""]
PLEDGES = ["每月为独居老人代购一次生活用品", "每季度参加一次社区夜间巡防", "每月到四点半课堂辅导两次",
           "带头做好垃圾分类，劝导邻居", "帮助楼栋老人学会使用智能手机", "参与小区停车秩序整治"]
FULFILMENTS = ["已按月完成代购，老人家属致谢", "已参加巡防三次", "已辅导八次", "所在楼栋分类准确率明显提高"]


def _pick(rng: random.Random, weighted: list[tuple[str, float]]) -> str:
    r = rng.random()
    for value, share in weighted:
        r -= share
        if r < 0:
            return value
    return weighted[-1][0]


def _at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _day_between(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, max((end - start).days, 0)))


# --- 1. workplace organizations and their in-service members --------------------------------------


def plan_workplace(*, seed: int, today: date, log: Callable[[str], None] = lambda s: None) -> int:
    """Give every resident unit a Party committee and in-service members; returns the members added."""
    rng = random.Random(seed + 13)
    units = list(Unit.objects.filter(kind=UnitKind.RESIDENT_UNIT, home_area__kind=AreaKind.COMMUNITY)
                 .select_related("home_area").order_by("code"))
    if not units:
        return 0
    orgs = [party_org_create(actor=None, parent=None, kind=OrgKind.COMMITTEE, name=f"中共{u.name}委员会",
                             code=f"PW{u.code}", area=u.home_area, unit=u,
                             founded_on=today - timedelta(days=rng.randint(365 * 5, 365 * 40)))
            for u in units]
    login_community = Area.objects.filter(kind=AreaKind.COMMUNITY, name=N.LOGIN_COMMUNITY).values_list(
        "pk", flat=True).first()
    free = list(Person.objects.filter(member__isnull=True, community__isnull=False, home__isnull=False)
                .values_list("pk", "community_id").order_by("pk"))
    rng.shuffle(free)
    chosen = [pk for pk, _c in free[: max(int(len(free) * WORKPLACE_SHARE), len(orgs))]]
    here = [pk for pk, c in free if c == login_community and pk not in set(chosen)]
    missing = LOGIN_COMMUNITY_MIN - sum(1 for pk, c in free if c == login_community and pk in set(chosen))
    chosen += here[: max(missing, 0)]
    members = FastInserter(Member)
    for i, person_id in enumerate(chosen):
        org = orgs[i % len(orgs)]
        joined = today - timedelta(days=rng.randint(400, 365 * 25))
        members.add({"id": members.new_id(), "person_id": person_id, "org_id": org.pk, "area_path": org.area_path,
                     "category": MemberCategory.IN_SERVICE, "status": MemberStatus.FULL, "joined_on": joined,
                     "full_on": joined + timedelta(days=365), "show_on_board": rng.random() < 0.9})
    n = members.finish()
    log(f"  {len(orgs)} workplace Party committees, {n:,} in-service members")
    return n


# --- 2. registrations, the service lists, claims, records and pledges -----------------------------


class _Rows:
    """The inserters of this stage and the bookkeeping that keeps rows consistent with the state machines."""

    def __init__(self) -> None:
        self.regs = FastInserter(Registration)
        self.reg_events = FastInserter(RegistrationEvent)
        self.items = FastInserter(ServiceItem)
        self.claims = FastInserter(ServiceClaim)
        self.claim_events = FastInserter(ClaimEvent)
        self.pledges = FastInserter(Pledge)

    def registration(self, *, kind: str, org_id: int, org_path: str, member_id: int | None, community: Area,
                     moves: list[tuple[str, datetime, str]], actor_id: int | None) -> None:
        """`moves`: (to_state, at, reason), the first being the request."""
        reg_id = self.regs.new_id()
        for version, (to_state, at, reason) in enumerate(moves, 1):
            self.reg_events.add({"id": self.reg_events.new_id(), "registration_id": reg_id,
                                 "from_state": moves[version - 2][0] if version > 1 else "", "to_state": to_state,
                                 "version": version, "actor_id": actor_id if version > 1 else None,
                                 "reason": reason, "at": at})
        last, last_at, reason = moves[-1]
        self.regs.add({"id": reg_id, "kind": kind, "org_id": org_id, "member_id": member_id,
                       "community_id": community.pk, "community_path": community.path, "org_path": org_path,
                       "state": last, "version": len(moves), "reason": reason, "requested_at": moves[0][1],
                       "decided_at": None if last == RegistrationState.REQUESTED else last_at})

    def claim(self, *, item: dict, member_id: int, org_path: str, state: str, claimed_on: date, today: date,
              rng: random.Random, actor_id: int | None) -> None:
        claim_id = self.claims.new_id()
        claimed_at = _at(claimed_on, 9)
        moves: list[tuple[str, datetime, str, Decimal | None]] = [(ClaimState.CLAIMED, claimed_at, "", None)]
        row: dict = {"id": claim_id, "item_id": item["id"], "member_id": member_id,
                     "community_path": item["community_path"], "org_path": org_path, "claimed_at": claimed_at,
                     "beneficiary": "", "note": "", "photo": "", "photo_type": "", "reason": ""}
        if state in (ClaimState.RECORDED, ClaimState.CONFIRMED, ClaimState.RETURNED):
            served = _day_between(rng, claimed_on, min(item["ends_on"], today))
            hours = Decimal(rng.choice(["1", "1.5", "2", "2.5", "3", "4"]))
            recorded_at = min(_at(served, 18), timezone.now())
            row.update(served_on=served, hours=hours, beneficiary=rng.choice(BENEFICIARIES),
                       note=rng.choice(NOTES), recorded_at=recorded_at)
            moves.append((ClaimState.RECORDED, recorded_at, "", hours))
            decided = max(min(_at(served + timedelta(days=rng.randint(1, 5)), 11), timezone.now()), recorded_at)
            if state == ClaimState.CONFIRMED:
                moves.append((ClaimState.CONFIRMED, decided, "", hours))
                row.update(confirmed_at=decided, confirmed_by_id=actor_id)
            elif state == ClaimState.RETURNED:
                reason = rng.choice(RECORD_RETURN_REASONS)
                moves.append((ClaimState.RETURNED, decided, reason, hours))
                row["reason"] = reason
        elif state == ClaimState.WITHDRAWN:
            moves.append((ClaimState.WITHDRAWN, claimed_at + timedelta(days=rng.randint(1, 20)), "", None))
        for version, (to_state, at, reason, hours) in enumerate(moves, 1):
            self.claim_events.add({"id": self.claim_events.new_id(), "claim_id": claim_id,
                                   "from_state": moves[version - 2][0] if version > 1 else "",
                                   "to_state": to_state, "version": version, "hours": hours,
                                   "actor_id": actor_id if to_state in (ClaimState.CONFIRMED, ClaimState.RETURNED)
                                   else None, "reason": reason, "at": at})
        row.update(state=state, version=len(moves))
        self.claims.add(row)
        if state != ClaimState.WITHDRAWN:
            item["claimed"] += 1

    def finish(self) -> dict[str, int]:
        return {"registrations": self.regs.finish(), "registration events": self.reg_events.finish(),
                "service items": self.items.finish(), "claims": self.claims.finish(),
                "claim events": self.claim_events.finish(), "pledges": self.pledges.finish()}


def _registration_moves(rng: random.Random, state: str, start: date, today: date) -> list[tuple[str, datetime, str]]:
    requested = _day_between(rng, start, today - timedelta(days=3))
    moves = [(RegistrationState.REQUESTED, _at(requested, 9), "")]
    decided = _at(requested + timedelta(days=rng.randint(1, 3)), 15)
    if state == RegistrationState.RETURNED:
        moves.append((RegistrationState.RETURNED, decided, rng.choice(RETURN_REASONS)))
    elif state in (RegistrationState.CONFIRMED, RegistrationState.REVOKED):
        moves.append((RegistrationState.CONFIRMED, decided, ""))
        if state == RegistrationState.REVOKED:
            moves.append((RegistrationState.REVOKED, min(decided + timedelta(days=rng.randint(30, 200)),
                                                         timezone.now()), "工作调动，已转至新居住地报到"))
    return moves


def build_dualreg(*, seed: int, today: date, log: Callable[[str], None] = lambda s: None) -> dict[str, int]:
    """Insert this stage's rows; returns their counts."""
    rng = random.Random(seed + 17)
    communities = {a.pk: a for a in Area.objects.filter(kind=AreaKind.COMMUNITY).only("id", "path", "name")
                   .order_by("path")}
    if not communities:
        return {}
    login_community = next((pk for pk, a in communities.items() if a.name == N.LOGIN_COMMUNITY), None)
    # The community login finds work waiting at its desk: requests to decide, one returned.
    desk = [RegistrationState.REQUESTED, RegistrationState.REQUESTED, RegistrationState.RETURNED]
    # The community logins act for their communities' decisions; elsewhere the events have no actor.
    staff = dict(User.objects.filter(grants__role="community_staff", grants__area__kind=AreaKind.COMMUNITY)
                 .values_list("grants__area_id", "pk"))
    login = User.objects.filter(username="member").values_list("person__member__pk", flat=True).first()
    members = list(Member.objects.filter(person__community_id__isnull=False)
                   .values_list("pk", "category", "area_path", "person__community_id", "org__unit_id", "org_id")
                   .order_by("pk"))
    rows = _Rows()
    year_start, last_start = date(today.year, 1, 1), date(today.year - 1, 1, 1)

    # Workplace organizations register with their home community, some with a second one as well (two of
    # them with the login community: one confirmed, one waiting).
    for i, (org_id, org_path, area_id) in enumerate(PartyOrg.objects.filter(unit__isnull=False).values_list(
            "pk", "area_path", "area_id").order_by("pk")):
        targets: dict[int, str] = {area_id: ""}
        if rng.random() < 0.3:
            targets.setdefault(rng.choice(list(communities)), "")
        if i < 2 and login_community is not None:
            targets[login_community] = [RegistrationState.CONFIRMED, RegistrationState.REQUESTED][i]
        for n, (community_id, forced) in enumerate(targets.items()):
            state = forced or (RegistrationState.CONFIRMED if n == 0 and rng.random() < 0.85
                               else _pick(rng, REG_STATES))
            rows.registration(kind=RegistrationKind.ORG, org_id=org_id, org_path=org_path, member_id=None,
                              community=communities[community_id], actor_id=staff.get(community_id),
                              moves=_registration_moves(rng, state, last_start, today))

    # In-service members of workplace organizations register where they live.
    may_claim: list[tuple[int, str, int]] = []
    for pk, category, path, community_id, unit_id, org_id in members:
        if category == MemberCategory.IN_SERVICE and unit_id is not None:
            if pk == login:
                state = RegistrationState.CONFIRMED
            elif community_id == login_community and desk:
                state = desk.pop(0)
            elif rng.random() < REGISTERED_SHARE:
                state = _pick(rng, REG_STATES)
            else:
                continue
            rows.registration(kind=RegistrationKind.MEMBER, org_id=org_id, org_path=path, member_id=pk,
                              community=communities[community_id], actor_id=staff.get(community_id),
                              moves=_registration_moves(rng, state, last_start, today))
            if state == RegistrationState.CONFIRMED:
                may_claim.append((pk, path, community_id))
        else:
            may_claim.append((pk, path, community_id))

    # Service lists: last year's (closed) and this year's (open until the year's end), per community.
    items: dict[int, list[dict]] = defaultdict(list)
    for community_id, community in communities.items():
        for start, end, n in ((last_start, date(today.year - 1, 12, 31), 3),
                              (year_start, date(today.year, 12, 31), 5)):
            for title, category, description in rng.sample(ITEMS, n):
                items[community_id].append({"id": rows.items.new_id(), "community_id": community_id,
                                            "community_path": community.path, "title": title,
                                            "category": category, "capacity": 0, "claimed": 0,
                                            "starts_on": start, "ends_on": end, "description": description,
                                            "created_by_id": staff.get(community_id), "created_at": _at(start, 8)})

    # Claims, records, confirmations; then the pledges.
    for pk, path, community_id in may_claim:
        story = pk == login
        if not story and rng.random() >= SERVE_SHARE:
            continue
        offered = items[community_id]
        this_year = [i for i in offered if i["starts_on"] == year_start]
        last_year = [i for i in offered if i["starts_on"] == last_start]
        if story:
            plan = [(this_year[0], ClaimState.CONFIRMED), (this_year[1], ClaimState.RECORDED),
                    (this_year[2], ClaimState.CLAIMED), (last_year[0], ClaimState.CONFIRMED)]
        else:
            plan = [(rng.choice(this_year), _pick(rng, CLAIM_STATES))]
            if rng.random() < 0.5:
                plan.append((rng.choice(last_year), ClaimState.CONFIRMED))
        for item, state in plan:
            claimed_on = _day_between(rng, item["starts_on"], min(item["ends_on"], today) - timedelta(days=7))
            rows.claim(item=item, member_id=pk, org_path=path, state=state, claimed_on=claimed_on, today=today,
                       rng=rng, actor_id=staff.get(community_id))
        if story or rng.random() < PLEDGE_SHARE:
            kept = [True, False] if story else [rng.random() < 0.4]
            for keep, text in zip(kept, rng.sample(PLEDGES, len(kept)), strict=True):
                made = _day_between(rng, year_start, today - timedelta(days=1))
                due = made + timedelta(days=rng.randint(30, 180))
                # Kept on a day between the pledge and today (early keeping is keeping too).
                done = _day_between(rng, made, min(due, today)) if keep else None
                rows.pledges.add({"id": rows.pledges.new_id(), "member_id": pk, "community_id": community_id,
                                  "community_path": communities[community_id].path, "org_path": path,
                                  "text": text, "due_on": due, "fulfilled_on": done,
                                  "fulfilment": rng.choice(FULFILMENTS) if done else "", "created_at": _at(made)})
    for offered in items.values():
        for item in offered:
            # Room for a few more than have claimed, as a community publishes it.
            item["capacity"] = max(item["claimed"] + rng.randint(1, 6), rng.choice([5, 10, 20]))
            rows.items.add(item)
    # Items are written after their claims: the build is one transaction and foreign keys are checked at
    # its end (Django declares them deferrable), as in party_life.py.
    counts = rows.finish()
    counts["notices"] = _notices(list(staff), login)
    log("  " + ", ".join(f"{n:,} {what}" for what, n in counts.items()))
    return counts


def _notices(community_ids: list[int], login_member: int | None) -> int:
    """The notices the services would have left: what waits at the community logins' desks, and the
    decisions on the member login's registration and records. Through the services' own notice helpers,
    in Chinese (the few rows of the demo logins only; the other communities have no accounts)."""
    from django.utils.translation import override

    from jiceng.notify.models import Notice
    from jiceng.party import dualreg_services as svc

    before = Notice.objects.count()
    with override("zh-hans"):
        for reg in (Registration.objects.filter(state=RegistrationState.REQUESTED, community_id__in=community_ids)
                    .select_related("member__person", "org", "community").order_by("requested_at", "pk")):
            svc.notify_registration_waiting(reg)
        for claim in (ServiceClaim.objects.filter(state=ClaimState.RECORDED, item__community_id__in=community_ids)
                      .select_related("member__person", "item").order_by("recorded_at", "pk")):
            svc.notify_record_waiting(claim)
        if login_member is not None:
            for reg in Registration.objects.filter(
                    member_id=login_member, state__in=[RegistrationState.CONFIRMED, RegistrationState.RETURNED]
            ).select_related("community"):
                svc.notify_registration_decided(reg)
            for claim in ServiceClaim.objects.filter(
                    member_id=login_member, state__in=[ClaimState.CONFIRMED, ClaimState.RETURNED]).select_related(
                    "item"):
                svc.notify_record_decided(claim)
    return Notice.objects.count() - before
