"""The audit log: append-only in the model and in the database, a MAC chain that shows forgery,
and the auditor's search."""

from __future__ import annotations

import io
from datetime import timedelta

import openpyxl
import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from jiceng.accounts.audit import audit_record, audit_verify_chain
from jiceng.accounts.models import AuditEvent, AuditKind


@pytest.fixture
def events(personas):
    made = [
        audit_record(actor=personas.community_a, action="person.update", object_type="people.person", object_id=7,
                     changes={"name": ["甲", "乙"]}),
        audit_record(actor=personas.community_b, kind=AuditKind.REVEAL, action="person.reveal",
                     object_type="people.person", object_id=8, reason="核实身份"),
        audit_record(actor=personas.district_admin, action="zone.merge", object_type="areas.area", object_id=3),
    ]
    return made


def test_model_refuses_update_and_delete(events):
    event = events[0]
    event.action = "changed"
    with pytest.raises(RuntimeError):
        event.save()
    with pytest.raises(RuntimeError):
        event.delete()


def test_database_refuses_update_and_delete(events):
    """Even raw SQL, bypassing the model, cannot change or remove an event."""
    pk = events[0].pk
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        cur.execute("UPDATE accounts_auditevent SET action = %s WHERE id = %s", ["forged", pk])
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        cur.execute("DELETE FROM accounts_auditevent WHERE id = %s", [pk])
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=pk).update(action="forged")
    assert AuditEvent.objects.get(pk=pk).action == "person.update"


def test_intact_chain_verifies(events):
    assert audit_verify_chain() == []


def _raw_insert(prev_mac: str, mac: str, action: str = "person.update") -> int:
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO accounts_auditevent (at, actor_name, kind, action, object_type, object_id, object_repr,"
            " changes, reason, prev_mac, mac) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [timezone.now(), "intruder", "write", action, "people.person", "9", "", "{}", "", prev_mac, mac],
        )
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()


def test_forged_row_breaks_the_chain(events):
    """Someone with database access inserts an event; without the key its MAC cannot be right."""
    forged = _raw_insert(prev_mac=events[-1].mac, mac="0" * 64)
    after = audit_record(actor=None, action="area.update", object_type="areas.area", object_id=4)
    assert audit_verify_chain() == [forged]
    assert after.prev_mac == "0" * 64  # later events chain on, so the forgery stays visible


def test_a_gap_in_the_chain_shows(events):
    """A row whose link does not point at its predecessor (as after a removal) is reported."""
    broken = _raw_insert(prev_mac="f" * 64, mac="e" * 64)
    assert broken in audit_verify_chain()


def test_verify_button_reports_broken_ids(personas, login, events):
    c = login(personas.auditor)
    ok = c.post(reverse("accounts:audit_verify"), follow=True)
    assert "intact" in ok.content.decode() or "完整" in ok.content.decode()
    forged = _raw_insert(prev_mac=events[-1].mac, mac="1" * 64)
    bad = c.post(reverse("accounts:audit_verify"), follow=True)
    messages = [str(m) for m in bad.context["messages"]]
    assert any(str(forged) in m for m in messages)
    assert AuditEvent.objects.filter(action="audit.verify", actor_name="p_auditor").count() == 2


def test_search_by_actor_object_action_kind_and_time(personas, login, events, django_assert_max_num_queries):
    c = login(personas.auditor)
    url = reverse("accounts:audit")

    def ids(**params) -> set[int]:
        return {e.pk for e in c.get(url, params).context["page"].object_list}

    assert ids(actor="p_community_b") == {events[1].pk}
    assert ids(object_type="people.person", object_id="7") == {events[0].pk}
    assert ids(action="zone.") == {events[2].pk}
    assert ids(kind="reveal") == {events[1].pk}
    now = timezone.localtime()
    assert {e.pk for e in events} <= ids(since=(now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    assert ids(until=(now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")) == set()
    bad = c.get(url, {"since": "not a date"})
    assert bad.context["form"].errors["since"] and list(bad.context["page"].object_list) == []
    for i in range(60):
        audit_record(actor=personas.community_a, action="bulk", object_type="x", object_id=i)
    c.get(url)
    with django_assert_max_num_queries(8):
        page = c.get(url, {"size": 50})
    assert len(page.context["page"].object_list) == 50


def test_failed_sign_ins_are_found_by_the_typed_name(client, personas, login):
    client.post("/accounts/login/", {"username": "ghost", "password": "Wrong-pass-123"})
    c = login(personas.auditor)
    found = c.get(reverse("accounts:audit"), {"actor": "ghost"}).context["page"].object_list
    assert [e.action for e in found] == ["login.failed"]


def test_times_are_shown_in_china_standard_time(personas, login, events):
    c = login(personas.auditor)
    html = c.get(reverse("accounts:audit")).content.decode()
    local = timezone.localtime(events[0].at, timezone=timezone.get_fixed_timezone(8 * 60))
    assert local.strftime("%Y-%m-%d %H:%M") in html


def test_export_is_itself_audited(personas, login, events):
    c = login(personas.auditor)
    response = c.get(reverse("accounts:audit"), {"kind": "reveal", "format": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in rows] == [events[1].pk]
    assert AuditEvent.objects.filter(kind=AuditKind.EXPORT, action="auditevent.export").exists()
