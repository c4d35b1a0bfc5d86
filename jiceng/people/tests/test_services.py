"""Services and selectors: create, update, search by exact number within scope, reveal, posts."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import translation

from jiceng.accounts.models import AuditEvent, AuditKind
from jiceng.party.models import Position, PositionTitle
from jiceng.people import personal
from jiceng.people.models import Person
from jiceng.people.selectors import people_search, person_get, person_posts
from jiceng.people.services import person_create, person_reveal, person_update, person_version
from jiceng.testing import make_id_number
from jiceng.units.models import Unit, UnitKind, UnitRole

PHONE = "13912340001"
ID_NUMBER = make_id_number("19750611", 321)


@pytest.fixture
def resident(district, personas):
    return person_create(
        actor=personas.community_a,
        name="王小明",
        phone="+86 139 1234 0001",
        id_number=ID_NUMBER,
        home=district.a.building,
        room="502",
    )


def test_create_protects_numbers_and_derives_facts(resident, district):
    resident.refresh_from_db()
    assert resident.phone_masked == "139****0001"
    assert resident.id_masked == ID_NUMBER[:6] + "********" + ID_NUMBER[-4:]
    assert personal.decrypt(resident.phone_encrypted) == PHONE
    assert personal.decrypt(resident.id_encrypted) == ID_NUMBER
    assert resident.birth_date == date(1975, 6, 11)
    assert resident.gender == "male"  # serial 321: the 17th digit 1 is odd
    assert resident.community_id == district.a.area.pk and resident.grid_id == district.a.grid.pk
    event = AuditEvent.objects.filter(action="person.create", object_id=str(resident.pk)).get()
    assert event.changes["phone"] == "139****0001"
    assert PHONE not in str(event.changes) and ID_NUMBER not in str(event.changes)


def test_create_reports_every_bad_field_at_once(district, personas):
    with pytest.raises(ValidationError) as exc:
        person_create(
            actor=personas.community_a, name="", phone="0591-87654321", id_number="350102", home=district.a.building
        )
    assert set(exc.value.message_dict) == {"name", "phone", "id_number"}
    assert not Person.objects.filter(room="x").exists()


def test_duplicate_id_number_is_refused(resident, district, personas):
    with pytest.raises(ValidationError) as exc:
        person_create(actor=personas.community_a, name="重复", id_number=ID_NUMBER, home=district.a.building)
    assert "id_number" in exc.value.message_dict


def test_create_needs_permission_and_scope(district, personas):
    with pytest.raises(PermissionDenied):
        person_create(actor=personas.community_b, name="越权", home=district.a.building)
    with pytest.raises(PermissionDenied):
        person_create(actor=personas.grid_worker, name="无权", home=district.a.building)


def test_sensitive_tags_need_their_permission(district, personas):
    with pytest.raises(PermissionDenied):
        person_create(
            actor=personas.subdistrict_staff, name="甲", home=district.a.building, sensitive_tags=["low_income"]
        )
    p = person_create(actor=personas.community_a, name="乙", home=district.a.building, sensitive_tags=["disability"])
    assert p.sensitive_tags == ["disability"]
    with pytest.raises(ValidationError):
        person_create(actor=personas.community_a, name="丙", home=district.a.building, sensitive_tags=["nope"])


def test_search_by_exact_phone_and_id_respects_scope(resident, personas):
    for raw in (PHONE, "0086 139-1234-0001", "+8613912340001"):
        assert list(people_search(personas.community_a, phone=raw)) == [resident]
    assert list(people_search(personas.community_a, id_number=ID_NUMBER.lower())) == [resident]
    assert list(people_search(personas.subdistrict_staff, phone=PHONE)) == [resident]
    assert list(people_search(personas.grid_worker, phone=PHONE)) == [resident]
    # Community B, the department, the auditor and the system admin find nothing.
    for user in (personas.community_b, personas.department, personas.auditor, personas.sysadmin, personas.member):
        assert not people_search(user, phone=PHONE).exists()
        assert not people_search(user, id_number=ID_NUMBER).exists()
    assert not people_search(personas.community_a, phone="13912340002").exists()


def test_search_by_name_and_community(resident, district, personas):
    assert resident in people_search(personas.district_admin, name="小明")
    assert resident in people_search(personas.district_admin, name="小明", community_id=district.a.area.pk)
    assert not people_search(personas.district_admin, name="小明", community_id=district.b.area.pk).exists()
    assert not people_search(personas.community_b, name="小明").exists()


def test_search_with_bad_numbers_gives_field_errors(personas):
    with pytest.raises(ValidationError) as exc:
        people_search(personas.community_a, phone="12345", id_number="350102")
    assert set(exc.value.message_dict) == {"phone", "id_number"}
    assert "12345" not in str(exc.value.message_dict)


def test_person_get_out_of_scope_is_404_and_logged(resident, personas):
    assert person_get(personas.community_a, resident.pk) == resident
    before = AuditEvent.objects.filter(kind=AuditKind.SECURITY).count()
    with pytest.raises(Http404):
        person_get(personas.community_b, resident.pk)
    with pytest.raises(Http404):
        person_get(personas.auditor, resident.pk)  # the auditor's grant covers the district, not people
    assert AuditEvent.objects.filter(kind=AuditKind.SECURITY).count() == before + 2


def test_reveal_needs_permission_and_reason_and_is_audited(resident, personas):
    with pytest.raises(PermissionDenied):
        person_reveal(actor=personas.grid_worker, person=resident, field="phone", reason="上门走访核实")
    with pytest.raises(PermissionDenied):
        person_reveal(actor=personas.community_b, person=resident, field="phone", reason="上门走访核实")
    with translation.override("en"):
        with pytest.raises(ValidationError) as exc:
            person_reveal(actor=personas.community_a, person=resident, field="phone", reason=" ab ")
        assert "at least 4" in " ".join(exc.value.message_dict["reason"])
    with pytest.raises(ValidationError) as exc:
        person_reveal(actor=personas.community_a, person=resident, field="password", reason="上门走访核实")
    assert "field" in exc.value.message_dict
    assert not AuditEvent.objects.filter(kind=AuditKind.REVEAL).exists()

    assert person_reveal(actor=personas.community_a, person=resident, field="phone", reason="上门走访核实") == PHONE
    assert person_reveal(actor=personas.community_a, person=resident, field="id_number", reason="办理低保") == ID_NUMBER
    events = list(AuditEvent.objects.filter(kind=AuditKind.REVEAL).order_by("id"))
    assert [(e.changes["field"], e.reason, e.actor_id) for e in events] == [
        ("phone", "上门走访核实", personas.community_a.pk),
        ("id_number", "办理低保", personas.community_a.pk),
    ]
    for e in events:
        assert PHONE not in str(e.changes) + e.reason + e.object_repr
        assert ID_NUMBER not in str(e.changes) + e.reason + e.object_repr


def test_update_changes_numbers_and_audits_masks_only(resident, district, personas):
    new_id = make_id_number("19801224", 442)
    person_update(actor=personas.community_a, person=resident, phone="13900009999", id_number=new_id, room="601")
    resident.refresh_from_db()
    assert personal.decrypt(resident.phone_encrypted) == "13900009999"
    assert resident.birth_date == date(1980, 12, 24) and resident.gender == "female"
    assert list(people_search(personas.community_a, phone="13900009999")) == [resident]
    assert not people_search(personas.community_a, phone=PHONE).exists()
    event = AuditEvent.objects.filter(action="person.update").latest("id")
    assert event.changes["phone"] == ["139****0001", "139****9999"]
    assert event.changes["birth_date"] == "changed"
    text = str(event.changes)
    for plain in (PHONE, "13900009999", ID_NUMBER, new_id, "19801224", "1980-12-24"):
        assert plain not in text


def test_update_validates_and_writes_nothing_on_error(resident, personas):
    with pytest.raises(ValidationError) as exc:
        person_update(actor=personas.community_a, person=resident, name="新名字", phone="0591-87654321")
    assert "phone" in exc.value.message_dict
    resident.refresh_from_db()
    assert resident.name == "王小明"


def test_update_clears_numbers_and_moves_home(resident, district, personas):
    person_update(actor=personas.subdistrict_staff, person=resident, phone="", home=district.b.building)
    resident.refresh_from_db()
    assert resident.phone_encrypted == resident.phone_index == resident.phone_masked == ""
    assert resident.community_id == district.b.area.pk and resident.area_path == district.b.building.path
    # Community A cannot move a resident into community B, nor edit one there.
    with pytest.raises(PermissionDenied):
        person_update(actor=personas.community_a, person=resident, name="x")


def test_update_conflict_is_reported(resident, personas):
    stale = person_version(resident)
    person_update(actor=personas.community_a, person=resident, room="1", expected_version=stale)
    with pytest.raises(ValidationError) as exc:
        person_update(actor=personas.community_a, person=resident, room="2", expected_version=stale)
    assert "__all__" in exc.value.message_dict
    resident.refresh_from_db()
    assert resident.room == "1"


def test_person_posts_and_cross_appointment(resident, district, django_assert_num_queries):
    today = date.today()
    with django_assert_num_queries(3):
        posts = person_posts(resident)
    assert posts["positions"] == [] and posts["unit_roles"] == [] and posts["member"] is None
    assert posts["is_cross_appointed"] is False

    Position.objects.create(
        org=district.orgs["a"].branch,
        person=resident,
        title=PositionTitle.SECRETARY,
        term_start=today - timedelta(days=300),
        term_end=today + timedelta(days=800),
    )
    assert person_posts(resident)["is_cross_appointed"] is False  # one kind of post only
    owners = Unit.objects.create(
        kind=UnitKind.OWNERS_COMMITTEE, name="A小区业委会", code="OC-A", home_area=district.a.compound
    )
    UnitRole.objects.create(unit=owners, person=resident, title="主任", started_on=today - timedelta(days=10))
    UnitRole.objects.create(unit=district.property_company, person=resident, title="经理")
    for n in range(3):
        Position.objects.create(
            org=district.orgs["a"].group,
            person=resident,
            title=PositionTitle.GROUP_LEADER,
            term_start=today,
            term_end=today + timedelta(days=n + 1),
        )
    with django_assert_num_queries(3):
        posts = person_posts(resident)
        assert [p.org.kind for p in posts["positions"]][0] == "branch"
        assert {r.unit.kind for r in posts["unit_roles"]} == {"owners_committee", "property_company"}
    assert posts["is_cross_appointed"] is True
    assert posts["cross_kinds"] == ["party", "owners_committee", "property_company"]


def test_ended_unit_post_does_not_count(resident, district):
    today = date.today()
    owners = Unit.objects.create(
        kind=UnitKind.OWNERS_COMMITTEE, name="A小区业委会", code="OC-A2", home_area=district.a.compound
    )
    UnitRole.objects.create(unit=owners, person=resident, title="委员", ended_on=today - timedelta(days=1))
    UnitRole.objects.create(unit=district.property_company, person=resident, title="经理")
    assert person_posts(resident)["is_cross_appointed"] is False


def test_ended_party_post_does_not_count(resident, district):
    today = date.today()
    Position.objects.create(
        org=district.orgs["a"].branch,
        person=resident,
        title=PositionTitle.SECRETARY,
        term_start=today - timedelta(days=900),
        term_end=today + timedelta(days=100),
        ended_on=today - timedelta(days=5),
    )
    UnitRole.objects.create(unit=district.property_company, person=resident, title="经理")
    posts = person_posts(resident)
    assert len(posts["positions"]) == 1 and posts["is_cross_appointed"] is False
