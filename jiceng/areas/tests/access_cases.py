"""Every page and API endpoint of the areas app, with who may and who may not reach it.

Denied personas get 404 (out of scope, or lacking the permission, read as not found)."""

from __future__ import annotations

from django.urls import reverse

from jiceng.testing import AccessCase

VIEWERS = ("district_admin", "subdistrict_staff", "community_a", "community_b", "grid_worker", "department")
NO_ORG_VIEW = ("member", "auditor", "sysadmin")
# Community A's objects: its own staff, those above, its grid worker, the department serving S1.
A_VIEWERS = ("district_admin", "subdistrict_staff", "community_a", "grid_worker", "department")
A_DENIED = ("community_b", *NO_ORG_VIEW)
# Changing community A's areas: staff with org.change over it.
A_CHANGERS = ("district_admin", "subdistrict_staff", "community_a")
A_CHANGE_DENIED = ("community_b", "grid_worker", "department", *NO_ORG_VIEW)
# Community A itself (not only its grid): the grid worker's scope is grid A1 alone.
COMMUNITY_A_VIEWERS = ("district_admin", "subdistrict_staff", "community_a", "department")
COMMUNITY_A_DENIED = ("community_b", "grid_worker", *NO_ORG_VIEW)

API = "/api/v1/areas"

CASES = [
    # Pages
    AccessCase(route="areas:tree", url=lambda d: reverse("areas:tree"), allowed=VIEWERS, denied=NO_ORG_VIEW),
    AccessCase(route="areas:map", url=lambda d: reverse("areas:map"), allowed=VIEWERS, denied=NO_ORG_VIEW),
    AccessCase(
        route="areas:detail",
        url=lambda d: reverse("areas:detail", args=[d.a.grid.pk]),
        allowed=A_VIEWERS,
        denied=A_DENIED,
    ),
    AccessCase(
        route="areas:children",
        url=lambda d: reverse("areas:children", args=[d.a.grid.pk]),
        allowed=A_VIEWERS,
        denied=A_DENIED,
    ),
    AccessCase(
        route="areas:edit",
        url=lambda d: reverse("areas:edit", args=[d.a.grid.pk]),
        allowed=A_CHANGERS,
        denied=A_CHANGE_DENIED,
    ),
    # The building has a resident, so an allowed delete is refused with a message (a redirect),
    # and the case can run for every persona against the same district.
    AccessCase(
        route="areas:delete",
        url=lambda d: reverse("areas:delete", args=[d.a.building.pk]),
        allowed=A_CHANGERS,
        denied=A_CHANGE_DENIED,
        method="post",
    ),
    # API
    AccessCase(
        route=f"api:GET {API}/",
        url=lambda d: f"{API}/?parent={d.a.area.pk}",
        allowed=COMMUNITY_A_VIEWERS,
        denied=COMMUNITY_A_DENIED,
    ),
    AccessCase(
        route=f"api:GET {API}/geojson",
        url=lambda d: f"{API}/geojson?parent={d.a.area.pk}&kind=grid",
        allowed=COMMUNITY_A_VIEWERS,
        denied=COMMUNITY_A_DENIED,
    ),
    AccessCase(
        route=f"api:GET {API}/locate",
        url=lambda d: f"{API}/locate?lat=26.085&lng=119.305&crs=wgs84",
        allowed=A_VIEWERS,
        denied=A_DENIED,
    ),
    AccessCase(
        route=f"api:GET {API}/{{area_id}}",
        url=lambda d: f"{API}/{d.a.grid.pk}",
        allowed=A_VIEWERS,
        denied=A_DENIED,
    ),
    AccessCase(
        route=f"api:GET {API}/{{area_id}}/children",
        url=lambda d: f"{API}/{d.a.grid.pk}/children",
        allowed=A_VIEWERS,
        denied=A_DENIED,
    ),
    AccessCase(
        route=f"api:PATCH {API}/{{area_id}}",
        url=lambda d: f"{API}/{d.a.grid.pk}",
        allowed=A_CHANGERS,
        denied=A_CHANGE_DENIED,
        method="patch",
        data={"population": 1234},
    ),
]
