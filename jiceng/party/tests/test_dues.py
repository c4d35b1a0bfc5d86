"""Party dues: rates as dated data, the basis and payments services, arrears and the 6-month lapse,
roll-ups with a fixed number of queries, pages, API and personal-data protection.

Rounding rule under test: dues = pay × rate, rounded once to 0.01 yuan, half up; brackets include
their upper bound (exactly 3,000 pays 0.5%, 3,000.01 pays 1%)."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from jiceng.accounts.models import AuditEvent
from jiceng.party import dues_selectors as sel
from jiceng.party.dues_models import DuesBasis, DuesClass, DuesPayment, DuesRateBracket, DuesRateTable
from jiceng.party.dues_services import dues_basis_set, dues_payment_record, dues_payment_void
from jiceng.party.models import Member, MemberCategory

from .helpers import members, residents

D = Decimal


@pytest.fixture(autouse=True)
def english(client):
    """Messages are asserted in the English source: services run under English, pages are asked for it."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


def national() -> DuesRateTable:
    """The table the data migration loaded."""
    return DuesRateTable.objects.prefetch_related("brackets").get(valid_from=date(2008, 4, 1))


# --- rates ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("pay", "due", "bracket"),
    [
        ("0", "0.00", "0–3000"),
        ("1001", "5.01", "0–3000"),  # 5.005: half up, not to even
        ("3000", "15.00", "0–3000"),
        ("3000.01", "30.00", "3000–5000"),
        ("5000", "50.00", "3000–5000"),
        ("5000.01", "75.00", "5000–10000"),
        ("7777.77", "116.67", "5000–10000"),  # 116.66655
        ("10000", "150.00", "5000–10000"),
        ("10000.01", "200.00", ">10000"),
        ("23456.78", "469.14", ">10000"),  # 469.1356
    ],
)
def test_in_service_rates_at_bracket_boundaries(pay, due, bracket):
    assert sel.dues_amount(national(), DuesClass.IN_SERVICE, D(pay)) == (D(due), bracket)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("pay", "due"), [("3000", "15.00"), ("5000", "25.00"), ("5000.01", "50.00"), ("8000", "80.00")]
)
def test_retired_rates(pay, due):
    assert sel.dues_amount(national(), DuesClass.RETIRED, D(pay))[0] == D(due)


@pytest.mark.django_db
@pytest.mark.parametrize("dues_class", [DuesClass.STUDENT, DuesClass.UNEMPLOYED, DuesClass.RELIEF])
def test_flat_classes_pay_twenty_fen(dues_class):
    assert sel.dues_amount(national(), dues_class, None) == (D("0.20"), "")


@pytest.mark.django_db
def test_rates_are_data_loaded_by_migration():
    table = national()
    assert table.brackets.count() == 9
    assert set(table.brackets.values_list("dues_class", flat=True)) == set(DuesClass.values)


# --- fixtures -------------------------------------------------------------------------------------------


@pytest.fixture
def branch_members(district):
    """Three in-service members of community A's branch, and one of B's."""
    a = members(district.orgs["a"].branch, residents(district.a.building, 3), MemberCategory.IN_SERVICE)
    b = members(district.orgs["b"].branch, residents(district.b.building, 1, start=200), MemberCategory.RETIRED)
    return a + b


def _basis(member, pay="8000", month=date(2025, 1, 1), dues_class=DuesClass.IN_SERVICE):
    return dues_basis_set(actor=None, member=member, dues_class=dues_class, valid_from=month,
                          pay=None if pay is None else D(pay))


def _pay(member, month, actor=None, **extra):
    return dues_payment_record(actor=actor, member=member, month=month, paid_on=date(2025, 12, 1), **extra)


# --- services -------------------------------------------------------------------------------------------


