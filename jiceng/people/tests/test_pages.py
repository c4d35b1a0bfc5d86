"""The people pages: search (name by GET, numbers by POST), create, detail, reveal, edit, my page."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from jiceng.accounts.models import AuditEvent, AuditKind
from jiceng.people.models import Person
from jiceng.people.services import person_create
from jiceng.testing import make_id_number

PHONE = "13912340002"
ID_NUMBER = make_id_number("19820420", 555)


@pytest.fixture
def resident(district, personas):
    return person_create(
        actor=None, name="李秀英", phone=PHONE, id_number=ID_NUMBER, home=district.a.building, room="301"
    )


@pytest.fixture
def en(settings):
    settings.LANGUAGE_CODE = "en"


def test_name_search_lists_masked_values(login, personas, resident):
    client = login(personas.community_a)
    response = client.get(reverse("people:search"), {"name": "秀英"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "李秀英" in html and "139****0002" in html and resident.id_masked in html
    assert PHONE not in html and ID_NUMBER not in html
    assert reverse("people:detail", args=[resident.pk]) in html
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_community_b_does_not_find_a_resident_of_a(login, personas, resident):
    html = login(personas.community_b).get(reverse("people:search"), {"name": "秀英"}).content.decode()
    assert "李秀英" not in html


def test_exact_search_is_posted_and_finds_by_phone_and_id(login, personas, resident):
    client = login(personas.community_a)
    response = client.post(reverse("people:search"), {"action": "find", "phone": "+86 139 1234 0002"})
    assert response.status_code == 200 and "李秀英" in response.content.decode()
    response = client.post(reverse("people:search"), {"action": "find", "id_number": ID_NUMBER})
    assert "李秀英" in response.content.decode()
    html = login(personas.community_b).post(reverse("people:search"), {"action": "find", "phone": PHONE}).content
    assert "李秀英" not in html.decode()


def test_exact_search_form_posts_and_never_uses_get(login, personas):
    html = login(personas.community_a).get(reverse("people:search")).content.decode()
    # The phone/ID inputs live only inside a POST form.
    form = html[html.index('name="action" value="find"') - 400 : html.index('name="action" value="find"')]
    assert 'method="post"' in form


def test_bad_exact_search_shows_field_errors(login, personas, en):
    response = login(personas.community_a).post(
        reverse("people:search"), {"action": "find", "phone": "0591-87654321"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "Enter a valid mobile phone number of 11 digits." in response.content.decode()


def test_excel_export_of_a_name_search_is_masked_and_audited(login, personas, resident):
    response = login(personas.community_a).get(reverse("people:search"), {"name": "秀英", "format": "xlsx"})
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(response.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[1][0] == "李秀英" and rows[1][3] == "139****0002" and rows[1][4] == resident.id_masked
    text = repr(rows)
    assert PHONE not in text and ID_NUMBER not in text
    assert AuditEvent.objects.filter(kind=AuditKind.EXPORT, action="person.export").exists()


def test_grid_worker_cannot_export(login, personas, resident):
    client = login(personas.grid_worker)
    assert "李秀英" in client.get(reverse("people:search")).content.decode()
    assert client.get(reverse("people:search"), {"format": "xlsx"}).status_code == 404


def test_pagination(login, personas, district):
    for n in range(25):
        person_create(actor=None, name=f"分页{n:02d}", home=district.a.building)
    client = login(personas.community_a)
    first = client.get(reverse("people:search"), {"name": "分页", "size": 20}).content.decode()
    second = client.get(reverse("people:search"), {"name": "分页", "size": 20, "page": 2}).content.decode()
    assert "分页00" in first and "分页19" in first and "分页20" not in first
    assert "分页20" in second and "分页24" in second
    assert "page=2" in first and "name=" in first


def test_create_resident_with_errors_keeps_values(login, personas, district, en):
    client = login(personas.community_a)
    wrong_id = ID_NUMBER[:-1] + ("1" if ID_NUMBER[-1] != "1" else "2")
    response = client.post(
        reverse("people:search"),
        {
            "action": "create",
            "name": "赵新",
            "phone": "12345",
            "id_number": wrong_id,
            "community": district.a.area.pk,
            "home": district.a.building.pk,
            "room": "808",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    html = response.content.decode()
    assert "Enter a valid mobile phone number of 11 digits." in html
    assert "check digit is wrong" in html
    assert 'value="赵新"' in html and 'value="808"' in html
    assert not Person.objects.filter(name="赵新").exists()


def test_create_resident(login, personas, district):
    client = login(personas.community_a)
    response = client.post(
        reverse("people:search"),
        {
            "action": "create",
            "name": "赵新",
            "phone": "139 1234 0003",
            "id_number": make_id_number("19900101", 777),
            "community": district.a.area.pk,
            "home": district.a.building.pk,
            "room": "808",
        },
    )
    person = Person.objects.get(name="赵新")
    assert response.status_code == 302 and response["Location"] == reverse("people:detail", args=[person.pk])
    assert person.phone_masked == "139****0003" and person.community_id == district.a.area.pk


def test_create_into_another_community_is_refused(login, personas, district):
    client = login(personas.community_b)
    client.post(
        reverse("people:search"),
        {"action": "create", "name": "越界", "community": district.a.area.pk, "home": district.a.building.pk},
    )
    assert not Person.objects.filter(name="越界").exists()


def test_grid_worker_cannot_create(login, personas, district):
    response = login(personas.grid_worker).post(
        reverse("people:search"), {"action": "create", "name": "x", "home": district.a.building.pk}
    )
    assert response.status_code == 404


def test_building_picker_follows_the_community(login, personas, district):
    client = login(personas.subdistrict_staff)
    html = client.get(reverse("people:buildings"), {"community": district.b.area.pk}).content.decode()
    assert district.b.building.name in html and district.a.building.name not in html
    assert (
        login(personas.community_a).get(reverse("people:buildings"), {"community": district.b.area.pk}).status_code
        == 404
    )


def test_detail_page_masks_and_shows_posts(login, personas, resident, district):
    html = login(personas.community_a).get(reverse("people:detail", args=[resident.pk])).content.decode()
    assert "李秀英" in html and "139****0002" in html and resident.id_masked in html
    assert PHONE not in html and ID_NUMBER not in html
    assert "1982-04-20" not in html  # the birth date beside the ID mask would spell out the number
    assert district.a.compound.name in html and district.a.building.name in html


def test_sensitive_tags_only_with_permission(login, personas, resident):
    resident.sensitive_tags = ["community_corrections"]
    resident.save()
    url = reverse("people:detail", args=[resident.pk])
    assert "community_corrections" not in login(personas.subdistrict_staff).get(url).content.decode()
    html = login(personas.subdistrict_staff).get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Community corrections" not in html and "社区矫正" not in html
    html = login(personas.community_a).get(url).content.decode()
    assert "社区矫正" in html or "Community corrections" in html


def test_reveal_on_the_page(login, personas, resident):
    client = login(personas.community_a)
    url = reverse("people:detail", args=[resident.pk])
    response = client.post(url, {"field": "phone", "reason": "ab"})
    assert response.status_code == 400 and PHONE not in response.content.decode()
    assert not AuditEvent.objects.filter(kind=AuditKind.REVEAL).exists()
    response = client.post(url, {"field": "phone", "reason": "上门核实身份"})
    assert response.status_code == 200 and PHONE in response.content.decode()
    event = AuditEvent.objects.get(kind=AuditKind.REVEAL)
    assert event.reason == "上门核实身份" and event.changes == {"field": "phone"}
    # Shown once: the next view of the page is masked again.
    assert PHONE not in client.get(url).content.decode()


def test_reveal_is_404_without_permission(login, personas, resident):
    url = reverse("people:detail", args=[resident.pk])
    client = login(personas.grid_worker)
    assert client.get(url).status_code == 200
    assert client.post(url, {"field": "phone", "reason": "上门核实身份"}).status_code == 404
    assert not AuditEvent.objects.filter(kind=AuditKind.REVEAL).exists()


def test_edit_page(login, personas, resident, district):
    client = login(personas.community_a)
    url = reverse("people:edit", args=[resident.pk])
    html = client.get(url).content.decode()
    assert "李秀英" in html and PHONE not in html and ID_NUMBER not in html
    assert "1982-04-20" not in html  # the birth date would complete the ID mask
    version = resident.updated_at.isoformat()
    response = client.post(
        url,
        {
            "name": "李秀英",
            "phone": "",
            "id_number": "",
            "community": district.a.area.pk,
            "home": district.a.building.pk,
            "room": "302",
            "version": version,
        },
    )
    assert response.status_code == 302
    resident.refresh_from_db()
    assert resident.room == "302" and resident.phone_masked == "139****0002"  # empty keeps the number
    # The same stale version again is a conflict, not a silent overwrite.
    response = client.post(
        url,
        {
            "name": "李秀英",
            "community": district.a.area.pk,
            "home": district.a.building.pk,
            "room": "9",
            "version": version,
        },
    )
    assert response.status_code == 200
    resident.refresh_from_db()
    assert resident.room == "302"


def test_edit_can_remove_the_phone(login, personas, resident, district):
    login(personas.community_a).post(
        reverse("people:edit", args=[resident.pk]),
        {"name": "李秀英", "clear_phone": "on", "community": district.a.area.pk, "home": district.a.building.pk},
    )
    resident.refresh_from_db()
    assert resident.phone_masked == "" and resident.phone_encrypted == ""


def test_my_page_for_a_member(login, personas, district):
    html = login(personas.member).get(reverse("people:me")).content.decode()
    assert district.a.resident.name in html
    assert district.a.resident.phone_masked in html
    assert district.orgs["a"].branch.name in html


def test_number_errors_show_even_when_another_field_is_missing(login, personas, district):
    response = login(personas.community_a).post(
        reverse("people:search"),
        {
            "action": "create",
            "name": "缺楼栋",
            "phone": "12345",
            "id_number": "350102199001011231",
            "community": district.a.area.pk,
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    html = response.content.decode()
    assert "This field is required." in html  # the building
    assert "Enter a valid mobile phone number of 11 digits." in html
    assert "check digit" in html or "18 characters" in html or "birth date" in html
