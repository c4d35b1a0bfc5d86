"""Every page and API endpoint of the units app, with who may and who may not reach it.

Denied personas get 404 (out of scope, or lacking the permission, read as not found). The cases use
A's property company (registered in compound A1a): A's staff and those above, A's grid worker and the
department (scoped to the whole district through its home area) see it; community B does not.
"""

from __future__ import annotations

from datetime import date

from django.urls import reverse

from jiceng.testing import AccessCase, make_id_number
from jiceng.units.models import UnitRole

VIEWERS = ("district_admin", "subdistrict_staff", "community_a", "community_b", "grid_worker", "department")
NO_ORG_VIEW = ("member", "auditor", "sysadmin")
A_VIEWERS = ("district_admin", "subdistrict_staff", "community_a", "grid_worker", "department")
A_DENIED = ("community_b", *NO_ORG_VIEW)
A_CHANGERS = ("district_admin", "subdistrict_staff", "community_a")
A_CHANGE_DENIED = ("community_b", "grid_worker", "department", *NO_ORG_VIEW)
# Registering a unit: anyone with org.change (in their own area); the others are denied.
CREATORS = ("district_admin", "subdistrict_staff", "community_a", "community_b")
CREATE_DENIED = ("grid_worker", "department", *NO_ORG_VIEW)

API = "/api/v1/units"


def _role(d) -> UnitRole:
    """A current post in A's property company, for the end-a-post route."""
    role, _ = UnitRole.objects.get_or_create(
        unit=d.property_company, person=d.a.resident, title="经理", defaults={"started_on": date(2024, 1, 1)}
    )
    return role


def _unit(d) -> int:
    return d.property_company.pk


CASES = [
    # Pages
    AccessCase(route="units:list", url=lambda d: reverse("units:list"), allowed=VIEWERS, denied=NO_ORG_VIEW),
    AccessCase(
        route="units:detail",
        url=lambda d: reverse("units:detail", args=[_unit(d)]),
        allowed=A_VIEWERS,
        denied=A_DENIED,
    ),
    AccessCase(route="units:create", url=lambda d: reverse("units:create"), allowed=CREATORS, denied=CREATE_DENIED),
    AccessCase(
        route="units:edit",
        url=lambda d: reverse("units:edit", args=[_unit(d)]),
        allowed=A_CHANGERS,
        denied=A_CHANGE_DENIED,
    ),
    AccessCase(
        route="units:contact_add",
        url=lambda d: reverse("units:contact_add", args=[_unit(d)]),
        allowed=A_CHANGERS,
        denied=A_CHANGE_DENIED,
    ),
    AccessCase(
        route="units:role_assign",
        url=lambda d: reverse("units:role_assign", args=[_unit(d)]),
        allowed=A_CHANGERS,
        denied=A_CHANGE_DENIED,
    ),
    AccessCase(
        route="units:role_end",
        url=lambda d: reverse("units:role_end", args=[_role(d).pk]),
        allowed=A_CHANGERS,
        denied=A_CHANGE_DENIED,
        method="post",
        data={"ended_on": "2025-01-01"},
    ),
    # API: reads
    AccessCase(route=f"api:GET {API}", url=lambda d: API, allowed=VIEWERS, denied=NO_ORG_VIEW),
    AccessCase(
        route=f"api:GET {API}/{{unit_id}}",
        url=lambda d: f"{API}/{_unit(d)}",
        allowed=A_VIEWERS,
        denied=A_DENIED,
    ),
    AccessCase(
        route=f"api:GET {API}/{{unit_id}}/contacts",
        url=lambda d: f"{API}/{_unit(d)}/contacts",
        allowed=A_VIEWERS,
        denied=A_DENIED,
    ),
    # API: writes. The new unit's home is community A, so community B is denied (out of scope: 404).
    AccessCase(
        route=f"api:POST {API}",
        url=lambda d: API,
        allowed=A_CHANGERS,
        denied=A_CHANGE_DENIED,
        method="post",
        data={"kind": "resident_unit", "name": "访问测试单位", "code": "U-ACCESS", "home_area_code": "350102001001"},
    ),
    AccessCase(
        route=f"api:PATCH {API}/{{unit_id}}",
        url=lambda d: f"{API}/{_unit(d)}",
        allowed=A_CHANGERS,
        denied=A_CHANGE_DENIED,
        method="patch",
        data={"address": "鼓东路1号"},
    ),
    AccessCase(
        route=f"api:POST {API}/{{unit_id}}/contacts",
        url=lambda d: f"{API}/{_unit(d)}/contacts",
        allowed=A_CHANGERS,
        denied=A_CHANGE_DENIED,
        method="post",
        data={"name": "访问测试", "title": "经理", "phone": "13900001234"},
    ),
    AccessCase(
        route=f"api:POST {API}/{{unit_id}}/posts",
        url=lambda d: f"{API}/{_unit(d)}/posts",
        allowed=A_CHANGERS,
        denied=A_CHANGE_DENIED,
        method="post",
        data={"id_number": make_id_number("19800101", 11), "title": "经理"},
    ),
]
