"""Access to the points, identity board and QR check-in pages, for every persona.

Points need org.view and people.view (names with points), like dues: the department, which sees only the
organization tree, sees none. Only the district administrator saves a version of the rulebook. Boards
need org.view over the building. A member's own pages (their points, their board choice) are theirs alone.
A check-in link answers any signed-in user (who holds the code was in the room); recording is the
member's own (jiceng/party/tests/test_checkin.py).
"""

from __future__ import annotations

from datetime import date

from django.urls import reverse

from jiceng.party.models import Member
from jiceng.testing import PERSONAS, AccessCase

POINTS_VIEWERS = ("district_admin", "subdistrict_staff", "community_a", "community_b", "grid_worker")
POINTS_NO_VIEW = ("department", "member", "auditor", "sysadmin")
BRANCH_A_VIEWERS = ("district_admin", "subdistrict_staff", "community_a", "grid_worker")
BRANCH_A_DENIED = ("community_b", *POINTS_NO_VIEW)
A_CHANGERS = ("district_admin", "subdistrict_staff", "community_a")
A_CHANGE_DENIED = ("community_b", "grid_worker", "department", "member", "auditor", "sysadmin")
DECIDERS = ("district_admin", "subdistrict_staff", "community_a", "community_b")
ONLY_MEMBER = ("member",)
ALL_BUT_MEMBER = tuple(p for p in PERSONAS if p != "member")
BOARD_VIEWERS = ("district_admin", "subdistrict_staff", "community_a", "community_b", "grid_worker", "department")
BUILDING_A_VIEWERS = ("district_admin", "subdistrict_staff", "community_a", "grid_worker", "department")
BUILDING_A_DENIED = ("community_b", "member", "auditor", "sysadmin")