def test_payment_computes_due_and_refuses_duplicates(branch_members):
    m = branch_members[0]
    _basis(m, "8000")
    p = _pay(m, date(2025, 3, 17))
    assert (p.month, p.amount_due, p.amount_paid) == (date(2025, 3, 1), D("120.00"), D("120.00"))
    with pytest.raises(ValidationError) as exc:
        _pay(m, date(2025, 3, 1))
    assert "already recorded" in exc.value.message_dict["month"][0]
    assert DuesPayment.objects.filter(member=m).count() == 1
    # Voided, the month is open again; the voided row stays as history.
    dues_payment_void(actor=None, payment=p, reason="wrong member")
    with pytest.raises(ValidationError):
        dues_payment_void(actor=None, payment=p, reason="again")
    _pay(m, date(2025, 3, 1), amount_paid=D("150.00"))
    assert DuesPayment.objects.filter(member=m).count() == 2


def test_payment_needs_a_basis_and_at_least_the_due(branch_members):
    m = branch_members[0]
    with pytest.raises(ValidationError) as exc:
        _pay(m, date(2025, 3, 1))
    assert "month" in exc.value.message_dict
    _basis(m, "2000", month=date(2025, 3, 1))
    with pytest.raises(ValidationError) as exc:
        _pay(m, date(2025, 2, 1))  # before the basis
    assert "month" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        _pay(m, date(2025, 3, 1), amount_paid=D("9.99"))
    assert "amount_paid" in exc.value.message_dict
    assert not DuesPayment.objects.exists()


def test_basis_validation(branch_members):
    m = branch_members[0]
    with pytest.raises(ValidationError) as exc:
        _basis(m, None)
    assert "pay" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        _basis(m, "100", dues_class=DuesClass.STUDENT)
    assert "pay" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        _basis(m, "100", month=date(2001, 1, 1))
    assert "valid_from" in exc.value.message_dict
    with pytest.raises(ValidationError):
        _basis(m, "100.001")
    student = _basis(m, None, dues_class=DuesClass.STUDENT)
    assert (student.pay_encrypted, student.bracket) == ("", "")
    assert _pay(m, date(2025, 1, 1)).amount_due == D("0.20")


def test_rate_table_change_mid_year_applies_per_month(branch_members):
    table = DuesRateTable.objects.create(valid_from=date(2025, 7, 1), name="test rates 2025-07")
    DuesRateBracket.objects.bulk_create([
        DuesRateBracket(table=table, dues_class=DuesClass.IN_SERVICE, up_to=None, rate=D("0.01")),
        DuesRateBracket(table=table, dues_class=DuesClass.STUDENT, up_to=None, flat_amount=D("0.50")),
    ])
    m = branch_members[0]
    _basis(m, "2000", month=date(2025, 1, 1))
    assert _pay(m, date(2025, 6, 1)).amount_due == D("10.00")  # 0.5% under the 2008 table
    assert _pay(m, date(2025, 7, 1)).amount_due == D("20.00")  # 1% under the new one
    assert sel.due_amount(m, date(2025, 12, 1)) == D("20.00")
    # A later basis changes later months only; the recorded amounts stay as recorded.
    _basis(m, None, month=date(2025, 9, 1), dues_class=DuesClass.STUDENT)
    assert sel.due_amount(m, date(2025, 8, 1)) == D("20.00")
    assert sel.due_amount(m, date(2025, 9, 1)) == D("0.50")
    assert list(DuesPayment.objects.order_by("month").values_list("amount_due", flat=True)) == [D("10"), D("20")]


def test_scope_community_b_cannot_record_for_a(branch_members, personas):
    m = branch_members[0]
    with pytest.raises(PermissionDenied):
        dues_basis_set(actor=personas.community_b, member=m, dues_class=DuesClass.STUDENT,
                       valid_from=date(2025, 1, 1))
    _basis(m, "4000")
    with pytest.raises(PermissionDenied):
        _pay(m, date(2025, 1, 1), actor=personas.community_b)
    with pytest.raises(PermissionDenied):
        _pay(m, date(2025, 1, 1), actor=personas.grid_worker)  # sees, may not record
    p = _pay(m, date(2025, 1, 1), actor=personas.community_a)
    with pytest.raises(PermissionDenied):
        dues_payment_void(actor=personas.community_b, payment=p, reason="x")
    assert DuesPayment.objects.count() == 1


