"""Who may open each people page and API endpoint; every other persona listed must get 404.

`d` is the `district` fixture: d.a.resident lives in community A (and is the `member` persona's
own record), so community B, the department, the auditor and the system admin must not see it.
"""

from __future__ import annotations

from django.urls import reverse

from jiceng.testing import AccessCase

API = "/api/v1/people"
VIEWERS = ("district_admin", "subdistrict_staff", "community_a", "community_b", "grid_worker")
NOT_VIEWERS = ("department", "member", "auditor", "sysadmin")
# Who may see, change and reveal the resident of community A.
A_VIEWERS = ("district_admin", "subdistrict_staff", "community_a", "grid_worker")
A_CHANGERS = ("district_admin", "subdistrict_staff", "community_a")
NOT_A_VIEWERS = ("community_b", *NOT_VIEWERS)
NOT_A_CHANGERS = ("community_b", "grid_worker", *NOT_VIEWERS)
ALL_BUT_MEMBER = (*VIEWERS, "department", "auditor", "sysadmin")
REVEAL = {"field": "phone", "reason": "access matrix check"}

CASES = [
    # --- pages ---
    AccessCase(route="people:search", url=lambda d: reverse("people:search"), allowed=VIEWERS, denied=NOT_VIEWERS),
    AccessCase(
        route="people:search",
        url=lambda d: reverse("people:search"),
        method="post",
        data={"action": "find", "phone": "13800000011"},
        allowed=VIEWERS,
        denied=NOT_VIEWERS,
    ),
    AccessCase(
        route="people:search",
        url=lambda d: reverse("people:search"),
        method="post",
        data={"action": "create", "name": "Access check"},  # no home: a form error, never a new resident
        allowed=(*A_CHANGERS, "community_b"),
        denied=("grid_worker", *NOT_VIEWERS),
    ),
    AccessCase(
        route="people:buildings",
        url=lambda d: reverse("people:buildings") + f"?community={d.a.area.pk}",
        allowed=A_CHANGERS,
        denied=NOT_A_CHANGERS,
    ),
    AccessCase(
        route="people:detail",
        url=lambda d: reverse("people:detail", args=[d.a.resident.pk]),
        allowed=A_VIEWERS,
        denied=NOT_A_VIEWERS,
    ),
    AccessCase(
        route="people:detail",
        url=lambda d: reverse("people:detail", args=[d.a.resident.pk]),
        method="post",
        data=REVEAL,
        allowed=A_CHANGERS,
        denied=NOT_A_CHANGERS,
    ),
    AccessCase(
        route="people:edit",
        url=lambda d: reverse("people:edit", args=[d.a.resident.pk]),
        allowed=A_CHANGERS,
        denied=NOT_A_CHANGERS,
    ),
    AccessCase(route="people:me", url=lambda d: reverse("people:me"), allowed=("member",), denied=ALL_BUT_MEMBER),
    # --- API ---
    AccessCase(
        route="api:POST /api/v1/people/search",
        url=lambda d: f"{API}/search",
        method="post",
        data={"phone": "13800000011"},
        allowed=VIEWERS,
        denied=NOT_VIEWERS,
    ),
    AccessCase(
        route="api:GET /api/v1/people/{person_id}",
        url=lambda d: f"{API}/{d.a.resident.pk}",
        allowed=A_VIEWERS,
        denied=NOT_A_VIEWERS,
    ),
    AccessCase(
        route="api:POST /api/v1/people/",
        url=lambda d: f"{API}/",
        method="post",
        data={"name": "Access check"},  # no home: 422 for those who may create, 404 for the rest
        allowed=(*A_CHANGERS, "community_b"),
        denied=("grid_worker", *NOT_VIEWERS),
    ),
    AccessCase(
        route="api:PATCH /api/v1/people/{person_id}",
        url=lambda d: f"{API}/{d.a.resident.pk}",
        method="patch",
        data={"room": "101"},
        allowed=A_CHANGERS,
        denied=NOT_A_CHANGERS,
    ),
    AccessCase(
        route="api:POST /api/v1/people/{person_id}/reveal",
        url=lambda d: f"{API}/{d.a.resident.pk}/reveal",
        method="post",
        data=REVEAL,
        allowed=A_CHANGERS,
        denied=NOT_A_CHANGERS,
    ),
    AccessCase(
        route="api:GET /api/v1/people/me", url=lambda d: f"{API}/me", allowed=("member",), denied=ALL_BUT_MEMBER
    ),
]
