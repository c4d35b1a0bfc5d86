"""Open311 GeoReport v2: public machine endpoints (reads need no account; POST needs an api_key,
which the anonymous persona lacks, so it answers 403 rather than a sign-in page)."""

from __future__ import annotations

from django.urls import reverse

from jiceng.testing import PERSONAS, AccessCase

CASES = [
    AccessCase("open311:discovery", url=lambda d: reverse("open311:discovery", args=["json"]),
               allowed=PERSONAS, denied=(), public=True),
    AccessCase("open311:services", url=lambda d: reverse("open311:services", args=["xml"]),
               allowed=PERSONAS, denied=(), public=True),
    AccessCase("open311:service", url=lambda d: reverse("open311:service", args=["NONE", "json"]),
               allowed=(), denied=PERSONAS, public=True),
    AccessCase("open311:requests", url=lambda d: reverse("open311:requests", args=["json"]),
               allowed=PERSONAS, denied=(), public=True),
    AccessCase("open311:request", url=lambda d: reverse("open311:request", args=["NONE", "json"]),
               allowed=(), denied=PERSONAS, public=True),
    AccessCase("open311:token", url=lambda d: reverse("open311:token", args=["NONE", "json"]),
               allowed=(), denied=PERSONAS, public=True),
]
