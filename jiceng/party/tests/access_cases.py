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
