"""Every page and API endpoint of the case taxonomy and calendar, with who may and who may not reach it.

The taxonomy is district-wide reference data: every persona with org.view reads it (all staff,
grid workers and department handlers); only the district administrator changes it. The member, the
auditor and the system administrator read nothing of it (404).
"""

from __future__ import annotations

from datetime import date

from django.urls import reverse

from jiceng.cases.models import CalendarOverride, Category
from jiceng.testing import AccessCase

READERS = ("district_admin", "subdistrict_staff", "community_a", "community_b", "grid_worker", "department")
NO_READ = ("member", "auditor", "sysadmin")
EDITORS = ("district_admin",)
NO_EDIT = ("subdistrict_staff", "community_a", "community_b", "grid_worker", "department", *NO_READ)
# Exporting needs data.export as well as org.view: grid workers and department handlers lack it.
EXPORTERS = ("district_admin", "subdistrict_staff", "community_a", "community_b")
NO_EXPORT = ("grid_worker", "department", *NO_READ)

API = "/api/v1/cases"
# A fixed id lets the static request bodies below name the category.
CATEGORY_ID = 9001


def category(d) -> int:
    c = Category.objects.filter(pk=CATEGORY_ID).first()
    if c is None:
        c = Category.objects.add_root({"pk": CATEGORY_ID, "code": "T01", "name": "占道经营", "case_class": "event",
                                      "urgency_levels": ["normal", "urgent"], "unit_kind": "department"})
        c.limits.create(stage="handle", urgency="normal", amount=2, unit="working_days")
    return c.pk


def override(d) -> str:
    CalendarOverride.objects.get_or_create(date=date(2026, 12, 31), defaults={"is_working_day": False})
    return "2026-12-31"


CASES = [
    # Pages
    AccessCase(route="cases:taxonomy", url=lambda d: reverse("cases:taxonomy"), allowed=READERS, denied=NO_READ),
    AccessCase(route="cases:taxonomy", url=lambda d: reverse("cases:taxonomy") + "?format=xlsx",
               allowed=EXPORTERS, denied=NO_EXPORT),
    AccessCase(route="cases:category", url=lambda d: reverse("cases:category", args=[category(d)]),
               allowed=READERS, denied=NO_READ),
    AccessCase(route="cases:category_edit", url=lambda d: reverse("cases:category_edit", args=[category(d)]),
               allowed=EDITORS, denied=NO_EDIT),
    AccessCase(route="cases:taxonomy_import", url=lambda d: reverse("cases:taxonomy_import"),
               allowed=EDITORS, denied=NO_EDIT),
    AccessCase(route="cases:calendar", url=lambda d: reverse("cases:calendar") + "?year=2025",
               allowed=READERS, denied=NO_READ),
    AccessCase(route="cases:override_add", url=lambda d: reverse("cases:override_add"), method="post",
               data={"date": "2026-12-30", "is_working_day": "0", "note": "test"},
               allowed=EDITORS, denied=NO_EDIT),
    AccessCase(route="cases:override_delete", url=lambda d: reverse("cases:override_delete", args=[override(d)]),
               method="post", allowed=EDITORS, denied=NO_EDIT),
    # API
    AccessCase(route=f"api:GET {API}/categories", url=lambda d: f"{API}/categories", allowed=READERS,
               denied=NO_READ),
    AccessCase(route=f"api:GET {API}/categories/{{category_id}}", url=lambda d: f"{API}/categories/{category(d)}",
               allowed=READERS, denied=NO_READ),
    AccessCase(route=f"api:PATCH {API}/categories/{{category_id}}",
               url=lambda d: f"{API}/categories/{category(d)}", method="patch", data={"name": "占道经营（改）"},
               allowed=EDITORS, denied=NO_EDIT),
    AccessCase(route=f"api:POST {API}/deadline", url=lambda d: (category(d), f"{API}/deadline")[1], method="post",
               data={"start": "2025-09-30T16:00:00+08:00", "category_id": CATEGORY_ID, "stage": "handle"},
               allowed=READERS, denied=NO_READ),
    AccessCase(route=f"api:GET {API}/calendar/{{int:year}}", url=lambda d: f"{API}/calendar/2025", allowed=READERS,
               denied=NO_READ),
    AccessCase(route=f"api:POST {API}/calendar/overrides", url=lambda d: f"{API}/calendar/overrides",
               method="post", data={"date": "2026-12-30", "is_working_day": False},
               allowed=EDITORS, denied=NO_EDIT),
    AccessCase(route=f"api:DELETE {API}/calendar/overrides/{{day}}",
               url=lambda d: f"{API}/calendar/overrides/{override(d)}", method="delete",
               allowed=EDITORS, denied=NO_EDIT),
]
