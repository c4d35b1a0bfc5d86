"""12345 hotline work orders: import from Excel and CSV (UTF-8, with BOM, GB18030), all or nothing,
every bad row by row and column, idempotent by ticket number; and the push endpoint."""

from __future__ import annotations

import io
import json

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone, translation
from openpyxl import Workbook

from jiceng.accounts.models import AuditEvent
from jiceng.cases.hotline_import import hotline_import
from jiceng.cases.models import Case, CaseEvent, DispatchCatalogue, HotlineTicket
from jiceng.cases.services import taxonomy_load_default
from jiceng.core.exchange.importing import workbook_import

pytestmark = pytest.mark.django_db

HEADER = ["工单编号", "来电时间", "诉求类型", "诉求分类", "诉求内容", "诉求地址", "所属街道/社区", "楼栋编码",
          "联系人", "联系电话", "紧急程度", "办结时限"]


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def taxonomy(district):
    taxonomy_load_default()
    from jiceng.cases.models import Category

    DispatchCatalogue.objects.create(category=Category.objects.get(code="C01"), area=district.s1,
                                     unit=district.department)


def rows_ok(district) -> list[list]:
    b = district.a.building.code
    return [
        ["T-0001", "2026-11-30 09:15", "投诉", "C0108", "A社区小区1号楼门口路灯坏了，晚上一片漆黑", "示例路1号", "", b,
         "王女士", "13812345678", "一般", "2026-12-05"],
        ["T-0002", "2026/11/30 10:02", "求助", "", "想咨询一下社区老年食堂的开放时间", "", district.a.area.code, "",
         "李先生", "139 1234 5678", "", ""],
    ]


def xlsx(rows, header=HEADER) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def csv_bytes(rows, encoding="utf-8", header=HEADER) -> bytes:
    import csv

    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue().encode(encoding)


def test_excel_import_creates_hotline_cases_and_reimport_changes_nothing(personas, district, taxonomy):
    content = xlsx(rows_ok(district))
    result = hotline_import(actor=personas.community_a, content=content, filename="orders.xlsx")
    assert result.ok, result.errors
    assert (result.rows, result.created, result.unchanged) == (2, 2, 0)
    first = Case.objects.get(source_ref="T-0001")
    assert first.channel == "hotline_12345" and first.category.code == "C0108"
    assert first.building == district.a.building and first.state == "registered"
    assert first.reporter_phone_masked == "138****5678"
    ticket = HotlineTicket.objects.get(ticket="T-0001")
    assert ticket.case == first and ticket.request_type == "complaint" and ticket.via == "import"
    assert timezone.localtime(ticket.due_at).isoformat() == "2026-12-05T23:59:59+08:00"  # a date runs to its end
    second = Case.objects.get(source_ref="T-0002")
    assert second.category.code == "R02"  # no category: the request type's own class
    events, audits = CaseEvent.objects.count(), AuditEvent.objects.count()

    again = hotline_import(actor=personas.community_a, content=content, filename="orders.xlsx")
    assert again.ok and (again.created, again.unchanged) == (0, 2)
    assert Case.objects.count() == 2 and CaseEvent.objects.count() == events
    assert AuditEvent.objects.count() == audits + 1  # the import itself is recorded, nothing else


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_in_each_encoding_reads_the_same(personas, district, taxonomy, encoding):
    result = hotline_import(actor=personas.community_a, content=csv_bytes(rows_ok(district), encoding),
                            filename="orders.csv")
    assert result.ok, result.errors
    assert result.created == 2
    assert Case.objects.get(source_ref="T-0001").description.startswith("A社区小区1号楼门口路灯坏了")


def test_english_headers_are_accepted(personas, district, taxonomy):
    header = ["Ticket number", "call time", "request_type", "category", "Request content", "address", "area",
              "building_code", "contact", "phone", "urgency", "due_at"]
    result = hotline_import(actor=personas.community_a, content=csv_bytes(rows_ok(district), header=header))
    assert result.ok, result.errors


