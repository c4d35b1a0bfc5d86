"""Every page and API endpoint of the Party app, with who may and who may not reach it.

Denied personas get 404 (out of scope, or lacking the permission, read as not found). The cases use
community A's committee: its staff and those above see it, and the department (scoped to the whole
district through its home area); the grid worker's scope is grid A1 alone, below the committee.
"""

from __future__ import annotations

from datetime import date

from django.urls import reverse

from jiceng.party.models import Member, Position, PositionTitle
from jiceng.testing import AccessCase, make_id_number

VIEWERS = ("district_admin", "subdistrict_staff", "community_a", "community_b", "grid_worker", "department")
NO_ORG_VIEW = ("member", "auditor", "sysadmin")
COMMITTEE_A_VIEWERS = ("district_admin", "subdistrict_staff", "community_a", "department")
COMMITTEE_A_DENIED = ("community_b", "grid_worker", *NO_ORG_VIEW)
A_CHANGERS = ("district_admin", "subdistrict_staff", "community_a")
A_CHANGE_DENIED = ("community_b", "grid_worker", "department", *NO_ORG_VIEW)

API = "/api/v1/party"
# Community C's resident, found by exact ID number (as a part-time member may live elsewhere).
C_RESIDENT_ID = make_id_number("19800101", 13)


def _position(d) -> Position:
    """A current post in community A's committee, for the end-a-post routes."""
    position, _ = Position.objects.get_or_create(
        org=d.orgs["a"].committee,
        person=d.a.resident,
        title=PositionTitle.DEPUTY_SECRETARY,
        defaults={"term_start": date(2024, 1, 1), "term_end": date(2029, 1, 1)},
    )
    return position


def _committee(d) -> int:
    return d.orgs["a"].committee.pk


