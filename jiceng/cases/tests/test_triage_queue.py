"""The triage queue as its users meet it: the inbox filtered to triage lists what could not be routed,
each with the reason, in the language of the page, and only to those whose scope holds the case."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from .test_case_services import OUTSIDE, cat, make_category, report  # noqa: F401

pytestmark = pytest.mark.django_db


def test_triage_filter_lists_unroutable_cases_with_their_reason(client, personas, district, cat):  # noqa: F811
    with translation.override("en"):
        nowhere = report(personas.district_admin, cat, point=OUTSIDE)  # outside every grid: the district's
        no_unit = report(personas.community_a, make_category("T02"))  # placed, but no catalogue entry
        routed = report(personas.community_a, cat)
    inbox = reverse("cases:inbox")

    client.force_login(personas.district_admin)
    page = client.get(inbox, {"state": "triage"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert nowhere.number in page and no_unit.number in page and routed.number not in page
    assert "outside every grid" in page and "catalogue" in page  # why each is waiting

    client.force_login(personas.community_a)
    page = client.get(inbox, {"state": "triage"}).content.decode()  # Chinese, the default
    assert no_unit.number in page and "派单目录" in page
    assert nowhere.number not in page  # an unplaced case is not the community's
    client.force_login(personas.community_b)
    assert no_unit.number not in client.get(inbox, {"state": "triage"}).content.decode()
