"""Open311 GeoReport v2: public machine endpoints; reads need no account. The per-object routes are
checked against a real category and case, made on first use."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from jiceng.testing import PERSONAS, AccessCase


def _case(d) -> str:
    from jiceng.cases.models import Case, Category

    cat = Category.objects.filter(code="O311").first() or Category.add_root(code="O311", name="测试")
    case = Case.objects.filter(number="O311-1").first() or Case.objects.create(
        number="O311-1", channel="open311", category=cat, title="t", description="t", state="registered",
        created_at=timezone.now())
    return case.number


CASES = [
    AccessCase("open311:discovery", url=lambda d: reverse("open311:discovery", args=["json"]),
               allowed=PERSONAS, denied=(), public=True),
    AccessCase("open311:services", url=lambda d: reverse("open311:services", args=["xml"]),
               allowed=PERSONAS, denied=(), public=True),
    AccessCase("open311:service", url=lambda d: (_case(d), reverse("open311:service", args=["O311", "json"]))[1],
               allowed=PERSONAS, denied=(), public=True),
    AccessCase("open311:requests", url=lambda d: reverse("open311:requests", args=["json"]),
               allowed=PERSONAS, denied=(), public=True),
    AccessCase("open311:request", url=lambda d: reverse("open311:request", args=[_case(d), "json"]),
               allowed=PERSONAS, denied=(), public=True),
    AccessCase("open311:token", url=lambda d: reverse("open311:token", args=[_case(d), "xml"]),
               allowed=PERSONAS, denied=(), public=True),
]
