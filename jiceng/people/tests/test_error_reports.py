"""No personal number in an error report: a crash in the middle of creating a resident (page and API)
yields a Django error report (what the 500 e-mail sends) without the numbers that were typed."""

from __future__ import annotations

import pytest
from django.core.signals import got_request_exception
from django.urls import reverse
from django.views.debug import ExceptionReporter

from jiceng.people import services
from jiceng.people.reporting import mask_numbers
from jiceng.testing import make_id_number

PHONE_TYPED, PHONE = "+86 152 6018 3377", "15260183377"
ID_NUMBER = make_id_number("19770919", 513, region="350103")
NEEDLES = [PHONE, PHONE_TYPED, PHONE_TYPED.replace(" ", ""), ID_NUMBER, ID_NUMBER[:17], "8615260183377"]


class Crash(RuntimeError):
    pass


@pytest.fixture
def crashing_audit(monkeypatch):
    """The audit write fails after the numbers were parsed: every frame above it holds them."""

    def boom(**kwargs):
        raise Crash("audit store unavailable")

    monkeypatch.setattr(services, "audit_record", boom)


@pytest.fixture
def report_filter(settings):
    settings.DEFAULT_EXCEPTION_REPORTER_FILTER = "jiceng.people.reporting.PersonalDataReporterFilter"


def _report(client, method, url, data, **extra) -> str:
    seen = {}

    def keep(sender, request, **kwargs):
        seen["request"] = request

    got_request_exception.connect(keep)
    try:
        with pytest.raises(Crash) as exc:
            getattr(client, method)(url, data, **extra)
    finally:
        got_request_exception.disconnect(keep)
    reporter = ExceptionReporter(seen["request"], exc.type, exc.value, exc.tb)
    text, html = reporter.get_traceback_text(), reporter.get_traceback_html()
    assert "person_create" in text  # the report does show the frames, with their variables
    return text + html


def test_mask_numbers():
    assert mask_numbers("call +86 152 6018 3377 now") == "call +86 *** **** **** now"
    assert mask_numbers(f"id {ID_NUMBER}") == f"id {ID_NUMBER[:3]}" + "*" * 15
    assert mask_numbers("room 1201, 2026-11-22") == "room 1201, 2026-11-22"


def test_page_error_report_holds_no_number(login, personas, district, crashing_audit, report_filter):
    client = login(personas.community_a)
    report = _report(
        client,
        "post",
        reverse("people:search"),
        {
            "action": "create",
            "name": "报错检查",
            "phone": PHONE_TYPED,
            "id_number": ID_NUMBER,
            "community": district.a.area.pk,
            "home": district.a.building.pk,
        },
    )
    assert "报错检查" in report
    for needle in NEEDLES:
        assert needle not in report


def test_page_error_report_holds_no_number_even_with_the_default_filter(login, personas, district, crashing_audit):
    """The views and services mark their variables sensitive, so Django's own filter suffices here."""
    report = _report(
        login(personas.community_a),
        "post",
        reverse("people:search"),
        {
            "action": "create",
            "name": "报错检查",
            "phone": PHONE_TYPED,
            "id_number": ID_NUMBER,
            "community": district.a.area.pk,
            "home": district.a.building.pk,
        },
    )
    for needle in NEEDLES:
        assert needle not in report


def test_api_error_report_holds_no_number(login, personas, district, crashing_audit, report_filter):
    report = _report(
        login(personas.community_a),
        "post",
        "/api/v1/people/",
        {"name": "报错检查", "phone": PHONE_TYPED, "id_number": ID_NUMBER, "home_id": district.a.building.pk},
        content_type="application/json",
    )
    for needle in NEEDLES:
        assert needle not in report