def _others(allowed: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(p for p in PERSONAS if p not in allowed)


def _member(d) -> int:
    return Member.objects.get(person=d.a.resident).pk


def _award(d) -> int:
    """A proposed award for the member persona, made directly (the route under test decides it)."""
    from jiceng.party.points_models import PointsAward, PointsItem

    item = PointsItem.objects.filter(code="pioneer.honour").order_by("rulebook__year", "rulebook__version").first()
    member = Member.objects.get(person=d.a.resident)
    award, _ = PointsAward.objects.get_or_create(
        member=member, area_path=member.area_path, item=item, occurred_on=date(2025, 5, 1), reason="Award",
    )
    return award.pk


def _meeting(d) -> int:
    from jiceng.party.meeting_models import Meeting

    branch = d.orgs["a"].branch
    return Meeting.objects.create(org=branch, area_path=branch.area_path, kind="theme_day",
                                  planned_on=date(2025, 3, 1)).pk


def _checkin_url(d) -> str:
    from jiceng.party.checkin_services import checkin_token_make

    return reverse("party:checkin", args=[checkin_token_make(kind="meeting", object_id=_meeting(d))])


CASES = [
    AccessCase(route="party:points", url=lambda d: reverse("party:points"), allowed=POINTS_VIEWERS,
               denied=POINTS_NO_VIEW),
    AccessCase(route="party:points_me", url=lambda d: reverse("party:points_me"), allowed=ONLY_MEMBER,
               denied=ALL_BUT_MEMBER),
    AccessCase(route="party:points_member", url=lambda d: reverse("party:points_member", args=[_member(d)]),
               allowed=BRANCH_A_VIEWERS, denied=BRANCH_A_DENIED),
    AccessCase(route="party:points_member", url=lambda d: reverse("party:points_member", args=[_member(d)]),
               allowed=A_CHANGERS, denied=A_CHANGE_DENIED, method="post", data={"reason": ""}),
    AccessCase(route="party:points_awards", url=lambda d: reverse("party:points_awards"), allowed=DECIDERS,
               denied=_others(DECIDERS)),
    # Rejecting without a reason is refused with a message: the award stays for the next persona.
    AccessCase(route="party:points_award_decide", url=lambda d: reverse("party:points_award_decide", args=[_award(d)]),
               allowed=A_CHANGERS, denied=A_CHANGE_DENIED, method="post", data={"decision": "reject"}),
    AccessCase(route="party:points_rules", url=lambda d: reverse("party:points_rules"), allowed=POINTS_VIEWERS,
               denied=POINTS_NO_VIEW),
    AccessCase(route="party:points_rules", url=lambda d: reverse("party:points_rules"), allowed=("district_admin",),
               denied=_others(("district_admin",)), method="post", data={"note": ""}),
    AccessCase(route="party:boards", url=lambda d: reverse("party:boards"), allowed=BOARD_VIEWERS,
               denied=_others(BOARD_VIEWERS)),
    AccessCase(route="party:board", url=lambda d: reverse("party:board", args=[d.a.building.pk]),
               allowed=BUILDING_A_VIEWERS, denied=BUILDING_A_DENIED),
    AccessCase(route="party:board", url=lambda d: reverse("party:board", args=[d.a.compound.pk]),
               allowed=BUILDING_A_VIEWERS, denied=BUILDING_A_DENIED),
    AccessCase(route="party:board_pdf", url=lambda d: reverse("party:board_pdf", args=[d.a.building.pk]),
               allowed=BUILDING_A_VIEWERS, denied=BUILDING_A_DENIED),
    AccessCase(route="party:board_me", url=lambda d: reverse("party:board_me"), allowed=ONLY_MEMBER,
               denied=ALL_BUT_MEMBER),
    AccessCase(route="party:board_me", url=lambda d: reverse("party:board_me"), allowed=ONLY_MEMBER,
               denied=ALL_BUT_MEMBER, method="post", data={"show": "1"}),
    AccessCase(route="party:meeting_checkin", url=lambda d: reverse("party:meeting_checkin", args=[_meeting(d)]),
               allowed=A_CHANGERS, denied=A_CHANGE_DENIED),
    AccessCase(route="party:checkin", url=_checkin_url, allowed=PERSONAS, denied=()),
]


# --- the API ------------------------------------------------------------------------------------------
API = "/api/v1/party"

CASES += [
    AccessCase(route=f"api:GET {API}/points/me", url=lambda d: f"{API}/points/me", allowed=ONLY_MEMBER,
               denied=ALL_BUT_MEMBER),
    AccessCase(route=f"api:GET {API}/points/members/{{member_id}}", url=lambda d: f"{API}/points/members/{_member(d)}",
               allowed=BRANCH_A_VIEWERS, denied=BRANCH_A_DENIED),
    AccessCase(route=f"api:GET {API}/points/ranking", url=lambda d: f"{API}/points/ranking", allowed=POINTS_VIEWERS,
               denied=POINTS_NO_VIEW),
    AccessCase(route=f"api:GET {API}/points/rules", url=lambda d: f"{API}/points/rules", allowed=POINTS_VIEWERS,
               denied=POINTS_NO_VIEW),
    # A reason of spaces is refused with 422 by the service: nothing is written for the next persona.
    AccessCase(route=f"api:POST {API}/points/members/{{member_id}}/awards",
               url=lambda d: f"{API}/points/members/{_member(d)}/awards", allowed=A_CHANGERS, denied=A_CHANGE_DENIED,
               method="post", data={"item_code": "pioneer.honour", "occurred_on": "2025-05-01", "reason": " "}),
    AccessCase(route=f"api:GET {API}/points/awards", url=lambda d: f"{API}/points/awards", allowed=DECIDERS,
               denied=_others(DECIDERS)),
    AccessCase(route=f"api:POST {API}/points/awards/{{award_id}}/decide",
               url=lambda d: f"{API}/points/awards/{_award(d)}/decide", allowed=A_CHANGERS, denied=A_CHANGE_DENIED,
               method="post", data={"approve": False, "reason": ""}),
    AccessCase(route=f"api:GET {API}/boards/{{area_id}}", url=lambda d: f"{API}/boards/{d.a.building.pk}",
               allowed=BUILDING_A_VIEWERS, denied=BUILDING_A_DENIED),
    AccessCase(route=f"api:POST {API}/board/me", url=lambda d: f"{API}/board/me", allowed=ONLY_MEMBER,
               denied=ALL_BUT_MEMBER, method="post", data={"show": True}),
    # Only a Party member checks in (a bad code: 422); anyone else is refused as not found.
    AccessCase(route=f"api:POST {API}/checkin", url=lambda d: f"{API}/checkin",
               allowed=ONLY_MEMBER, denied=ALL_BUT_MEMBER, method="post", data={"token": ""}),
    AccessCase(route=f"api:GET {API}/meetings/{{meeting_id}}/checkin-code",
               url=lambda d: f"{API}/meetings/{_meeting(d)}/checkin-code", allowed=A_CHANGERS, denied=A_CHANGE_DENIED),
    # An empty item list is refused with 422 by the service: nothing is written for the next persona.
    AccessCase(route=f"api:POST {API}/points/rules", url=lambda d: f"{API}/points/rules",
               allowed=("district_admin",), denied=_others(("district_admin",)), method="post",
               data={"year": 2026, "items": []}),
]
