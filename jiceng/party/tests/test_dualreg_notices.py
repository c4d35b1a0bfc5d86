"""Notices when work waits for the community (a registration requested, a service record submitted) and
when the community decides (confirmed, or returned with the reason): in the app, and by email after the
change commits, to the community's own staff and to the member, nobody else."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import override

from jiceng.notify.models import Notice
from jiceng.party import dualreg_services as svc

from .dualreg_world import item

pytestmark = pytest.mark.django_db


@pytest.fixture
def emails(personas, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    for user, address in ((personas.community_a, "a@example.org"), (personas.community_b, "b@example.org"),
                          (personas.member, "member@example.org")):
        user.email = address
        user.save(update_fields=["email"])


def notices(user, kind: str = "") -> list[Notice]:
    qs = Notice.objects.filter(user=user)
    return list(qs.filter(kind=kind) if kind else qs)


def test_a_registration_request_reaches_the_community_staff_and_the_decision_the_member(
        district, personas, emails, django_capture_on_commit_callbacks):
    with override("en"), django_capture_on_commit_callbacks(execute=True):
        reg = svc.registration_request_member(actor=personas.member)
    waiting = notices(personas.community_a, "registration.requested")
    assert len(waiting) == 1 and district.a.resident.name in waiting[0].title
    assert waiting[0].url == "/party/dualreg/registrations/?state=requested"
    # Community B's desk, the subdistrict and the member themselves are not told about the request.
    assert not notices(personas.community_b) and not notices(personas.subdistrict_staff)
    assert not notices(personas.member)
    assert [m.to for m in mail.outbox] == [["a@example.org"]]

    with override("en"), django_capture_on_commit_callbacks(execute=True):
        svc.registration_return(actor=personas.community_a, registration=reg, reason="楼栋信息不符")
    returned = notices(personas.member, "registration.returned")
    assert len(returned) == 1 and "returned" in returned[0].title and "楼栋信息不符" in returned[0].body
    assert returned[0].url == "/party/dualreg/me/"
    assert mail.outbox[-1].to == ["member@example.org"] and "楼栋信息不符" in mail.outbox[-1].body

    with override("en"):
        svc.registration_resubmit(actor=personas.member, registration=reg)
        assert len(notices(personas.community_a, "registration.requested")) == 2  # asked again: waits again
        svc.registration_confirm(actor=personas.community_a, registration=reg)
    confirmed = notices(personas.member, "registration.confirmed")
    assert len(confirmed) == 1 and district.a.area.name in confirmed[0].title


def test_a_refused_move_leaves_no_notice(district, personas):
    reg = svc.registration_request_member(actor=personas.member)
    with pytest.raises(PermissionDenied):
        svc.registration_confirm(actor=personas.community_b, registration=reg)
    assert not notices(personas.member)


def test_a_service_record_reaches_the_community_and_its_return_and_confirmation_the_member(
        district, personas, emails, django_capture_on_commit_callbacks):
    claim = svc.service_claim_create(actor=personas.member, item=item(district, title="楼道清扫"))
    assert not notices(personas.community_a)  # a claim alone waits for nobody
    today = timezone.localdate()
    with override("en"), django_capture_on_commit_callbacks(execute=True):
        svc.service_record_submit(actor=personas.member, claim=claim, served_on=today, hours="1.5",
                                  beneficiary="3号楼住户")
    waiting = notices(personas.community_a, "service_record.submitted")
    assert len(waiting) == 1 and "楼道清扫" in waiting[0].title and "1.5" in waiting[0].body
    assert waiting[0].url == "/party/dualreg/records/?state=recorded"
    assert not notices(personas.community_b)
    assert mail.outbox[-1].to == ["a@example.org"]

    with override("en"):
        svc.service_claim_return(actor=personas.community_a, claim=claim, reason="请补充照片")
    returned = notices(personas.member, "service_record.returned")
    assert len(returned) == 1 and "请补充照片" in returned[0].body

    with override("en"):
        svc.service_record_submit(actor=personas.member, claim=claim, served_on=today, hours="2",
                                  beneficiary="3号楼住户")
        svc.service_claim_confirm(actor=personas.community_a, claim=claim)
    assert len(notices(personas.community_a, "service_record.submitted")) == 2
    confirmed = notices(personas.member, "service_record.confirmed")
    assert len(confirmed) == 1 and "confirmed" in confirmed[0].title and "2.0 hours" in confirmed[0].body


def test_an_organizations_registration_decided_reaches_its_secretary_deputy_and_staff(district, personas):
    """The hospital's committee registers with community A; community B's staff speak for it. When A
    confirms or returns it, the hospital's secretary and deputy (member accounts only) and B's staff are
    told; an ended deputy, another organization's secretary and A's own staff are not."""
    from jiceng.party.models import PositionTitle

    from .dualreg_world import hospital_org, member_user
    from .helpers import position

    hospital = hospital_org(district)
    secretary, deputy, former, other = (member_user(district, n) for n in (61, 62, 63, 64))
    position(hospital, secretary.person, days_left=400, title=PositionTitle.SECRETARY)
    position(hospital, deputy.person, days_left=400, title=PositionTitle.DEPUTY_SECRETARY)
    position(hospital, former.person, days_left=400, title=PositionTitle.DEPUTY_SECRETARY,
             ended_on=timezone.localdate())
    position(district.orgs["a"].branch, other.person, days_left=400, title=PositionTitle.SECRETARY)

    reg = svc.registration_request_org(actor=personas.community_b, org=hospital, community=district.a.area)
    with override("en"):
        svc.registration_return(actor=personas.community_a, registration=reg, reason="请补充单位联系人")
    for user in (secretary, deputy, personas.community_b):
        returned = notices(user, "registration.returned")
        assert len(returned) == 1 and hospital.name in returned[0].title and "请补充单位联系人" in returned[0].body
    staff_notice = notices(personas.community_b, "registration.returned")[0]
    assert staff_notice.url == f"/party/dualreg/registrations/?kind=org&org={hospital.pk}"
    # A secretary with only a member's account has no registrations list to open: no dead link.
    assert notices(secretary, "registration.returned")[0].url == ""
    for user in (former, other, personas.community_a, personas.member):
        assert not notices(user, "registration.returned")

    svc.registration_resubmit(actor=personas.community_b, registration=reg)
    with override("en"):
        svc.registration_confirm(actor=personas.community_a, registration=reg)
    for user in (secretary, deputy, personas.community_b):
        confirmed = notices(user, "registration.confirmed")
        assert len(confirmed) == 1 and "confirmed" in confirmed[0].title
    assert not notices(other) and not notices(former)
