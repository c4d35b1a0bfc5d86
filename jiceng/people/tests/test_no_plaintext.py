"""No phone or ID number of the data stands in plain text anywhere in the database or the logs.

Residents are created with known numbers through the service, the page and the API, then found,
changed and revealed. Then every column of every row of every table is read with raw SQL (session
data decoded too) and, on SQLite, every byte of the database file; the logs of the same flows are
searched as well. Neither the numbers nor their digits-only forms may appear.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.urls import reverse

from jiceng.people.models import Person
from jiceng.people.services import person_create, person_reveal, person_update
from jiceng.testing import make_id_number

# Numbers used nowhere else, in the forms people type them.
SERVICE_PHONE, SERVICE_PHONE_TYPED = "15071234561", "+86 150 7123 4561"
PAGE_PHONE, PAGE_PHONE_TYPED = "18659012372", "0086-186-5901-2372"
API_PHONE = "17750683943"
UPDATED_PHONE = "13358294604"
BAD_PHONE = "059187654329"  # a landline: refused, and must not be logged either


def _id_with_x() -> str:
    for serial in range(600, 1000):
        number = make_id_number("19660315", serial, region="350104")
        if number.endswith("X"):
            return number
    raise AssertionError("no serial with check character X")


SERVICE_ID = _id_with_x()
PAGE_ID = make_id_number("19581009", 731, region="350105")
API_ID = make_id_number("20010622", 419, region="350111")
UPDATED_ID = make_id_number("19941130", 862, region="350121")
BAD_ID = PAGE_ID[:-1] + ("1" if PAGE_ID[-1] != "1" else "2")  # wrong check digit

PHONES = [SERVICE_PHONE, PAGE_PHONE, API_PHONE, UPDATED_PHONE, BAD_PHONE]
IDS = [SERVICE_ID, PAGE_ID, API_ID, UPDATED_ID, BAD_ID]


def _needles() -> list[str]:
    """Every number, its digits-only form, and an ID's 17 leading digits (its form without the check)."""
    out = set(PHONES)
    for number in IDS:
        out |= {number, number.lower(), number[:17]}
    out |= {SERVICE_PHONE_TYPED.replace(" ", ""), "".join(c for c in SERVICE_PHONE_TYPED if c.isdigit())}
    out |= {"".join(c for c in PAGE_PHONE_TYPED if c.isdigit())}
    return sorted(out)


def _run_flows(district, personas, client) -> None:
    """Create, find, change, reveal, fail validation and hit a 404: the flows that touch numbers."""
    a = personas.community_a
    person = person_create(
        actor=a, name="明文检查甲", phone=SERVICE_PHONE_TYPED, id_number=SERVICE_ID.lower(), home=district.a.building
    )
    client.force_login(a)
    created = client.post(
        reverse("people:search"),
        {
            "action": "create",
            "name": "明文检查乙",
            "phone": PAGE_PHONE_TYPED,
            "id_number": PAGE_ID,
            "community": district.a.area.pk,
            "home": district.a.building.pk,
        },
    )
    assert created.status_code == 302
    response = client.post(
        "/api/v1/people/",
        {"name": "明文检查丙", "phone": API_PHONE, "id_number": API_ID, "home_id": district.a.building.pk},
        content_type="application/json",
    )
    assert response.status_code == 201
    api_person = response.json()["id"]
    # A failing validation on the page and in the API.
    failed = client.post(
        reverse("people:search"),
        {
            "action": "create",
            "name": "明文检查丁",
            "phone": BAD_PHONE,
            "id_number": BAD_ID,
            "community": district.a.area.pk,
            "home": district.a.building.pk,
        },
    )
    assert failed.status_code == 200 and not Person.objects.filter(name="明文检查丁").exists()
    assert (
        client.post(
            "/api/v1/people/",
            {"name": "明文检查丁", "phone": BAD_PHONE, "id_number": BAD_ID, "home_id": district.a.building.pk},
            content_type="application/json",
        ).status_code
        == 422
    )
    # Searches by exact number.
    for phone in (SERVICE_PHONE, PAGE_PHONE_TYPED):
        assert "明文检查" in client.post(reverse("people:search"), {"action": "find", "phone": phone}).content.decode()
    assert (
        client.post("/api/v1/people/search", {"id_number": API_ID}, content_type="application/json").json()["count"]
        == 1
    )
    # A change of both numbers, then reveals on the page and in the API.
    person_update(actor=a, person=person, phone=UPDATED_PHONE, id_number=UPDATED_ID)
    page = client.post(reverse("people:detail", args=[person.pk]), {"field": "phone", "reason": "明文检查"})
    assert UPDATED_PHONE in page.content.decode()
    assert (
        client.post(
            f"/api/v1/people/{api_person}/reveal",
            {"field": "id_number", "reason": "明文检查"},
            content_type="application/json",
        ).json()["value"]
        == API_ID
    )
    assert (
        person_reveal(actor=a, person=Person.objects.get(pk=api_person), field="phone", reason="明文检查") == API_PHONE
    )
    # An out-of-scope attempt (404, logged as a security event).
    client.force_login(personas.community_b)
    assert client.get(reverse("people:detail", args=[person.pk])).status_code == 404
    assert client.get(f"/api/v1/people/{api_person}").status_code == 404


