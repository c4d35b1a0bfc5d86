"""Suspension with approval: the handler asks with a reason, the subdistrict (or the district) approves,
which suspends the case and stops its clock, or refuses with a note; on the page, in the API, and
against a second approver deciding at the same moment (PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse

from jiceng.accounts.models import AuditEvent
from jiceng.cases import case_services as svc
from jiceng.cases.case_services import ConflictError
from jiceng.cases.models import Case, CaseState, SuspensionRequest
from jiceng.cases.suspension_services import suspension_decide, suspension_request
from jiceng.notify.models import Notice

from .test_case_services import cat, dispatched, english  # noqa: F401

API = "/api/v1/cases"


@pytest.fixture
def accepted(db, personas, district, cat):  # noqa: F811
    c = dispatched(personas, cat, district.department)
    return svc.case_accept(actor=personas.department, case=c, expected_version=c.version)


def test_handler_asks_and_the_subdistrict_approves(personas, accepted):
    item = suspension_request(actor=personas.department, case=accepted, reason="等待配件到货")
    assert item.pending and Case.objects.get(pk=accepted.pk).state == CaseState.ACCEPTED  # asking changes nothing
    assert Notice.objects.filter(user=personas.subdistrict_staff, kind="case.suspension").exists()
    assert AuditEvent.objects.filter(action="cases.suspension.request").count() == 1

    suspension_decide(actor=personas.subdistrict_staff, item=item, approve=True)
    case = Case.objects.get(pk=accepted.pk)
    assert case.state == CaseState.SUSPENDED and case.suspended_at is not None
    event = case.events.order_by("-seq").first()
    assert (event.transition, event.actor_id) == ("suspend", personas.subdistrict_staff.pk)
    assert "等待配件到货" in event.note  # the case's own log says why
    item.refresh_from_db()
    assert item.approved is True and item.decided_by_id == personas.subdistrict_staff.pk
    assert Notice.objects.filter(user=personas.department, kind="case.suspension").exists()
    # Resumed by an approver, as any suspension.
    svc.case_resume(actor=personas.subdistrict_staff, case=case, expected_version=case.version)


def test_a_refusal_needs_a_note_and_leaves_the_case_in_hand(personas, accepted):
    item = suspension_request(actor=personas.department, case=accepted, reason="天气原因")
    with pytest.raises(ValidationError) as raised:
        suspension_decide(actor=personas.subdistrict_staff, item=item, approve=False)
    assert "note" in raised.value.message_dict
    suspension_decide(actor=personas.subdistrict_staff, item=item, approve=False, note="请先处理可处理的部分")
    assert Case.objects.get(pk=accepted.pk).state == CaseState.ACCEPTED
    with pytest.raises(ConflictError):  # decided once, not twice
        suspension_decide(actor=personas.district_admin, item=item, approve=True)
    # Refused, the handler may ask again.
    assert suspension_request(actor=personas.department, case=accepted, reason="配件仍未到").pending


def test_who_may_ask_and_who_may_decide(personas, accepted):
    with pytest.raises(ValidationError) as raised:
        suspension_request(actor=personas.department, case=accepted, reason="  ")
    assert "reason" in raised.value.message_dict
    for outsider in (personas.community_a, personas.subdistrict_staff, personas.grid_worker):
        with pytest.raises(PermissionDenied):  # only the one handling the case asks
            suspension_request(actor=outsider, case=accepted, reason="x")
    item = suspension_request(actor=personas.department, case=accepted, reason="等待审批")
    with pytest.raises(ConflictError):
        suspension_request(actor=personas.department, case=accepted, reason="再次申请")
    for not_approver in (personas.department, personas.community_a, personas.community_b, personas.grid_worker):
        with pytest.raises(PermissionDenied):
            suspension_decide(actor=not_approver, item=item, approve=True)
    assert SuspensionRequest.objects.get().pending


def test_only_an_accepted_case_can_be_suspended(personas, district, cat):  # noqa: F811
    c = dispatched(personas, cat, district.department)
    with pytest.raises(ConflictError):
        suspension_request(actor=personas.department, case=c, reason="还没受理")


def test_approval_conflicts_when_the_case_moved_on_and_changes_nothing(personas, accepted):
    item = suspension_request(actor=personas.department, case=accepted, reason="等待配件")
    svc.case_handle(actor=personas.department, case=accepted, expected_version=accepted.version, note="已修复")
    with pytest.raises(ConflictError):
        suspension_decide(actor=personas.subdistrict_staff, item=item, approve=True)
    item.refresh_from_db()
    assert item.pending and Case.objects.get(pk=accepted.pk).state == CaseState.HANDLED


def test_pages_ask_and_decide(client, personas, accepted):
    page = reverse("cases:case", args=[accepted.number])
    client.force_login(personas.department)
    assert 'id="suspension-request-form"' in client.get(page).content.decode()
    r = client.post(reverse("cases:suspension_request", args=[accepted.number]), {"reason": "等待配件到货"})
    assert r.status_code == 302 and SuspensionRequest.objects.get().pending
    body = client.get(page).content.decode()
    assert 'id="suspension-request-form"' not in body and "等待配件到货" in body
    assert 'id="suspension-decide-form"' not in body  # the handler does not approve their own request

    client.force_login(personas.subdistrict_staff)
    assert 'id="suspension-decide-form"' in client.get(page).content.decode()
    item = SuspensionRequest.objects.get()
    r = client.post(reverse("cases:suspension_decide", args=[accepted.number, item.pk]), {"decision": "refuse"})
    assert r.status_code == 302 and SuspensionRequest.objects.get().pending  # a refusal must say why
    client.post(reverse("cases:suspension_decide", args=[accepted.number, item.pk]), {"decision": "approve"})
    assert Case.objects.get(pk=accepted.pk).state == CaseState.SUSPENDED


def test_api_asks_lists_and_decides(client, personas, accepted):
    url = f"{API}/suspensions/{accepted.number}"
    client.force_login(personas.department)
    r = client.post(url, {"reason": ""}, content_type="application/json")
    assert r.status_code == 422 and "reason" in r.content.decode()
    r = client.post(url, {"reason": "等待配件"}, content_type="application/json")
    assert r.status_code == 201 and r.json()["pending"] is True
    item_id = r.json()["id"]
    assert client.post(url, {"reason": "再次"}, content_type="application/json").status_code == 409
    decision = f"{url}/{item_id}/decision"
    assert client.post(decision, {"approve": True}, content_type="application/json").status_code == 404

    client.force_login(personas.subdistrict_staff)
    r = client.post(decision, {"approve": True}, content_type="application/json")
    assert r.status_code == 200 and r.json()["approved"] is True and r.json()["decided_by"] == "p_subdistrict"
    assert client.post(decision, {"approve": False, "note": "x"}, content_type="application/json").status_code == 409
    assert [s["reason"] for s in client.get(url).json()] == ["等待配件"]
    assert Case.objects.get(pk=accepted.pk).state == CaseState.SUSPENDED


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_two_approvers_at_once_one_decides(transactional_db, personas, district, cat):  # noqa: F811
    c = dispatched(personas, cat, district.department)
    c = svc.case_accept(actor=personas.department, case=c, expected_version=c.version)
    item = suspension_request(actor=personas.department, case=c, reason="等待配件")
    barrier = threading.Barrier(2)
    results: list[str] = []

    def decide(actor, approve: bool) -> None:
        try:
            mine = SuspensionRequest.objects.get(pk=item.pk)
            barrier.wait(timeout=10)
            suspension_decide(actor=actor, item=mine, approve=approve, note="" if approve else "不同意")
            results.append("won")
        except ConflictError:
            results.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=decide, args=(personas.subdistrict_staff, True)),
               threading.Thread(target=decide, args=(personas.district_admin, False))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(results) == ["conflict", "won"]
    item.refresh_from_db()
    case = Case.objects.get(pk=c.pk)
    # Whoever won, the case agrees with the decision.
    assert (case.state == CaseState.SUSPENDED) is item.approved
