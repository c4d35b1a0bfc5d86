"""This year's Party life for the demo district: the meetings the rulebook asks of every organization,
held most of the time (about one period in ten is missed, so the compliance calendar has something to
show), with attendance of the organization's members and the quorum fixed as meeting_services does.

Meetings before this month are approved, this month's are held and submitted; nothing is planned in
the future. Rows go in with plain executemany (FastInserter), like the rest of the demo.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable
from datetime import date, timedelta

from django.utils import timezone

from jiceng.party.meeting_models import Meeting, MeetingAttendance, MeetingKind, MeetingState, QuorumRule
from jiceng.party.meeting_selectors import Rulebook, periods_of_year
from jiceng.party.models import Member, MemberStatus, PartyOrg

from .bulk import FastInserter

MISS_SHARE = 0.1
PRESENT_SHARE = 0.85
ABSENCE_REASONS = ["出差", "生病住院", "工作冲突", "外出探亲"]
TOPICS = {
    MeetingKind.THEME_DAY: ["学习贯彻党的二十届四中全会精神", "走访慰问困难党员群众", "社区环境整治志愿服务"],
    MeetingKind.COMMITTEE_MEETING: ["研究本月党建工作安排", "讨论发展党员工作", "研究网格治理重点问题"],
    MeetingKind.MEMBERS_MEETING: ["通报季度工作，讨论年度计划", "讨论接收预备党员"],
    MeetingKind.PARTY_LESSON: ["书记讲党课：党建引领基层治理", "学习《中国共产党支部工作条例》"],
    MeetingKind.GROUP_MEETING: ["学习近期重要文件，交流楼栋情况"],
    MeetingKind.LIFE_MEETING: ["年度组织生活会，开展批评与自我批评"],
    MeetingKind.MEMBER_APPRAISAL: ["年度民主评议党员"],
}


def build_party_life(*, seed: int = 20141101, today: date | None = None,
                     log: Callable[[str], None] = lambda s: None) -> int:
    """Insert this year's meetings up to `today` with attendance; returns the number of meetings."""
    rng = random.Random(seed + 7)
    today = today or timezone.localdate()
    rules = Rulebook()
    members: dict[int, list[tuple[int, bool]]] = defaultdict(list)
    for member_id, org_id, status in Member.objects.values_list("id", "org_id", "status"):
        members[org_id].append((member_id, status == MemberStatus.FULL))
    committee: dict[int, int] = defaultdict(int)
    for org_id in PartyOrg.objects.filter(positions__ended_on__isnull=True).values_list("id", flat=True):
        committee[org_id] += 1
    meetings = FastInserter(Meeting)
    attendance = FastInserter(MeetingAttendance)
    now = timezone.now()
    month_start = today.replace(day=1)
    for org in PartyOrg.objects.only("id", "kind", "area_path").order_by("path"):
        for kind in rules.kinds_for(org.kind):
            rule = rules.in_force(org.kind, kind, today)
            if rule is None or rule.count == 0:
                continue
            for span in periods_of_year(rule.period, today.year):
                if span.start > today or rng.random() < MISS_SHARE:
                    continue
                last = min(span.end, today)
                held = span.start + timedelta(days=rng.randint(0, (last - span.start).days))
                roll = members.get(org.pk, [])
                present = [(m, voting) for m, voting in roll if rng.random() < PRESENT_SHARE]
                if rule.quorum == QuorumRule.VOTING_MAJORITY:
                    base, counted = sum(v for _m, v in roll), sum(v for _m, v in present)
                elif rule.quorum == QuorumRule.COMMITTEE_MAJORITY:
                    base = committee.get(org.pk, 0)
                    counted = sum(rng.random() < 0.9 for _ in range(base))
                else:
                    base = counted = 0
                meeting_id = meetings.new_id()
                meetings.add({
                    "id": meeting_id, "org_id": org.pk, "area_path": org.area_path, "kind": kind,
                    "title": rng.choice(TOPICS.get(kind, [""])), "planned_on": held, "held_on": held,
                    "topics": "", "minutes": "会议按程序进行，记录人整理纪要。", "decisions": "",
                    "state": MeetingState.APPROVED if held < month_start else MeetingState.SUBMITTED,
                    "quorum_rule": rule.quorum, "quorum_base": base, "quorum_present": counted,
                    "quorum_met": rule.quorum == QuorumRule.NONE or counted * 2 > base,
                    "review_reason": "", "created_at": now, "updated_at": now,
                })
                here = {m for m, _v in present}
                for member_id, voting in roll:
                    attendance.add({"id": attendance.new_id(), "meeting_id": meeting_id, "member_id": member_id,
                                    "present": member_id in here, "voting": voting,
                                    "absence_reason": "" if member_id in here else rng.choice(ABSENCE_REASONS)})
    meetings.finish()
    attendance.finish()
    log(f"  {meetings.count:,} meetings, {attendance.count:,} attendance records")
    return meetings.count
