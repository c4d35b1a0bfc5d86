from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from jiceng.accounts.models import AuditEvent
from jiceng.people import personal
from jiceng.units import services
from jiceng.units.models import Contact, Unit, UnitRole


def test_unit_create_with_areas_served_and_audit(district, personas):
    unit = services.unit_create(
        actor=personas.community_a,
        kind="resident_unit",
        name="鼓楼区第一中学",
        code="SCH-1",
        home_area=district.a.area,
        address=" 鼓东路1号 ",
        areas_served=[district.a.grid, district.a.compound, district.a.grid],
    )
    assert unit.address == "鼓东路1号"
    assert set(unit.areas_served.all()) == {district.a.grid, district.a.compound}
    event = AuditEvent.objects.get(action="unit.create", object_id=str(unit.pk))
    assert event.actor == personas.community_a
    assert sorted(event.changes["areas_served"]) == sorted([district.a.grid.code, district.a.compound.code])


def test_unit_create_errors_and_scope(district, personas):
    with pytest.raises(ValidationError) as exc:
        services.unit_create(
            actor=personas.community_a, kind="club", name="", code="PC-A", home_area=district.a.area,
            areas_served=[district.b.area],
        )
    assert set(exc.value.message_dict) == {"kind", "name", "code", "areas_served"}
    with pytest.raises(PermissionDenied):
        services.unit_create(
            actor=personas.community_b, kind="enterprise", name="x", code="E-1", home_area=district.a.area
        )
    with pytest.raises(PermissionDenied):
        services.unit_create(
            actor=personas.grid_worker, kind="enterprise", name="x", code="E-1", home_area=district.a.grid
        )
    assert not Unit.objects.filter(code="E-1").exists()


def test_unit_update_keeps_served_areas_outside_the_actors_scope(district, personas):
    unit = services.unit_create(
        actor=None, kind="social_org", name="志愿者协会", code="SO-1", home_area=district.a.area,
        areas_served=[district.a.area, district.b.area],
    )
    services.unit_update(actor=personas.community_a, unit=unit, name="志愿者协会（新）", areas_served=[district.a.grid])
    unit.refresh_from_db()
    assert unit.name == "志愿者协会（新）"
    # B's area was out of community A's sight: kept; A's own selection replaced.
    assert set(unit.areas_served.all()) == {district.b.area, district.a.grid}
    event = AuditEvent.objects.get(action="unit.update", object_id=str(unit.pk))
    assert event.changes["name"] == ["志愿者协会", "志愿者协会（新）"]
    with pytest.raises(ValidationError) as exc:
        services.unit_update(actor=None, unit=unit, code="PC-A")
    assert "code" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        services.unit_update(actor=personas.community_b, unit=unit, name="x")


def test_contact_phone_is_protected(district, personas):
    unit = district.property_company
    contact = services.contact_add(
        actor=personas.community_a, unit=unit, name="王经理", title="经理", phone="+86 139-1234-5678"
    )
    contact.refresh_from_db()
    assert contact.phone_masked == "139****5678"
    assert "13912345678" not in contact.phone_encrypted
    assert personal.decrypt(contact.phone_encrypted) == "13912345678"
    assert Contact.objects.filter(phone_index=personal.blind_index("13912345678", "phone")).get() == contact
    event = AuditEvent.objects.get(action="contact.add", object_id=str(contact.pk))
    assert "13912345678" not in str(event.changes) and event.changes["phone"] == "139****5678"


def test_contact_field_errors_write_nothing(district, personas):
    before = (Contact.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ValidationError) as exc:
        services.contact_add(actor=personas.community_a, unit=district.property_company, name="", phone="12345")
    assert set(exc.value.message_dict) == {"name", "phone"}
    assert (Contact.objects.count(), AuditEvent.objects.count()) == before
    with pytest.raises(PermissionDenied):
        services.contact_add(actor=personas.community_b, unit=district.property_company, name="x")
    with pytest.raises(PermissionDenied):
        services.contact_add(actor=personas.department, unit=district.department, name="x")


def test_unit_role_assign_and_end(district, personas):
    unit = district.property_company
    role = services.unit_role_assign(
        actor=personas.community_a, unit=unit, person=district.a.resident, title="项目经理", started_on=date(2023, 1, 1)
    )
    assert AuditEvent.objects.filter(action="unit_role.assign", object_id=str(role.pk)).exists()
    with pytest.raises(ValidationError) as exc:
        services.unit_role_assign(actor=None, unit=unit, person=district.a.resident, title="项目经理")
    assert "person" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.unit_role_assign(
            actor=None, unit=unit, person=district.b.resident, title="",
            started_on=timezone.localdate() + timedelta(days=3),
        )
    assert set(exc.value.message_dict) == {"title", "started_on"}
    with pytest.raises(ValidationError):
        services.unit_role_end(actor=None, role=role, ended_on=date(2022, 1, 1))
    services.unit_role_end(actor=personas.subdistrict_staff, role=role, ended_on=date(2025, 1, 1))
    assert UnitRole.objects.get(pk=role.pk).ended_on == date(2025, 1, 1)
    with pytest.raises(PermissionDenied):
        services.unit_role_assign(actor=personas.community_b, unit=unit, person=district.b.resident, title="x")