def _all_rows_text() -> str:
    """Every value of every row of every table, as text; session payloads decoded."""
    parts: list[str] = []
    quote = connection.ops.quote_name
    with connection.cursor() as cur:
        for table in connection.introspection.table_names(cur):
            cur.execute(f"SELECT * FROM {quote(table)}")  # noqa: S608 - table names from introspection
            for row in cur.fetchall():
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        parts.append(bytes(value).decode("latin-1"))
                    else:
                        parts.append(str(value))
        # Session payloads are signed base64: decode them, so nothing hides inside.
        cur.execute("SELECT session_data FROM django_session")
        for (session_data,) in cur.fetchall():
            parts.append(repr(SessionStore().decode(session_data)))
    return "\n".join(parts)


@pytest.mark.django_db
def test_no_plain_number_in_any_table_or_the_database_file(district, personas, client):
    _run_flows(district, personas, client)
    assert Person.objects.filter(name__startswith="明文检查").count() == 3
    text = _all_rows_text()
    assert "明文检查乙" in text and "133****4604" in text  # the scan sees the data
    for needle in _needles():
        assert needle not in text, f"a personal number stands in plain text in the database ({needle[:3]}…)"

    if connection.vendor == "sqlite":
        # The database file itself, page by page, as this connection sees it (the test runs in a
        # transaction; the test database lives in memory, so serialize() yields its file image).
        connection.ensure_connection()
        images = {"database image": connection.connection.serialize()}
        name = str(connection.settings_dict["NAME"])
        if "memory" not in name:
            for suffix in ("", "-wal", "-journal"):
                path = Path(name + suffix)
                if path.exists():
                    images[path.name] = path.read_bytes()
        assert "明文检查乙".encode() in images["database image"]  # the image holds the data we look through
        for label, raw in images.items():
            for needle in _needles():
                assert needle.encode() not in raw, f"plain number in the {label} ({needle[:3]}…)"


@pytest.mark.django_db
def test_no_plain_number_in_the_logs(district, personas, client, tmp_path, caplog):
    log_file = tmp_path / "flows.log"
    handler = logging.FileHandler(log_file)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    sql = logging.getLogger("django.db.backends")
    old_root, old_sql, old_debug = root.level, sql.level, connection.force_debug_cursor
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    sql.setLevel(logging.DEBUG)
    connection.force_debug_cursor = True  # log every SQL statement with its parameters
    try:
        with caplog.at_level(logging.DEBUG):
            _run_flows(district, personas, client)
    finally:
        connection.force_debug_cursor = old_debug
        root.removeHandler(handler)
        root.setLevel(old_root)
        sql.setLevel(old_sql)
        handler.close()
    written = log_file.read_text(encoding="utf-8")
    captured = caplog.text + "\n".join(str(r.args) + r.getMessage() + (r.exc_text or "") for r in caplog.records)
    # The logs really did record the flows (SQL, the 404s), so their silence about numbers means something.
    assert "people_person" in written and "Not Found" in captured
    for needle in _needles():
        assert needle not in written, f"plain number in the log file ({needle[:3]}…)"
        assert needle not in captured, f"plain number in a log record ({needle[:3]}…)"


@pytest.mark.django_db
def test_the_scan_would_find_a_planted_number(district):
    """The checks above can fail: a number planted in a free-text column is found by both scans."""
    Person.objects.filter(pk=district.a.resident.pk).update(room=UPDATED_PHONE)
    assert UPDATED_PHONE in _all_rows_text()
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        assert UPDATED_PHONE.encode() in connection.connection.serialize()
