"""The residents' channel. The report pages and the private link are public: every persona and every
visitor without an account reaches them. The QR posters are for the staff and grid workers over the
place; follow-up calls are recorded by the staff over the case (grid workers and departments, whose
work the call asks about, do not record them)."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from jiceng.testing import PERSONAS, AccessCase

TOKEN = "access-matrix-private-link-token-0001"
NUMBER = "GL2026010199001"
API = "/api/v1/cases"
POSTERS = ("district_admin", "subdistrict_staff", "community_a", "grid_worker")
NO_POSTERS = ("community_b", "department", "member", "auditor", "sysadmin")
# The grid worker's scope is their grid: the whole community is above it.
COMMUNITY_POSTERS = ("district_admin", "subdistrict_staff", "community_a")
NO_COMMUNITY_POSTERS = ("grid_worker", *NO_POSTERS)
CALLERS = ("district_admin", "subdistrict_staff", "community_a")
NO_CALLERS = ("community_b", "grid_worker", "department", "member", "auditor", "sysadmin")
# Who reads the case (and so its feedback): the area roles over grid A1, and the unit it is dispatched to.
READERS = (*CALLERS, "grid_worker", "department")
NO_READ = ("community_b", "member", "auditor", "sysadmin")


def _case(d) -> str:
    """A case in grid A1, handled by the department, with a resident link of a known token."""
    from jiceng.cases.models import Case, Category, ResidentLink
    from jiceng.cases.resident_services import token_hash
    from jiceng.people.services import area_chain

    case = Case.objects.filter(number=NUMBER).first()
    if case is None:
        cat = (Category.objects.filter(code="RES1").first()
               or Category.objects.add_root({"code": "RES1", "name": "测试"}))
        case = Case.objects.create(number=NUMBER, channel="resident_app", category=cat, title="t", description="t",
                                   state="handled", unit=d.department, building=d.a.building,
                                   created_at=timezone.now(), **area_chain(d.a.building))
        ResidentLink.objects.create(case=case, token_hash=token_hash(TOKEN), created_at=case.created_at)
    return case.number


def _token(d) -> str:
    _case(d)
    return TOKEN


CASES = [
    AccessCase("resident:report", url=lambda d: reverse("resident:report"), allowed=PERSONAS, denied=(), public=True),
    AccessCase("resident:building", url=lambda d: reverse("resident:building", args=[d.a.building.code]),
               allowed=PERSONAS, denied=(), public=True),
    AccessCase("resident:building", url=lambda d: reverse("resident:building", args=[d.a.compound.code]),
               allowed=PERSONAS, denied=(), public=True),
    AccessCase("resident:receipt", url=lambda d: reverse("resident:receipt"), allowed=PERSONAS, denied=(),
               public=True),
    AccessCase("resident:follow", url=lambda d: reverse("resident:follow", args=[_token(d)]),
               allowed=PERSONAS, denied=(), public=True),
    AccessCase("resident:rate", url=lambda d: reverse("resident:rate", args=[_token(d)]), method="post",
               data={"rating": "satisfied"}, allowed=PERSONAS, denied=(), public=True),
    # Posters: one place's page and PDF, and a community's list and batch PDF.
    AccessCase("cases:poster", url=lambda d: reverse("cases:poster", args=[d.a.building.pk]),
               allowed=POSTERS, denied=NO_POSTERS),
    AccessCase("cases:poster", url=lambda d: reverse("cases:poster", args=[d.a.area.pk]),
               allowed=COMMUNITY_POSTERS, denied=NO_COMMUNITY_POSTERS),
    AccessCase("cases:poster_pdf", url=lambda d: reverse("cases:poster_pdf", args=[d.a.compound.pk]),
               allowed=POSTERS, denied=NO_POSTERS),
    AccessCase("cases:poster_pdf", url=lambda d: reverse("cases:poster_pdf", args=[d.a.area.pk]),
               allowed=COMMUNITY_POSTERS, denied=NO_COMMUNITY_POSTERS),
    # Follow-up calls.
    AccessCase("cases:follow_up", url=lambda d: reverse("cases:follow_up", args=[_case(d)]), method="post",
               data={"reached": "1", "rating": "satisfied", "resolved": "1", "comment": "回访"},
               allowed=CALLERS, denied=NO_CALLERS),
    AccessCase(f"api:GET {API}/feedback/{{number}}", url=lambda d: f"{API}/feedback/{_case(d)}",
               allowed=READERS, denied=NO_READ),
    AccessCase(f"api:POST {API}/feedback/{{number}}/follow-ups", url=lambda d: f"{API}/feedback/{_case(d)}/follow-ups",
               method="post", data={"reached": False}, allowed=CALLERS, denied=NO_CALLERS),
]