def test_every_bad_row_is_reported_and_nothing_is_written(personas, district, taxonomy):
    rows = rows_ok(district) + [
        ["T-0003", "2026-02-30 09:00", "投诉", "C0108", "内容", "", "", "", "", "", "", ""],  # bad date
        ["T-0004", "2026-11-30 09:00", "投诉", "不存在的分类", "内容", "", "", "", "", "", "", ""],  # unknown category
        ["T-0005", "2026-11-30 09:00", "投诉", "C0108", "内容", "", "", "", "", "12345", "", ""],  # bad phone
        ["T-0001", "2026-11-30 09:00", "投诉", "C0108", "内容", "", "", "", "", "", "", ""],  # duplicate ticket
        ["T-0006", "2026-11-30 09:00", "吐槽", "", "内容", "", "", "", "", "", "", ""],  # unknown request type
        ["T-0007", "2026-11-30 09:00", "投诉", "市容环境", "内容", "", "", "", "", "", "", ""],  # ambiguous name
        ["T-0008", "2026-11-30 09:00", "投诉", "C0108", "", "", district.c.area.code, "", "", "", "", ""],
    ]
    result = hotline_import(actor=personas.community_a, content=xlsx(rows), filename="bad.xlsx")
    assert not result.ok
    got = {(e.row, e.column) for e in result.errors}
    assert {(4, "来电时间"), (5, "诉求分类"), (6, "联系电话"), (7, "工单编号"), (8, "诉求类型"), (9, "诉求分类"),
            (10, "诉求内容"), (10, "所属街道/社区")} <= got, result.errors
    messages = {(e.row, e.column): e.message for e in result.errors}
    assert "row 2" in messages[(7, "工单编号")]
    assert "C03" in messages[(9, "诉求分类")] and "E01" in messages[(9, "诉求分类")]
    assert Case.objects.count() == 0 and HotlineTicket.objects.count() == 0


def test_wrong_header_refuses_the_file(personas, district, taxonomy):
    header = ["工单编号", "来电日期", "诉求内容"]
    result = hotline_import(actor=personas.community_a, content=csv_bytes([["T-1", "2026-11-30", "x"]],
                                                                          header=header))
    assert not result.ok
    assert {(e.row, e.column) for e in result.errors} == {(1, "来电日期"), (1, "Call time")}


def test_not_a_text_file_is_refused(personas, taxonomy):
    result = hotline_import(actor=personas.community_a, content=b"\xff\xfe\x00\x00garbage\x00", filename="x.csv")
    assert not result.ok and result.errors[0].row is None


def test_a_file_partly_imported_before_adds_only_the_new_rows(personas, district, taxonomy):
    rows = rows_ok(district)
    assert hotline_import(actor=personas.community_a, content=xlsx(rows[:1])).created == 1
    result = hotline_import(actor=personas.community_a, content=xlsx(rows))
    assert (result.created, result.unchanged) == (1, 1)
    assert Case.objects.filter(channel="hotline_12345").count() == 2


def test_out_of_scope_building_is_an_error_like_an_unknown_one(personas, district, taxonomy):
    rows = [["T-9", "2026-11-30 09:15", "投诉", "C0108", "路灯坏了", "", "", district.c.building.code, "", "", "", ""]]
    result = hotline_import(actor=personas.community_a, content=xlsx(rows))
    assert [(e.row, e.column) for e in result.errors] == [(2, "楼栋编码")]
    assert AuditEvent.objects.filter(action="import.out_of_scope").exists()


def test_only_reporters_import(personas, district, taxonomy):
    with pytest.raises(PermissionDenied):
        hotline_import(actor=personas.auditor, content=xlsx(rows_ok(district)))


def test_a_grid_as_area_places_the_case_for_a_district_admin(personas, district, taxonomy):
    rows = [["T-G", "2026-11-30 09:15", "投诉", "C0108", "路灯坏了", "", district.a.grid.code, "", "", "", "", ""]]
    assert hotline_import(actor=personas.district_admin, content=xlsx(rows)).ok
    case = Case.objects.get(source_ref="T-G")
    assert case.grid_id == district.a.grid.pk and case.state == "registered"
    assert [e.transition for e in case.events.order_by("seq")] == ["report", "route"]


def test_cli_imports_hotline_file_as_a_user(personas, district, taxonomy, tmp_path, capsys):
    path = tmp_path / "orders.csv"
    path.write_bytes(csv_bytes(rows_ok(district), "gb18030"))
    call_command("import", "hotline", str(path), "--as", personas.community_a.username)
    call_command("import", "hotline", str(path), "--as", personas.community_a.username)
    out = capsys.readouterr().out
    assert "Imported 2 rows" in out and "2 rows were imported before and are unchanged" in out
    with pytest.raises(CommandError):
        call_command("import", "hotline", str(path))


