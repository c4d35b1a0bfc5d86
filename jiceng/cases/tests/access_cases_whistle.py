"""Whistle and check-in pages and API, with who may and who may not reach them.

A whistle on a case in community A: the district, the subdistrict and community A's staff see it, and the
summoned department's handler; community B, the grid worker and the rest read nothing of it (404). Only the
subdistrict (or district) whistles, rates and closes; only the summoned department checks in and reports.
"""

from __future__ import annotations

from django.urls import reverse

from jiceng.testing import PERSONAS, AccessCase

from .access_cases import a_case

VIEWERS = ("district_admin", "subdistrict_staff", "community_a", "community_b", "grid_worker", "department")
NO_VIEW = ("member", "auditor", "sysadmin")
WHISTLERS = ("district_admin", "subdistrict_staff")
SEE_A = ("district_admin", "subdistrict_staff", "community_a", "department")
STATS = ("district_admin", "subdistrict_staff", "community_a", "community_b", "department")
EXPORTERS = ("district_admin", "subdistrict_staff", "community_a", "community_b")
API = "/api/v1/whistles"


def others(allowed: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(p for p in PERSONAS if p not in allowed)


def a_whistle(d) -> int:
    """A whistle by the subdistrict on a new case in community A, the department leading."""
    from jiceng.accounts.models import User
    from jiceng.cases import case_selectors, whistle_services

    number = a_case(d)
    actor = User.objects.get(username="p_subdistrict")
    case = case_selectors.case_get(actor, number)
    return whistle_services.whistle_create(actor=actor, title="占道经营", cases=[case], lead=d.department).pk


def lead_response(d) -> tuple[int, int]:
    from jiceng.cases.models import WhistleResponse

    pk = a_whistle(d)
    return pk, WhistleResponse.objects.get(whistle_id=pk, role="lead").pk


def act(d, action: str) -> str:
    w, r = lead_response(d)
    return reverse("cases:whistle_response_act", args=[w, r, action])


def api_act(d, action: str) -> str:
    w, r = lead_response(d)
    return f"{API}/{w}/responses/{r}/{action}"


CASES = [
    # Pages
    AccessCase("cases:whistles", url=lambda d: reverse("cases:whistles"), allowed=VIEWERS, denied=NO_VIEW),
    AccessCase("cases:whistle_new", url=lambda d: reverse("cases:whistle_new"), allowed=WHISTLERS,
               denied=others(WHISTLERS)),
    AccessCase("cases:whistle_new", url=lambda d: reverse("cases:whistle_new"), method="post",
               data={"title": "x", "cases": "GL2099010100001"}, allowed=WHISTLERS, denied=others(WHISTLERS)),
    AccessCase("cases:whistle", url=lambda d: reverse("cases:whistle", args=[a_whistle(d)]), allowed=SEE_A,
               denied=others(SEE_A)),
    AccessCase("cases:whistle_close", url=lambda d: reverse("cases:whistle_close", args=[a_whistle(d)]),
               method="post", data={"version": "1"}, allowed=WHISTLERS, denied=others(WHISTLERS)),
    AccessCase("cases:whistle_response_act", url=lambda d: act(d, "check_in"), method="post",
               data={"version": "1"}, allowed=("department",), denied=others(("department",))),
    AccessCase("cases:whistle_response_act", url=lambda d: act(d, "rate"), method="post",
               data={"version": "1", "rating": "5"}, allowed=WHISTLERS, denied=others(WHISTLERS)),
    AccessCase("cases:whistle_stats", url=lambda d: reverse("cases:whistle_stats"), allowed=STATS,
               denied=others(STATS)),
    AccessCase("cases:whistle_stats", url=lambda d: reverse("cases:whistle_stats") + "?format=xlsx",
               allowed=EXPORTERS, denied=others(EXPORTERS)),
    # API
    AccessCase(f"api:GET {API}", url=lambda d: API, allowed=VIEWERS, denied=NO_VIEW),
    AccessCase(f"api:POST {API}", url=lambda d: API, method="post",
               data={"title": "x", "cases": ["GL2099010100001"], "lead_id": 1}, allowed=WHISTLERS,
               denied=others(WHISTLERS)),
    AccessCase(f"api:GET {API}/stats", url=lambda d: f"{API}/stats?start=2026-01-01&end=2026-12-31", allowed=STATS,
               denied=others(STATS)),
    AccessCase(f"api:GET {API}/{{whistle_id}}", url=lambda d: f"{API}/{a_whistle(d)}", allowed=SEE_A,
               denied=others(SEE_A)),
    AccessCase(f"api:POST {API}/{{whistle_id}}/close", url=lambda d: f"{API}/{a_whistle(d)}/close", method="post",
               data={"expected_version": 1}, allowed=WHISTLERS, denied=others(WHISTLERS)),
    AccessCase(f"api:POST {API}/{{whistle_id}}/responses/{{response_id}}/{{action}}",
               url=lambda d: api_act(d, "check_in"), method="post", data={"expected_version": 1},
               allowed=("department",), denied=others(("department",))),
    AccessCase(f"api:POST {API}/{{whistle_id}}/responses/{{response_id}}/{{action}}",
               url=lambda d: api_act(d, "rate"), method="post", data={"expected_version": 1, "rating": 5},
               allowed=WHISTLERS, denied=others(WHISTLERS)),
    AccessCase(f"api:POST {API}/{{whistle_id}}/responses/{{response_id}}/report/photos",
               url=lambda d: api_act(d, "report/photos"), method="post", allowed=("department",),
               denied=others(("department",))),
]