CASES = [
    # Pages
    AccessCase(route="party:tree", url=lambda d: reverse("party:tree"), allowed=VIEWERS, denied=NO_ORG_VIEW),
    AccessCase(route="party:due", url=lambda d: reverse("party:due"), allowed=VIEWERS, denied=NO_ORG_VIEW),
    AccessCase(
        route="party:detail",
        url=lambda d: reverse("party:detail", args=[_committee(d)]),
        allowed=COMMITTEE_A_VIEWERS,
        denied=COMMITTEE_A_DENIED,
    ),
    AccessCase(
        route="party:children",
        url=lambda d: reverse("party:children", args=[_committee(d)]),
        allowed=COMMITTEE_A_VIEWERS,
        denied=COMMITTEE_A_DENIED,
    ),
    AccessCase(
        route="party:members",
        url=lambda d: reverse("party:members", args=[_committee(d)]),
        allowed=COMMITTEE_A_VIEWERS,
        denied=COMMITTEE_A_DENIED,
    ),
    AccessCase(
        route="party:create_child",
        url=lambda d: reverse("party:create_child", args=[_committee(d)]),
        allowed=A_CHANGERS,
        denied=A_CHANGE_DENIED,
    ),
    AccessCase(
        route="party:position_assign",
        url=lambda d: reverse("party:position_assign", args=[_committee(d)]),
        allowed=A_CHANGERS,
        denied=A_CHANGE_DENIED,
    ),
    AccessCase(
        route="party:edit",
        url=lambda d: reverse("party:edit", args=[_committee(d)]),
        allowed=A_CHANGERS,
        denied=A_CHANGE_DENIED,
    ),
    AccessCase(
        route="party:member_add",
        url=lambda d: reverse("party:member_add", args=[_committee(d)]),
        allowed=A_CHANGERS,
        denied=A_CHANGE_DENIED,
    ),
    AccessCase(
        route="party:position_end",
        url=lambda d: reverse("party:position_end", args=[_position(d).pk]),
        allowed=A_CHANGERS,
        denied=A_CHANGE_DENIED,
        method="post",
        data={"ended_on": "2025-01-01"},
    ),
    # API: reads
    AccessCase(route=f"api:GET {API}/orgs", url=lambda d: f"{API}/orgs", allowed=VIEWERS, denied=NO_ORG_VIEW),
    AccessCase(
        route=f"api:GET {API}/orgs/{{org_id}}",
        url=lambda d: f"{API}/orgs/{_committee(d)}",
        allowed=COMMITTEE_A_VIEWERS,
        denied=COMMITTEE_A_DENIED,
    ),
    AccessCase(
        route=f"api:GET {API}/orgs/{{org_id}}/children",
        url=lambda d: f"{API}/orgs/{_committee(d)}/children",
        allowed=COMMITTEE_A_VIEWERS,
        denied=COMMITTEE_A_DENIED,
    ),
    AccessCase(
        route=f"api:GET {API}/orgs/{{org_id}}/positions",
        url=lambda d: f"{API}/orgs/{_committee(d)}/positions",
        allowed=COMMITTEE_A_VIEWERS,
        denied=COMMITTEE_A_DENIED,
    ),
    AccessCase(
        route=f"api:GET {API}/orgs/{{org_id}}/members",
        url=lambda d: f"{API}/orgs/{_committee(d)}/members",
        allowed=COMMITTEE_A_VIEWERS,
        denied=COMMITTEE_A_DENIED,
    ),
    AccessCase(
        route=f"api:GET {API}/positions/due",
        url=lambda d: f"{API}/positions/due",
        allowed=VIEWERS,
        denied=NO_ORG_VIEW,
    ),
    # API: writes. References by code, so the payload does not depend on database ids.
    AccessCase(
        route=f"api:POST {API}/orgs",
        url=lambda d: f"{API}/orgs",
        allowed=A_CHANGERS,
        denied=A_CHANGE_DENIED,
        method="post",
        data={
            "parent_code": "P350102001001",  # community A's committee
            "kind": "branch",
            "code": "P-ACCESS",
            "name": "访问测试支部",
            "area_code": "350102001001001001",  # compound A1a
        },
    ),
    AccessCase(
        route=f"api:PATCH {API}/orgs/{{org_id}}",
        url=lambda d: f"{API}/orgs/{_committee(d)}",
        allowed=A_CHANGERS,
        denied=A_CHANGE_DENIED,
        method="patch",
        data={"founded_on": "2001-07-01"},
    ),
    AccessCase(
        route=f"api:POST {API}/orgs/{{org_id}}/positions",
        url=lambda d: f"{API}/orgs/{_committee(d)}/positions",
        allowed=A_CHANGERS,
        denied=A_CHANGE_DENIED,
        method="post",
        data={
            "id_number": C_RESIDENT_ID,
            "title": "organizer",
            "term_start": "2024-01-01",
            "term_end": "2029-01-01",
        },
    ),
    AccessCase(
        route=f"api:POST {API}/orgs/{{org_id}}/members",
        url=lambda d: f"{API}/orgs/{_committee(d)}/members",
        allowed=A_CHANGERS,
        denied=A_CHANGE_DENIED,
        method="post",
        data={"id_number": C_RESIDENT_ID, "category": "mobile", "joined_on": "2010-07-01", "full_on": "2011-07-01"},
    ),
    AccessCase(
        route=f"api:PATCH {API}/members/{{member_id}}",
        url=lambda d: f"{API}/members/{Member.objects.get(person=d.a.resident).pk}",
        allowed=A_CHANGERS,
        denied=A_CHANGE_DENIED,
        method="patch",
        data={"category": "retired"},
    ),
    AccessCase(
        route=f"api:POST {API}/positions/{{position_id}}/end",
        url=lambda d: f"{API}/positions/{_position(d).pk}/end",
        allowed=A_CHANGERS,
        denied=A_CHANGE_DENIED,
        method="post",
        data={"ended_on": "2025-01-01"},
    ),
]


