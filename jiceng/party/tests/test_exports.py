"""Every Party list exports to Excel (issue #4): each export is a real .xlsx that openpyxl reads, with a
header row, is written to the audit log as an export, and is refused (404) to a persona who may read the
page but holds no export right (the grid worker) and to the member, who sees only their own pages."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.urls import reverse

from jiceng.accounts.models import AuditEvent, AuditKind
from jiceng.core.excel import XLSX
from jiceng.party.models import Member

pytestmark = pytest.mark.django_db


def _member(d) -> int:
    return Member.objects.get(person=d.a.resident).pk


# (what the list is, its URL with the export asked for, the first header in English)
EXPORTS = [
    ("organization tree", lambda d: reverse("party:tree"), "Code"),
    ("members", lambda d: reverse("party:members", args=[d.orgs["a"].branch.pk]), "Full name"),
    ("re-elections due", lambda d: reverse("party:due"), None),
    ("registrations", lambda d: reverse("party:dualreg_registrations"), "Kind"),
    ("counts per community", lambda d: reverse("party:dualreg_registrations") + "?table=community", "Community"),
    ("counts per workplace organization", lambda d: reverse("party:dualreg_registrations") + "?table=org",
     "Organization"),
    ("registrations by building", lambda d: reverse("party:dualreg_buildings"), "Building"),
    ("service list", lambda d: reverse("party:dualreg_items"), "Community"),
    ("claims and records", lambda d: reverse("party:dualreg_records"), "Member"),
    ("pledges", lambda d: reverse("party:dualreg_pledges"), "Member"),
    ("dual report", lambda d: reverse("party:dualreg_report"), "Workplace organization"),
    ("meetings", lambda d: reverse("party:meetings"), "Organization"),
    ("compliance calendar", lambda d: reverse("party:meeting_compliance", args=[d.orgs["a"].branch.pk]) + "?year=2025",
     "Organization"),
    ("compliance roll-up", lambda d: reverse("party:meeting_rollup") + "?year=2025&quarter=1", "Organization"),
    ("attendance lapses", lambda d: reverse("party:meeting_lapses"), "Member"),
    ("dues roll-up", lambda d: reverse("party:dues") + "?year=2025", "Community"),
    ("dues ledger", lambda d: reverse("party:dues_org", args=[d.orgs["a"].branch.pk]) + "?year=2025", "Name"),
    ("points ranking", lambda d: reverse("party:points") + "?year=2025", "Member"),
    ("points ledger", lambda d: reverse("party:points_member", args=[_member(d)]) + "?year=2025", "Date"),
    ("awards to decide", lambda d: reverse("party:points_awards"), "Member"),
    ("identity boards", lambda d: reverse("party:boards"), "Compound"),
]


def _with_format(url: str) -> str:
    return url + ("&" if "?" in url else "?") + "format=xlsx"


@pytest.mark.parametrize(("name", "url", "first"), EXPORTS, ids=[e[0] for e in EXPORTS])
def test_every_list_exports_to_excel_for_staff_only(name, url, first, district, personas, client):
    target = _with_format(url(district))
    client.force_login(personas.community_a)
    before = AuditEvent.objects.filter(kind=AuditKind.EXPORT).count()
    response = client.get(target, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200, name
    assert response["Content-Type"] == XLSX and response["Content-Disposition"].endswith('.xlsx"')
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    header = next(sheet.iter_rows(max_row=1, values_only=True))
    assert all(header), name
    if first:
        assert header[0] == first, (name, header)
    assert AuditEvent.objects.filter(kind=AuditKind.EXPORT).count() == before + 1, name
    for persona in ("grid_worker", "member"):
        client.force_login(getattr(personas, persona))
        assert client.get(target).status_code == 404, (name, persona)
