"""A branch secretary convenes its meetings and gets its reminders, linked to its compliance calendar; with
only a Party member's account they have no area scope, so the calendar must open for the organization whose
meetings they convene (scope.convened_org_ids) and for nothing else."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jiceng.accounts.scope import CONVENING_TITLES
from jiceng.party.models import PositionTitle

from .dualreg_world import member_user
from .helpers import position

pytestmark = pytest.mark.django_db


def _as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _compliance(d, key: str) -> str:
    return reverse("party:meeting_compliance", args=[d.orgs[key].branch.pk])


def test_the_convening_posts_are_real_titles():
    assert set(CONVENING_TITLES) <= set(PositionTitle.values)


def test_a_secretary_with_a_members_account_reads_their_own_branchs_calendar(district, personas):
    secretary = personas.member  # a Party member's account, no area scope
    position(district.orgs["a"].branch, secretary.person, days_left=300, title=PositionTitle.SECRETARY)
    client = _as(secretary)
    page = client.get(_compliance(district, "a"))
    assert page.status_code == 200
    body = page.content.decode()
    assert district.orgs["a"].branch.name in body and "主题党日" in body
    # Read only, and no links to lists a member's account cannot open.
    for name in ("party:meetings", "party:meeting_new", "party:meeting_rollup", "party:meeting_lapses"):
        assert f'href="{reverse(name)}' not in body, name
    denied = client.post(_compliance(district, "a"), {"meeting_kind": "theme_day", "day": "2025-02-01",
                                                      "reason": "春节"})
    assert denied.status_code == 404
    # Their post gives them that one calendar, not the committee above nor other pages of the branch.
    assert client.get(reverse("party:meeting_compliance", args=[district.orgs["a"].committee.pk])).status_code == 404
    assert client.get(reverse("party:detail", args=[district.orgs["a"].branch.pk])).status_code == 404


@pytest.mark.parametrize("title", [PositionTitle.DEPUTY_SECRETARY, PositionTitle.GROUP_LEADER])
def test_deputies_and_group_leaders_read_the_calendar_they_convene(district, personas, title):
    org = district.orgs["a"].group if title == PositionTitle.GROUP_LEADER else district.orgs["a"].branch
    position(org, personas.member.person, days_left=300, title=title)
    assert _as(personas.member).get(reverse("party:meeting_compliance", args=[org.pk])).status_code == 200


def test_another_branchs_secretary_a_former_one_and_a_committee_member_get_404(district, personas):
    other = member_user(district, 71)
    position(district.orgs["b"].branch, other.person, days_left=300, title=PositionTitle.SECRETARY)
    assert _as(other).get(_compliance(district, "b")).status_code == 200
    assert _as(other).get(_compliance(district, "a")).status_code == 404

    former = member_user(district, 72)
    position(district.orgs["a"].branch, former.person, days_left=300, title=PositionTitle.SECRETARY,
             ended_on=timezone.localdate())
    assert _as(former).get(_compliance(district, "a")).status_code == 404

    future = member_user(district, 73)
    post = position(district.orgs["a"].branch, future.person, days_left=300, title=PositionTitle.SECRETARY)
    post.term_start = timezone.localdate() + timedelta(days=1)
    post.save(update_fields=["term_start"])
    assert _as(future).get(_compliance(district, "a")).status_code == 404

    committee = member_user(district, 74)
    position(district.orgs["a"].branch, committee.person, days_left=300, title=PositionTitle.COMMITTEE_MEMBER)
    assert _as(committee).get(_compliance(district, "a")).status_code == 404
    assert _as(personas.member).get(_compliance(district, "a")).status_code == 404  # no post at all


def test_the_api_follows_the_same_rule_as_the_page(district, personas):
    """The secretary's calendar through the API (a phone app reads it there), and still nothing else."""
    secretary = personas.member
    position(district.orgs["a"].branch, secretary.person, days_left=300, title=PositionTitle.SECRETARY)
    client = _as(secretary)
    api = "/api/v1/party/meetings/compliance/{}"
    own = client.get(api.format(district.orgs["a"].branch.pk))
    assert own.status_code == 200 and own.json()["org_id"] == district.orgs["a"].branch.pk
    assert any(r["kind"] == "theme_day" for r in own.json()["rows"])
    assert client.get(api.format(district.orgs["b"].branch.pk)).status_code == 404
    assert client.get(api.format(district.orgs["a"].committee.pk)).status_code == 404
    # Another organization's secretary gets 404 for A's calendar.
    other = member_user(district, 7)
    position(district.orgs["b"].branch, other.person, days_left=300, title=PositionTitle.SECRETARY)
    assert _as(other).get(api.format(district.orgs["a"].branch.pk)).status_code == 404