def _shows_pay(rows) -> bool:
    """Whether any stored value spells the pay 8765.43. Timestamps are left out: their microseconds
    (and the chain's hex digests) can hold the digits 8765 by chance, which is no leak."""
    text = repr([v for row in rows for v in row if not isinstance(v, datetime)])
    return "8765.4" in text or "876543" in text


def test_pay_never_stored_or_audited_in_plaintext(branch_members, personas):
    m = branch_members[0]
    basis = dues_basis_set(actor=personas.community_a, member=m, dues_class=DuesClass.IN_SERVICE,
                           valid_from=date(2025, 1, 1), pay=D("8765.43"))
    with connection.cursor() as cur:
        cur.execute("SELECT * FROM party_duesbasis")
        rows = cur.fetchall()
    assert rows and not _shows_pay(rows)
    assert basis.bracket == "5000–10000"
    assert sel.basis_pay(DuesBasis.objects.get(pk=basis.pk)) == D("8765.43")  # decryptable, for computing only
    event = AuditEvent.objects.filter(action="dues_basis.set").get()
    assert "8765" not in json.dumps(event.changes) + event.object_repr + event.reason
    assert event.changes["bracket"] == "5000–10000"
    with connection.cursor() as cur:
        cur.execute("SELECT * FROM accounts_auditevent")
        assert not _shows_pay(cur.fetchall())


# --- arrears and lapse ----------------------------------------------------------------------------------


def test_arrears_and_lapse_across_a_year_boundary(branch_members):
    m = branch_members[0]
    _basis(m, "4000", month=date(2025, 10, 1))  # 40.00 a month
    _pay(m, date(2025, 10, 1))
    _pay(m, date(2025, 11, 1))
    # Unpaid: 2025-12, 2026-01 … 2026-04: five consecutive months, not lapsed yet.
    f = sel.dues_arrears(Member.objects.filter(pk=m.pk), today=date(2026, 4, 15))[m.pk]
    assert f.unpaid == [date(2025, 12, 1), *(date(2026, i, 1) for i in range(1, 5))]
    assert (f.arrears_count, f.arrears_sum, f.lapsed) == (5, D("200.00"), False)
    assert sel.lapsed_member_ids(Member.objects.filter(pk=m.pk), today=date(2026, 4, 15)) == set()
    # A month later the sixth is unpaid: lapsed.
    assert sel.lapsed_member_ids(Member.objects.all(), today=date(2026, 5, 1)) == {m.pk}
    # Paying January breaks the run into 1 + 4: no longer lapsed, still in arrears.
    _pay(m, date(2026, 1, 1))
    f = sel.dues_arrears(Member.objects.filter(pk=m.pk), today=date(2026, 5, 1))[m.pk]
    assert (f.arrears_count, f.longest_gap, f.lapsed) == (5, 4, False)


def test_arrears_start_at_joining_without_a_basis(branch_members):
    m = branch_members[1]
    Member.objects.filter(pk=m.pk).update(joined_on=date(2025, 11, 20))
    f = sel.dues_arrears(Member.objects.filter(pk=m.pk), today=date(2026, 1, 3))[m.pk]
    assert f.unpaid == [date(2025, 11, 1), date(2025, 12, 1), date(2026, 1, 1)]
    assert (f.arrears_sum, f.unknown_due) == (D("0.00"), 3)  # counted; no basis, so no amount
    # Neither basis nor joining date: nothing can be owed.
    assert sel.dues_arrears(Member.objects.filter(pk=branch_members[2].pk))[branch_members[2].pk].start is None


def test_advance_payments_are_not_arrears(branch_members):
    m = branch_members[0]
    _basis(m, "3000", month=date(2025, 1, 1))
    for i in range(1, 13):
        _pay(m, date(2025, i, 1))
    f = sel.dues_arrears(Member.objects.filter(pk=m.pk), today=date(2025, 6, 1))[m.pk]
    assert f.arrears_count == 0


# --- roll-up and ledger, fixed queries -------------------------------------------------------------------


def _seed_year(ms, year=2025):
    for i, m in enumerate(ms):
        _basis(m, str(2000 + 1000 * i), month=date(year, 1, 1))
        for month in range(1, 4 + i):
            _pay(m, date(year, month, 1))