def test_workbook_import_hands_hotline_files_to_the_cases_app(personas, district, taxonomy):
    result = workbook_import(actor=personas.community_a, kind="hotline", content=xlsx(rows_ok(district)))
    assert result.ok and result.created == 2


# --- push ------------------------------------------------------------------------------------------


def _push(client, body):
    return client.post("/api/v1/cases/hotline/orders", data=json.dumps(body), content_type="application/json")


@pytest.fixture
def api_client(personas, client):
    from jiceng.accounts.api_auth import token_digest, token_new_value
    from jiceng.accounts.models import ApiToken

    raw = token_new_value()
    ApiToken.objects.create(user=personas.community_a, name="12345", digest=token_digest(raw))
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    return client


def test_push_creates_once_then_returns_the_same_case(api_client, district, taxonomy):
    body = {"ticket": "P-1", "received_at": "2026-11-30T09:15:00+08:00", "request_type": "complaint",
            "category": "C0108", "description": "路灯不亮", "building_code": district.a.building.code,
            "reporter_phone": "13812345678"}
    first = _push(api_client, body)
    assert first.status_code == 201, first.content
    number = first.json()["number"]
    again = _push(api_client, body)
    assert again.status_code == 200 and again.json()["number"] == number and again.json()["created"] is False
    changed = _push(api_client, {**body, "category": "NOPE", "description": "改了"})
    assert changed.status_code == 200 and changed.json()["number"] == number  # the ticket decides, once
    assert Case.objects.filter(source_ref="P-1").count() == 1


def test_push_bad_fields_get_422_per_field(api_client, district, taxonomy):
    body = {"ticket": "P-2", "received_at": "not a time", "category": "NOPE", "description": "x",
            "reporter_phone": "12"}
    response = _push(api_client, body)
    assert response.status_code == 422
    fields = {tuple(d["loc"])[-1] for d in response.json()["detail"]}
    assert {"received_at", "category", "reporter_phone"} <= fields, response.json()


# --- the page ------------------------------------------------------------------------------------------


def test_import_page_shows_every_problem_then_imports_and_says_unchanged(personas, district, taxonomy, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"  # messages matched in the English source
    client.force_login(personas.community_a)
    page = client.get("/cases/hotline/import/")
    assert page.status_code == 200 and "工单编号" in page.content.decode()
    bad = rows_ok(district) + [["T-0003", "昨天", "投诉", "C0108", "内容", "", "", "", "", "", "", ""]]
    response = client.post("/cases/hotline/import/",
                           {"file": SimpleUploadedFile("bad.csv", csv_bytes(bad), "text/csv")})
    body = response.content.decode()
    assert response.status_code == 200 and 'id="import-errors"' in body and "来电时间" in body
    assert Case.objects.count() == 0
    good = csv_bytes(rows_ok(district), "gb18030")
    done = client.post("/cases/hotline/import/", {"file": SimpleUploadedFile("ok.csv", good, "text/csv")},
                       follow=True)
    assert "Imported 2 rows" in done.content.decode()
    again = client.post("/cases/hotline/import/", {"file": SimpleUploadedFile("ok.csv", good, "text/csv")},
                        follow=True)
    assert "2 rows were imported before and are unchanged" in again.content.decode()
    assert Case.objects.count() == 2


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL")
def test_the_same_ticket_pushed_twice_at_once_makes_one_case(transactional_db, personas, district, taxonomy):
    import threading

    from jiceng.cases.hotline_import import hotline_order_read
    from jiceng.cases.hotline_services import hotline_receive

    fields = {"ticket": "RACE-1", "received_at": "2026-11-30 09:15", "category": "C0108", "description": "路灯不亮",
              "building_code": district.a.building.code}
    order = hotline_order_read(actor=personas.community_a, fields=fields)
    barrier = threading.Barrier(2)
    numbers: list[tuple[str, bool]] = []

    def push() -> None:
        try:
            barrier.wait(timeout=10)
            case, created = hotline_receive(actor=personas.community_a, order=order, via="push")
            numbers.append((case.number, created))
        finally:
            connection.close()

    threads = [threading.Thread(target=push) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(c for _n, c in numbers) == [False, True]
    assert len({n for n, _c in numbers}) == 1
    assert HotlineTicket.objects.filter(ticket="RACE-1").count() == 1
