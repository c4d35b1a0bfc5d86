"""Every page of the data exchange, with who may open it and who must get 404."""

from django.urls import reverse

from jiceng.testing import AccessCase

STAFF = ("district_admin", "subdistrict_staff", "community_a", "community_b")
OTHERS = ("grid_worker", "department", "member", "auditor", "sysadmin")

CASES = [
    AccessCase(route="core:import", url=lambda d: reverse("core:import"), allowed=STAFF, denied=OTHERS),
    AccessCase(
        route="core:import",
        url=lambda d: reverse("core:import"),
        method="post",
        data={"kind": "areas"},
        allowed=STAFF,
        denied=OTHERS,
    ),
    AccessCase(route="core:export", url=lambda d: reverse("core:export", args=["areas"]), allowed=STAFF, denied=OTHERS),
    AccessCase(
        route="core:export", url=lambda d: reverse("core:export", args=["units"]), allowed=STAFF, denied=OTHERS
    ),
    AccessCase(
        route="core:template", url=lambda d: reverse("core:template", args=["party_orgs"]), allowed=STAFF, denied=OTHERS
    ),
]
