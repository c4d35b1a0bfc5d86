"""The dual registration and points pages speak of registrations and service, not of cases: the case
app's words (退单, 吊销, 立案, 处置情况, 问题描述) must not leak into them through a shared English msgid.
Where one English word needs different Chinese, the party pages use a msgctxt and the case app keeps its own."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from jiceng.party import dualreg_services as svc

from .dualreg_world import item, member_user

pytestmark = pytest.mark.django_db

# Words that belong to case handling (接诉即办) or to account tokens, never to a registration or a service record.
CASE_WORDS = ("退单", "吊销", "立案", "处置情况", "问题描述", "职务")


def _as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _world(district):
    """One registration in each state the counts show, and a returned service record."""
    returned = svc.registration_request_member(actor=member_user(district, 1))
    svc.registration_return(actor=None, registration=returned, reason="地址不符")
    revoked = svc.registration_request_member(actor=member_user(district, 2))
    svc.registration_confirm(actor=None, registration=revoked)
    svc.registration_revoke(actor=None, registration=revoked)
    user = member_user(district, 3)
    svc.registration_confirm(actor=None, registration=svc.registration_request_member(actor=user))
    claim = svc.service_claim_create(actor=user, item=item(district))
    svc.service_record_submit(actor=user, claim=claim, served_on=timezone.localdate(), hours=1, beneficiary="居民")
    svc.service_claim_return(actor=None, claim=claim, reason="请补照片")
    pending = svc.service_claim_create(actor=member_user(district, 4), item=item(district, title="助老"))
    return claim, pending


def test_registration_and_record_states_read_as_registrations(district, personas):
    claim, _ = _world(district)
    community = _as(personas.community_a)
    body = community.get(reverse("party:dualreg_registrations")).content.decode()
    assert "已退回" in body and "已撤销" in body
    assert "<th>已报到</th>" in body  # the per-organization count of confirmed members
    records = community.get(reverse("party:dualreg_records")).content.decode()
    assert "已退回" in records and "服务项目" in records
    form = _as(claim.member.person.user).get(reverse("party:dualreg_me_record", args=[claim.pk]))
    assert "服务内容" in form.content.decode()
    items = community.get(reverse("party:dualreg_items")).content.decode()
    assert "项目名称" in items and "项目说明" in items


@pytest.mark.parametrize("name", [
    "party:dualreg_registrations", "party:dualreg_buildings", "party:dualreg_items", "party:dualreg_records",
    "party:dualreg_pledges", "party:dualreg_report", "party:points", "party:points_rules",
    "party:points_awards",
])
def test_no_case_wording_on_the_staff_pages(district, personas, name):
    _world(district)
    body = _as(personas.district_admin).get(reverse(name)).content.decode()
    main = body[body.index("<main"):]  # the menu names the case app, rightly
    assert [w for w in CASE_WORDS if w in main] == []


def test_no_case_wording_on_the_members_pages(district, personas):
    claim, pending = _world(district)
    member = _as(claim.member.person.user)
    for url in (reverse("party:dualreg_me"), reverse("party:dualreg_me_record", args=[claim.pk]),
                reverse("party:points_me")):
        body = member.get(url).content.decode()
        main = body[body.index("<main"):]
        assert [w for w in CASE_WORDS if w in main] == [], url


def test_the_case_app_keeps_its_own_words():
    with translation.override("zh-hans"):
        assert gettext("Returned") == "已退单"
        assert gettext("Registered") == "已立案"
