"""The metrics pages and API: everyone with org.view reads the figures of their own scope (a department
handler those of its unit's cases); exports need data.export; an area outside the scope is 404
(community B asking for community A's figures). Members, auditors and system administrators: 404."""

from __future__ import annotations

from django.urls import reverse

from jiceng.testing import AccessCase

READERS = ("district_admin", "subdistrict_staff", "community_a", "community_b", "grid_worker", "department")
NO_READ = ("member", "auditor", "sysadmin")
EXPORTERS = ("district_admin", "subdistrict_staff", "community_a", "community_b")
NO_EXPORT = ("grid_worker", "department", *NO_READ)
# Community A's figures: its own staff and those above; not community B, not the department (whose
# scope is the subdistrict it serves, so it may drill into A: it sees only its unit's cases there).
SEE_A = ("district_admin", "subdistrict_staff", "community_a", "department")
NOT_A = ("community_b", "grid_worker", *NO_READ)
API = "/api/v1/cases"

CASES = [
    AccessCase(route="cases:metrics", url=lambda d: reverse("cases:metrics"), allowed=READERS, denied=NO_READ),
    AccessCase(route="cases:metrics", url=lambda d: reverse("cases:metrics") + f"?area={d.a.area.pk}",
               allowed=SEE_A, denied=NOT_A),
    AccessCase(route="cases:metrics", url=lambda d: reverse("cases:metrics") + "?format=xlsx&table=area",
               allowed=EXPORTERS, denied=NO_EXPORT),
    AccessCase(route="cases:metrics_topics", url=lambda d: reverse("cases:metrics_topics") + "?month=2026-11",
               allowed=READERS, denied=NO_READ),
    AccessCase(route="cases:metrics_topics",
               url=lambda d: reverse("cases:metrics_topics") + f"?month=2026-11&area={d.a.area.pk}",
               allowed=SEE_A, denied=NOT_A),
    AccessCase(route="cases:metrics_topics", url=lambda d: reverse("cases:metrics_topics") + "?format=xlsx",
               allowed=EXPORTERS, denied=NO_EXPORT),
    AccessCase(route=f"api:GET {API}/metrics", url=lambda d: f"{API}/metrics?period=year&value=2026",
               allowed=READERS, denied=NO_READ),
    AccessCase(route=f"api:GET {API}/metrics", url=lambda d: f"{API}/metrics?area={d.a.area.pk}",
               allowed=SEE_A, denied=NOT_A),
    AccessCase(route=f"api:GET {API}/metrics/topics", url=lambda d: f"{API}/metrics/topics?month=2026-11",
               allowed=READERS, denied=NO_READ),
]