def test_rollup_sums(branch_members, personas):
    _seed_year(branch_members)
    result = sel.dues_rollup(personas.district_admin, 2025, today=date(2026, 2, 1))
    by_name = {c.total.name: c for c in result}
    a = by_name["A社区"]
    # Member i pays months 1 … 3+i of 2025: 3, 4, 5 months at 10.00, 15.00, 40.00 a month.
    assert a.total.members == 4  # the three, and the member persona (no basis, no joining date)
    assert a.total.paid == D("30.00") + D("60.00") + D("200.00")
    assert a.total.due == a.total.paid
    assert a.total.unpaid_months == 9 + 8 + 7
    assert a.total.in_arrears == 3
    assert [b.name for b in a.branches] == ["A社区小区党支部"]
    b = by_name["B社区"]
    assert (b.total.members, b.total.paid, b.total.unpaid_months) == (1, 6 * D("50.00"), 6)  # 5000 in service: 50.00
    # Community B's worker sees only B.
    assert [c.total.name for c in sel.dues_rollup(personas.community_b, 2025)] == ["B社区"]


def _queries(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def test_query_counts_do_not_grow_with_members(district, personas, login):
    branch = district.orgs["a"].branch
    few = members(branch, residents(district.a.building, 2), MemberCategory.IN_SERVICE)
    _seed_year(few)
    user = personas.community_a
    client = login(user)
    url_ledger = reverse("party:dues_org", args=[branch.pk]) + "?year=2025"
    api_ledger = f"/api/v1/party/dues/orgs/{branch.pk}?year=2025"
    checks = {
        "rollup": lambda: sel.dues_rollup(user, 2025),
        "ledger": lambda: sel.org_ledger(user, branch, 2025),
        "lapse": lambda: sel.lapsed_member_ids(Member.objects.all()),
        "rollup page": lambda: client.get(reverse("party:dues") + "?year=2025"),
        "ledger page": lambda: client.get(url_ledger),
        "ledger api": lambda: client.get(api_ledger),
        "rollup api": lambda: client.get("/api/v1/party/dues/rollup?year=2025"),
    }
    for fn in checks.values():  # warm up: the scope and the session are cached after the first call
        fn()
    before = {name: _queries(fn) for name, fn in checks.items()}
    more = members(branch, residents(district.a.building, 6, start=300), MemberCategory.IN_SERVICE)
    more += members(district.orgs["a"].group, residents(district.a.building, 3, start=400), MemberCategory.RETIRED)
    _seed_year(more)
    after = {name: _queries(fn) for name, fn in checks.items()}
    assert after == before
    assert before["ledger"] <= 7, before


# --- pages ----------------------------------------------------------------------------------------------


def test_ledger_page_records_a_payment_and_exports(branch_members, personas, login):
    m = branch_members[0]
    _basis(m, "5000", month=date(2025, 1, 1))
    client = login(personas.community_a)
    url = reverse("party:dues_org", args=[m.org_id])
    response = client.get(url, {"year": 2025})
    assert response.status_code == 200
    assert m.person.name in response.content.decode()
    response = client.post(url + "?year=2025", {"member": m.pk, "month": "2025-02", "paid_on": "2025-02-10",
                                                "amount_paid": ""})
    assert response.status_code == 302
    assert DuesPayment.objects.get(member=m).amount_due == D("50.00")
    response = client.post(url, {"member": m.pk, "month": "2025-02", "paid_on": "2025-02-10"})
    assert response.status_code == 200
    assert "already recorded" in response.content.decode()
    response = client.get(url, {"year": 2025, "format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert AuditEvent.objects.filter(action="dues.export_ledger").exists()
    # Someone who sees the branch but may not change it cannot post.
    assert login(personas.grid_worker).post(url, {"member": m.pk, "month": "2025-03",
                                                  "paid_on": "2025-03-10"}).status_code == 404


def test_member_page_sets_basis_without_showing_pay(branch_members, personas, login):
    m = branch_members[0]
    client = login(personas.community_a)
    url = reverse("party:dues_member", args=[m.pk])
    response = client.post(url, {"dues_class": "in_service", "valid_from": "2025-01", "pay": "6543.21"})
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert "5000–10000" in page and "6543" not in page
    response = client.post(url, {"dues_class": "in_service", "valid_from": "2025-01", "pay": ""})
    assert response.status_code == 200 and "after-tax monthly pay" in response.content.decode()


def test_void_page(branch_members, personas, login):
    m = branch_members[0]
    _basis(m, "5000")
    p = _pay(m, date(2025, 1, 1))
    client = login(personas.community_a)
    response = client.post(reverse("party:dues_payment_void", args=[p.pk]), {"reason": "wrong month"})
    assert response.status_code == 302
    p.refresh_from_db()
    assert p.voided_at is not None and p.void_reason == "wrong month"
    assert AuditEvent.objects.filter(action="dues_payment.void", reason="wrong month").exists()


def test_rollup_page_and_export(branch_members, personas, login):
    _seed_year(branch_members)
    client = login(personas.subdistrict_staff)
    page = client.get(reverse("party:dues"), {"year": 2025}).content.decode()
    assert "A社区" in page and "B社区" in page and "A社区小区党支部" in page
    response = client.get(reverse("party:dues"), {"year": 2025, "format": "xlsx"})
    assert response.status_code == 200


def test_member_sees_own_dues(district, personas, login):
    me = Member.objects.get(person=district.a.resident)
    _basis(me, "3000", month=date(2025, 1, 1))
    _pay(me, date(2025, 1, 1))
    page = login(personas.member).get(reverse("party:dues_me")).content.decode()
    assert "2025-01" in page and "15.00" in page
    data = login(personas.member).get("/api/v1/party/dues/me").json()
    assert data["member_id"] == me.pk and data["payments"][0]["amount_due"] == "15.00"


# --- API ------------------------------------------------------------------------------------------------


def _post(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def test_api_basis_payment_and_ledger(branch_members, personas, login):
    m = branch_members[0]
    client = login(personas.community_a)
    base = f"/api/v1/party/dues/members/{m.pk}"
    r = _post(client, f"{base}/basis", {"dues_class": "retired", "valid_from": "2025-01-15", "pay": "6000"})
    assert r.status_code == 201, r.content
    assert r.json()["bracket"] == ">5000" and "pay" not in r.json()
    r = _post(client, f"{base}/payments", {"month": "2025-01-01", "paid_on": "2025-01-20"})
    assert r.status_code == 201 and r.json()["amount_due"] == "60.00"
    r = _post(client, f"{base}/payments", {"month": "2025-01-31", "paid_on": "2025-01-20"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "month"
    r = _post(client, f"{base}/basis", {"dues_class": "in_service", "valid_from": "2025-01-01"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "pay"
    ledger = client.get(f"/api/v1/party/dues/orgs/{m.org_id}?year=2025").json()
    row = next(r for r in ledger["rows"] if r["member_id"] == m.pk)
    assert row["months"][0] == "paid" and ledger["total_paid"] == "60.00"
    history = client.get(base).json()
    assert history["current_bracket"] == ">5000" and len(history["payments"]) == 1
    pid = history["payments"][0]["id"]
    r = _post(client, f"/api/v1/party/dues/payments/{pid}/void", {"reason": "duplicate receipt"})
    assert r.status_code == 200 and r.json()["voided"] is True


def test_api_out_of_scope_is_404(branch_members, personas, login):
    m = branch_members[0]
    _basis(m, "5000")
    client = login(personas.community_b)
    assert _post(client, f"/api/v1/party/dues/members/{m.pk}/payments",
                 {"month": "2025-01-01", "paid_on": "2025-01-20"}).status_code == 404
    assert client.get(f"/api/v1/party/dues/members/{m.pk}").status_code == 404
    assert client.get(f"/api/v1/party/dues/orgs/{m.org_id}").status_code == 404
    assert not DuesPayment.objects.exists()
    assert AuditEvent.objects.filter(action="access.out_of_scope").exists()
