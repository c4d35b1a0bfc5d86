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


# --- cases ---------------------------------------------------------------------------------------
# A case placed in community A's grid: the subdistrict, community A and the grid worker see it;
# community B does not; the department sees only cases dispatched to its unit.

CASE_CATEGORY_ID = 9101
AREA_STAFF = ("district_admin", "subdistrict_staff", "community_a", "community_b")
REPORTERS = (*AREA_STAFF, "grid_worker")
A_VIEWERS = ("district_admin", "subdistrict_staff", "community_a", "grid_worker")
NOT_A = ("community_b", "department", *NO_READ)
DISPATCHERS = ("district_admin", "subdistrict_staff", "community_a")


def case_category(d) -> int:
    from jiceng.cases.models import DispatchCatalogue

    c = Category.objects.filter(pk=CASE_CATEGORY_ID).first()
    if c is None:
        c = Category.objects.add_root({"pk": CASE_CATEGORY_ID, "code": "T91", "name": "路灯损坏",
                                       "case_class": "component", "urgency_levels": ["normal"]})
        c.limits.create(stage="handle", urgency="normal", amount=2, unit="working_days")
        DispatchCatalogue.objects.create(category=c, area=d.s1, unit=d.department)
    return c.pk


def a_case(d, *, to_department: bool = False) -> str:
    """A new case in community A (reported by community A's worker), optionally dispatched to the department."""
    from jiceng.accounts.models import User
    from jiceng.cases import case_services

    actor = User.objects.get(username="p_community_a")
    category = Category.objects.get(pk=case_category(d))
    case = case_services.case_report(actor=actor, channel="staff", category=category, description="路灯不亮",
                                     lat=26.085, lng=119.305)
    if to_department:
        case = case_services.case_dispatch(actor=actor, case=case, unit=d.department, expected_version=1)
    return case.number


def catalogue_entry(d) -> int:
    from jiceng.cases.models import DispatchCatalogue

    case_category(d)
    return DispatchCatalogue.objects.get(category_id=CASE_CATEGORY_ID).pk


CASES += [
    # Pages
    AccessCase(route="cases:inbox", url=lambda d: reverse("cases:inbox"), allowed=READERS, denied=NO_READ),
    AccessCase(route="cases:inbox", url=lambda d: reverse("cases:inbox") + "?format=xlsx",
               allowed=EXPORTERS, denied=NO_EXPORT),
    AccessCase(route="cases:case_new", url=lambda d: reverse("cases:case_new"), allowed=REPORTERS,
               denied=("department", *NO_READ)),
    AccessCase(route="cases:case_bulk_dispatch", url=lambda d: (a_case(d), reverse("cases:case_bulk_dispatch"))[1],
               method="post", data={"unit_id": "0"}, allowed=AREA_STAFF,
               denied=("grid_worker", "department", *NO_READ)),
    AccessCase(route="cases:catalogue", url=lambda d: reverse("cases:catalogue"), allowed=REPORTERS,
               denied=("department", *NO_READ)),
    AccessCase(route="cases:catalogue", url=lambda d: reverse("cases:catalogue"), method="post",
               data={"category": "0"}, allowed=EDITORS, denied=NO_EDIT),
    AccessCase(route="cases:catalogue_delete",
               url=lambda d: reverse("cases:catalogue_delete", args=[catalogue_entry(d)]), method="post",
               allowed=EDITORS, denied=NO_EDIT),
    AccessCase(route="cases:case", url=lambda d: reverse("cases:case", args=[a_case(d)]), allowed=A_VIEWERS,
               denied=NOT_A),
    AccessCase(route="cases:case", url=lambda d: reverse("cases:case", args=[a_case(d, to_department=True)]),
               allowed=(*A_VIEWERS, "department"), denied=("community_b", *NO_READ)),
    AccessCase(route="cases:case_act", url=lambda d: reverse("cases:case_act", args=[a_case(d), "dispatch"]),
               method="post", data={"version": "1", "unit_id": ""}, allowed=DISPATCHERS,
               denied=("community_b", "grid_worker", "department", *NO_READ)),
    AccessCase(route="cases:case_act",
               url=lambda d: reverse("cases:case_act", args=[a_case(d, to_department=True), "accept"]),
               method="post", data={"version": "2"}, allowed=("department",),
               denied=(*A_VIEWERS, "community_b", *NO_READ)),
    # API
    AccessCase(route=f"api:POST {API}/reports", url=lambda d: (case_category(d), f"{API}/reports")[1],
               method="post", data={"category_id": CASE_CATEGORY_ID, "description": "路灯不亮", "lat": 26.085,
                                    "lng": 119.305},
               allowed=REPORTERS, denied=("department", *NO_READ)),
    AccessCase(route=f"api:GET {API}/items", url=lambda d: f"{API}/items", allowed=READERS, denied=NO_READ),
    AccessCase(route=f"api:GET {API}/items/{{number}}", url=lambda d: f"{API}/items/{a_case(d)}",
               allowed=A_VIEWERS, denied=NOT_A),
    AccessCase(route=f"api:GET {API}/items/{{number}}", url=lambda d: f"{API}/items/{a_case(d, to_department=True)}",
               allowed=(*A_VIEWERS, "department"), denied=("community_b", *NO_READ)),
    AccessCase(route=f"api:POST {API}/items/{{number}}/{{action}}",
               url=lambda d: f"{API}/items/{a_case(d)}/dispatch", method="post",
               data={"expected_version": 1, "unit_id": None}, allowed=DISPATCHERS,
               denied=("community_b", "grid_worker", "department", *NO_READ)),
    AccessCase(route=f"api:POST {API}/items/{{number}}/{{action}}",
               url=lambda d: f"{API}/items/{a_case(d, to_department=True)}/accept", method="post",
               data={"expected_version": 2}, allowed=("department",), denied=(*A_VIEWERS, "community_b", *NO_READ)),
    # The multipart handling report: only the unit the case is dispatched to (a 409 for its stale version).
    AccessCase(route=f"api:POST {API}/items/{{number}}/handle/photos",
               url=lambda d: f"{API}/items/{a_case(d, to_department=True)}/handle/photos", method="post",
               allowed=("department",), denied=(*A_VIEWERS, "community_b", *NO_READ)),
    AccessCase(route=f"api:GET {API}/catalogue", url=lambda d: f"{API}/catalogue", allowed=REPORTERS,
               denied=("department", *NO_READ)),
    AccessCase(route=f"api:POST {API}/catalogue", url=lambda d: f"{API}/catalogue", method="post",
               data={"category_id": CASE_CATEGORY_ID, "area_id": 0, "unit_id": 0}, allowed=EDITORS, denied=NO_EDIT),
    AccessCase(route=f"api:DELETE {API}/catalogue/{{entry_id}}",
               url=lambda d: f"{API}/catalogue/{catalogue_entry(d)}", method="delete", allowed=EDITORS,
               denied=NO_EDIT),
]