# --- Party dues ------------------------------------------------------------------------------------
# Dues need org.view and people.view (the bracket comes from personal pay): the department, which sees
# only the organization tree, sees no dues. Cases use community A's branch and the member persona in it.
DUES_VIEWERS = ("district_admin", "subdistrict_staff", "community_a", "community_b", "grid_worker")
DUES_NO_VIEW = ("department", "member", "auditor", "sysadmin")
BRANCH_A_DUES_VIEWERS = ("district_admin", "subdistrict_staff", "community_a", "grid_worker")
BRANCH_A_DUES_DENIED = ("community_b", *DUES_NO_VIEW)
ALL_BUT_MEMBER = tuple(p for p in (*VIEWERS, *NO_ORG_VIEW) if p != "member")


def _dues_member(d) -> int:
    return Member.objects.get(person=d.a.resident).pk


def _dues_payment(d) -> int:
    """A live payment of the member persona, recorded directly (the route under test voids it)."""
    from jiceng.party.dues_models import DuesPayment

    payment, _ = DuesPayment.objects.get_or_create(
        member_id=_dues_member(d),
        month=date(2025, 1, 1),
        voided_at=None,
        defaults={"amount_due": "10.00", "amount_paid": "10.00", "paid_on": date(2025, 1, 5)},
    )
    return payment.pk


def _branch_a(d) -> int:
    return d.orgs["a"].branch.pk


CASES += [
    AccessCase(route="party:dues", url=lambda d: reverse("party:dues"), allowed=DUES_VIEWERS, denied=DUES_NO_VIEW),
    AccessCase(route="party:dues_me", url=lambda d: reverse("party:dues_me"), allowed=("member",),
               denied=ALL_BUT_MEMBER),
    AccessCase(
        route="party:dues_org",
        url=lambda d: reverse("party:dues_org", args=[_branch_a(d)]),
        allowed=BRANCH_A_DUES_VIEWERS,
        denied=BRANCH_A_DUES_DENIED,
    ),
    AccessCase(
        route="party:dues_member",
        url=lambda d: reverse("party:dues_member", args=[_dues_member(d)]),
        allowed=BRANCH_A_DUES_VIEWERS,
        denied=BRANCH_A_DUES_DENIED,
    ),
    AccessCase(
        route="party:dues_payment_void",
        url=lambda d: reverse("party:dues_payment_void", args=[_dues_payment(d)]),
        allowed=A_CHANGERS,
        denied=A_CHANGE_DENIED,
        method="post",
        data={"reason": "recorded twice"},
    ),
    AccessCase(route=f"api:GET {API}/dues/rollup", url=lambda d: f"{API}/dues/rollup", allowed=DUES_VIEWERS,
               denied=DUES_NO_VIEW),
    AccessCase(
        route=f"api:GET {API}/dues/orgs/{{org_id}}",
        url=lambda d: f"{API}/dues/orgs/{_branch_a(d)}",
        allowed=BRANCH_A_DUES_VIEWERS,
        denied=BRANCH_A_DUES_DENIED,
    ),
    AccessCase(
        route=f"api:GET {API}/dues/members/{{member_id}}",
        url=lambda d: f"{API}/dues/members/{_dues_member(d)}",
        allowed=BRANCH_A_DUES_VIEWERS,
        denied=BRANCH_A_DUES_DENIED,
    ),
    AccessCase(route=f"api:GET {API}/dues/me", url=lambda d: f"{API}/dues/me", allowed=("member",),
               denied=ALL_BUT_MEMBER),
    AccessCase(
        route=f"api:POST {API}/dues/members/{{member_id}}/payments",
        url=lambda d: f"{API}/dues/members/{_dues_member(d)}/payments",
        allowed=A_CHANGERS,
        denied=A_CHANGE_DENIED,
        method="post",
        data={"month": "2025-02-01", "paid_on": "2025-02-03"},  # no basis: 422 for those who may record
    ),
    AccessCase(
        route=f"api:POST {API}/dues/members/{{member_id}}/basis",
        url=lambda d: f"{API}/dues/members/{_dues_member(d)}/basis",
        allowed=A_CHANGERS,
        denied=A_CHANGE_DENIED,
        method="post",
        data={"dues_class": "student", "valid_from": "2025-01-01"},
    ),
    AccessCase(
        route=f"api:POST {API}/dues/payments/{{payment_id}}/void",
        url=lambda d: f"{API}/dues/payments/{_dues_payment(d)}/void",
        allowed=A_CHANGERS,
        denied=A_CHANGE_DENIED,
        method="post",
        data={"reason": "recorded twice"},
    ),
]


