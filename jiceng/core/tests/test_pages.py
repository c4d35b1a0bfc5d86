"""The import page, exports and templates over HTTP."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from jiceng.accounts.models import AuditEvent
from jiceng.areas.models import Area
from jiceng.core.excel import XLSX
from jiceng.core.exchange.importing import workbook_import
from jiceng.party.models import PartyOrg
from jiceng.units.models import Unit

from .access_cases import CASES
from .sheets import AREA_HEADER_EN, read_xlsx, xlsx

pytestmark = pytest.mark.django_db

A = "350102001001"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _upload(content: bytes, name: str = "areas.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=XLSX)


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.method} {c.route}")
def test_access(case, district, personas, client):
    for name in case.allowed + case.denied:
        client.force_login(getattr(personas, name))
        response = getattr(client, case.method)(case.url(district), case.data or {})
        if name in case.denied:
            assert response.status_code == 404, name
        else:
            assert response.status_code != 404, name


def test_anonymous_is_sent_to_sign_in(client, district):
    response = client.get(reverse("core:import"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_import_page_shows_the_form_and_the_downloads(login, personas):
    response = login(personas.community_a).get(reverse("core:import"), **EN)
    body = response.content.decode()
    assert response.status_code == 200
    assert 'enctype="multipart/form-data"' in body
    for kind in ("areas", "party_orgs", "units"):
        assert reverse("core:template", args=[kind]) in body
        assert reverse("core:export", args=[kind]) in body


def test_a_good_upload_imports_and_says_how_many(login, personas):
    client = login(personas.community_a)
    content = xlsx(AREA_HEADER_EN, [A + "002", "grid 2", "grid", A, 0, 0, None, None, "", None])
    response = client.post(
        reverse("core:import"), {"kind": "areas", "file": _upload(content)}, follow=True, **EN
    )
    assert response.status_code == 200
    assert "Imported 1 rows of Areas from areas.xlsx." in response.content.decode()
    assert Area.objects.filter(code=A + "002").exists()
    assert AuditEvent.objects.get(action="import.areas").ip == "127.0.0.1"


def test_a_bad_upload_lists_every_problem_and_writes_nothing(login, personas):
    client = login(personas.community_b)
    content = xlsx(
        AREA_HEADER_EN,
        [A + "002", "into A", "grid", A, 0, 0, None, None, "", None],
        ["350102001002002", "bad count", "grid", "350102001002", "lots", 0, None, None, "", None],
    )
    before = Area.objects.count()
    response = client.post(reverse("core:import"), {"kind": "areas", "file": _upload(content)}, **EN)
    body = response.content.decode()
    assert response.status_code == 200
    assert "the file has 2 problems" in body
    assert '<td class="num">2</td><td>Parent code</td>' in body
    assert '<td class="num">3</td><td>Population</td><td>Enter a whole number.</td>' in body
    assert Area.objects.count() == before


def test_a_file_that_is_not_xlsx_is_refused_on_the_page(login, personas):
    client = login(personas.district_admin)
    response = client.post(
        reverse("core:import"), {"kind": "units", "file": _upload(b"<html>not excel</html>", "units.xlsx")}, **EN
    )
    assert "This is not an Excel .xlsx file." in response.content.decode()


def test_an_upload_without_a_file_gets_a_field_error(login, personas):
    response = login(personas.district_admin).post(reverse("core:import"), {"kind": "areas"}, **EN)
    assert response.status_code == 200 and "This field is required." in response.content.decode()


def test_export_download_is_an_xlsx_in_the_import_columns(login, personas):
    response = login(personas.community_a).get(reverse("core:export", args=["areas"]), **EN)
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    assert response["Content-Disposition"].startswith('attachment; filename="Areas-')
    rows = read_xlsx(response.content)
    assert rows[0] == AREA_HEADER_EN
    assert [r[0] for r in rows[1:]] == [A, A + "001", A + "001001", A + "001001001"]
    assert AuditEvent.objects.filter(action="export.areas", actor=personas.community_a).count() == 1


def test_an_unknown_kind_is_404(login, personas):
    client = login(personas.district_admin)
    assert client.get(reverse("core:export", args=["people"])).status_code == 404
    assert client.get(reverse("core:template", args=["people"])).status_code == 404


def test_the_templates_import_as_they_are(login, personas):
    """Each template's example row fits the test district: areas, then units, then Party organizations."""
    client = login(personas.district_admin)
    before = (Area.objects.count(), Unit.objects.count(), PartyOrg.objects.count())
    for kind in ("areas", "units", "party_orgs"):
        response = client.get(reverse("core:template", args=[kind]), **EN)
        assert response.status_code == 200 and response["Content-Type"] == XLSX
        result = workbook_import(actor=personas.district_admin, kind=kind, content=response.content)
        assert result.errors == [], kind
    assert (Area.objects.count(), Unit.objects.count(), PartyOrg.objects.count()) == tuple(n + 1 for n in before)


def test_chinese_is_the_default_language_of_downloads(login, personas):
    response = login(personas.district_admin).get(reverse("core:template", args=["areas"]))
    header = read_xlsx(response.content)[0]
    # whatever the catalogue says, the import reads its own headers back
    result = workbook_import(actor=personas.district_admin, kind="areas", content=response.content)
    assert result.ok and len(header) == 10
