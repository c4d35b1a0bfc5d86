"""Residents' pages (no account): report a problem, follow it through a private link, rate it."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from jiceng.areas.models import Area


def report_at(request: HttpRequest, code: str) -> HttpResponse:
    """The report form with the place filled in from the building's (or compound's) QR code."""
    place = get_object_or_404(Area, code=code, kind__in=("building", "compound"))
    return render(request, "cases/resident_report.html", {"place": place})
