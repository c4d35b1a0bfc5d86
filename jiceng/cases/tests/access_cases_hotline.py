"""Who may reach the 12345 hotline pages and API, and the duplicates and merge routes.

Reporters (staff and grid workers) receive hotline work orders; department handlers, members, the
auditor and the system administrator do not (404). Duplicates and merges are the area staff's."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from jiceng.testing import AccessCase

REPORTERS = ("district_admin", "subdistrict_staff", "community_a", "community_b", "grid_worker")
NOT_REPORTERS = ("department", "member", "auditor", "sysadmin")
# Duplicates and merges: staff who dispatch, on cases in their area (the case is in community A).
MERGERS_A = ("district_admin", "subdistrict_staff", "community_a")
NOT_MERGERS_A = ("community_b", "grid_worker", "department", "member", "auditor", "sysadmin")
STAFF = ("district_admin", "subdistrict_staff", "community_a", "community_b")
NOT_STAFF = ("grid_worker", "department", "member", "auditor", "sysadmin")
API = "/api/v1/cases"


def _case(d) -> str:
    """A registered case in community A's grid, made on first use."""
    from jiceng.cases.models import Case, Category

    cat = Category.objects.filter(code="HL01").first() or Category.objects.add_root({"code": "HL01", "name": "路灯"})
    case = Case.objects.filter(number="GL2026120100001").first() or Case.objects.create(
        number="GL2026120100001", channel="hotline_12345", category=cat, title="路灯不亮", description="路灯不亮",
        state="registered", created_at=timezone.now(), area_path=d.a.grid.path, grid=d.a.grid,
        community=d.a.area, subdistrict=d.s1, district=d.district, lat=26.085, lng=119.305)
    if not case.events.exists():
        case.events.create(seq=1, at=case.created_at, transition="report", to_state="registered")
    return case.number


CASES = [
    AccessCase(route=f"api:POST {API}/hotline/orders", url=lambda d: f"{API}/hotline/orders", method="post",
               data={"ticket": "ACC-1", "received_at": "2026-11-30T09:15:00+08:00", "request_type": "complaint",
                     "description": "路灯不亮"},
               allowed=REPORTERS, denied=NOT_REPORTERS),
    AccessCase(route=f"api:GET {API}/duplicates/{{number}}", url=lambda d: f"{API}/duplicates/{_case(d)}",
               allowed=MERGERS_A, denied=NOT_MERGERS_A),
    AccessCase(route=f"api:POST {API}/duplicates", url=lambda d: f"{API}/duplicates", method="post",
               data={"category_id": 999999, "description": "路灯不亮"}, allowed=STAFF, denied=NOT_STAFF),
    # The target does not exist: allowed personas get 422 and nothing is merged, so each one is judged.
    AccessCase(route=f"api:POST {API}/merges", url=lambda d: (_case(d), f"{API}/merges")[1], method="post",
               data={"case": "GL2026120100001", "into": "GL2026120199999", "expected_version": 1},
               allowed=MERGERS_A, denied=NOT_MERGERS_A),
]

CASES += [
    AccessCase(route="cases:hotline_import", url=lambda d: reverse("cases:hotline_import"),
               allowed=REPORTERS, denied=NOT_REPORTERS),
    AccessCase(route="cases:duplicates", url=lambda d: reverse("cases:duplicates"), allowed=STAFF, denied=NOT_STAFF),
    # The panel is the case's: whoever may see the case sees who was merged into it (grid worker included).
    AccessCase(route="cases:duplicates_panel", url=lambda d: reverse("cases:duplicates_panel", args=[_case(d)]),
               allowed=("district_admin", "subdistrict_staff", "community_a", "grid_worker"),
               denied=("community_b", "department", "member", "auditor", "sysadmin")),
    # No target given: allowed personas are sent back to the case with a message, nothing is merged.
    AccessCase(route="cases:case_merge", url=lambda d: reverse("cases:case_merge", args=[_case(d)]), method="post",
               data={"version": "1", "into": ""}, allowed=MERGERS_A, denied=NOT_MERGERS_A),
]
CASES += [
    # The report form asks while it is filled in; incomplete fields give an empty answer.
    AccessCase(route="cases:duplicates_draft", url=lambda d: reverse("cases:duplicates_draft"), method="post",
               data={"description": "路灯不亮"}, allowed=REPORTERS, denied=NOT_REPORTERS),
]