# --- Meetings and obligations ----------------------------------------------------------------------------
# Meetings are organization data (org.view); lapses name members (org.view and people.view). Writes need
# org.change over the organization; review and exemptions need it over the higher organization, which for
# community A's branch is the grid general branch, inside community A. Cases use community A's branch.
BRANCH_A_VIEWERS = ("district_admin", "subdistrict_staff", "community_a", "grid_worker", "department")
BRANCH_A_DENIED = ("community_b", *NO_ORG_VIEW)
PLANNERS = ("district_admin", "subdistrict_staff", "community_a", "community_b")
NON_PLANNERS = ("grid_worker", "department", *NO_ORG_VIEW)


def _meeting(d, state: str = "planned") -> int:
    """A meeting of community A's branch in `state`, made directly (the route under test moves it)."""
    from jiceng.party.meeting_models import Meeting

    branch = d.orgs["a"].branch
    meeting = Meeting.objects.create(
        org=branch, area_path=branch.area_path, kind="members_meeting", planned_on=date(2025, 3, 1),
        held_on=None if state == "planned" else date(2025, 3, 2), state=state,
        minutes="" if state == "planned" else "Minutes", quorum_met=state != "planned",
    )
    return meeting.pk


def _meeting_file(d) -> str:
    """A PDF kept with a meeting of community A's branch, stored directly (the route under test serves it)."""
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from jiceng.party.meeting_models import MeetingAttachment

    meeting_id = _meeting(d, "held")
    a = MeetingAttachment(meeting_id=meeting_id, name="minutes.pdf", content_type="application/pdf", size=20,
                          uploaded_at=timezone.now())
    a.file.save("minutes.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=True)
    return reverse("party:meeting_attachment", args=[meeting_id, a.pk])


CASES += [
    AccessCase(route="party:meetings", url=lambda d: reverse("party:meetings"), allowed=VIEWERS,
               denied=NO_ORG_VIEW),
    AccessCase(route="party:meeting_new", url=lambda d: reverse("party:meeting_new"), allowed=PLANNERS,
               denied=NON_PLANNERS),
    AccessCase(
        route="party:meeting_detail",
        url=lambda d: reverse("party:meeting_detail", args=[_meeting(d)]),
        allowed=BRANCH_A_VIEWERS,
        denied=BRANCH_A_DENIED,
    ),
    AccessCase(
        route="party:meeting_detail",
        url=lambda d: reverse("party:meeting_detail", args=[_meeting(d, "held")]),
        allowed=A_CHANGERS,
        denied=A_CHANGE_DENIED,
        method="post",
        data={"action": "submit"},
    ),
    AccessCase(
        route="party:meeting_detail",
        url=lambda d: reverse("party:meeting_detail", args=[_meeting(d, "submitted")]),
        allowed=A_CHANGERS,
        denied=A_CHANGE_DENIED,
        method="post",
        data={"action": "review", "decision": "send_back", "reason": "No decisions recorded"},
    ),
    # No file chosen: refused with a message, nothing kept.
    AccessCase(
        route="party:meeting_detail",
        url=lambda d: reverse("party:meeting_detail", args=[_meeting(d, "held")]),
        allowed=A_CHANGERS,
        denied=A_CHANGE_DENIED,
        method="post",
        data={"action": "attach"},
    ),
    AccessCase(route="party:meeting_attachment", url=_meeting_file, allowed=BRANCH_A_VIEWERS,
               denied=BRANCH_A_DENIED),
    AccessCase(
        route="party:meeting_compliance",
        url=lambda d: reverse("party:meeting_compliance", args=[_branch_a(d)]) + "?year=2025",
        allowed=BRANCH_A_VIEWERS,
        denied=BRANCH_A_DENIED,
    ),
    AccessCase(
        route="party:meeting_compliance",
        url=lambda d: reverse("party:meeting_compliance", args=[_branch_a(d)]),
        allowed=A_CHANGERS,
        denied=A_CHANGE_DENIED,
        method="post",
        data={"meeting_kind": "theme_day", "day": "2025-02-01", "reason": "Spring Festival"},
    ),
    AccessCase(route="party:meeting_rollup", url=lambda d: reverse("party:meeting_rollup") + "?year=2025&quarter=1",
               allowed=VIEWERS, denied=NO_ORG_VIEW),
    AccessCase(route="party:meeting_lapses", url=lambda d: reverse("party:meeting_lapses"), allowed=DUES_VIEWERS,
               denied=DUES_NO_VIEW),
    AccessCase(route=f"api:GET {API}/meetings", url=lambda d: f"{API}/meetings", allowed=VIEWERS,
               denied=NO_ORG_VIEW),
    AccessCase(
        route=f"api:POST {API}/meetings/orgs/{{org_id}}",
        url=lambda d: f"{API}/meetings/orgs/{_branch_a(d)}",
        allowed=A_CHANGERS,
        denied=A_CHANGE_DENIED,
        method="post",
        data={"kind": "theme_day", "planned_on": "2025-03-01"},
    ),
    AccessCase(route=f"api:GET {API}/meetings/rollup", url=lambda d: f"{API}/meetings/rollup?year=2025&quarter=1",
               allowed=VIEWERS, denied=NO_ORG_VIEW),
    AccessCase(route=f"api:GET {API}/meetings/lapses", url=lambda d: f"{API}/meetings/lapses",
               allowed=DUES_VIEWERS, denied=DUES_NO_VIEW),
    AccessCase(
        route=f"api:GET {API}/meetings/compliance/{{org_id}}",
        url=lambda d: f"{API}/meetings/compliance/{_branch_a(d)}?year=2025",
        allowed=BRANCH_A_VIEWERS,
        denied=BRANCH_A_DENIED,
    ),
    AccessCase(
        route=f"api:POST {API}/meetings/compliance/{{org_id}}/exemptions",
        url=lambda d: f"{API}/meetings/compliance/{_branch_a(d)}/exemptions",
        allowed=A_CHANGERS,
        denied=A_CHANGE_DENIED,
        method="post",
        data={"meeting_kind": "theme_day", "day": "2025-02-01", "reason": "Spring Festival"},
    ),
    AccessCase(
        route=f"api:GET {API}/meetings/{{meeting_id}}",
        url=lambda d: f"{API}/meetings/{_meeting(d)}",
        allowed=BRANCH_A_VIEWERS,
        denied=BRANCH_A_DENIED,
    ),
    AccessCase(
        route=f"api:POST {API}/meetings/{{meeting_id}}/held",
        url=lambda d: f"{API}/meetings/{_meeting(d)}/held",
        allowed=A_CHANGERS,
        denied=A_CHANGE_DENIED,
        method="post",
        data={"held_on": "2025-03-02", "attendance": [], "minutes": "Minutes"},
    ),
    # Without files the service refuses with 422 (field `files`): nothing is kept for the next persona.
    AccessCase(
        route=f"api:POST {API}/meetings/{{meeting_id}}/attachments",
        url=lambda d: f"{API}/meetings/{_meeting(d, 'held')}/attachments",
        allowed=A_CHANGERS,
        denied=A_CHANGE_DENIED,
        method="post",
    ),
    AccessCase(
        route=f"api:POST {API}/meetings/{{meeting_id}}/submit",
        url=lambda d: f"{API}/meetings/{_meeting(d, 'held')}/submit",
        allowed=A_CHANGERS,
        denied=A_CHANGE_DENIED,
        method="post",
    ),
    AccessCase(
        route=f"api:POST {API}/meetings/{{meeting_id}}/review",
        url=lambda d: f"{API}/meetings/{_meeting(d, 'submitted')}/review",
        allowed=A_CHANGERS,
        denied=A_CHANGE_DENIED,
        method="post",
        data={"approve": False, "reason": "No decisions recorded"},
    ),
]
