"""Residents' public pages: every persona and every visitor without an account reaches them."""

from __future__ import annotations

from django.urls import reverse

from jiceng.testing import PERSONAS, AccessCase

CASES = [
    AccessCase("resident:building", url=lambda d: reverse("resident:building", args=[d.a.building.code]),
               allowed=PERSONAS, denied=(), public=True),
]
