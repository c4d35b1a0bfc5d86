"""Every organization that is not a Party organization."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class UnitKind(models.TextChoices):
    DEPARTMENT = "department", _("Functional department")
    RESIDENT_UNIT = "resident_unit", _("Resident unit")
    PROPERTY_COMPANY = "property_company", _("Property company")
    OWNERS_COMMITTEE = "owners_committee", _("Owners' committee")
    SOCIAL_ORG = "social_org", _("Social organization")
    ENTERPRISE = "enterprise", _("Enterprise")


class Unit(models.Model):
    kind = models.CharField(_("kind"), max_length=24, choices=UnitKind.choices, db_index=True)
    name = models.CharField(_("name"), max_length=200)
    code = models.CharField(
        _("code"), max_length=40, unique=True, help_text=_("Unified social credit code or internal code")
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    # The area the unit is registered in: scopes who may see and edit it.
    home_area = models.ForeignKey(
        "areas.Area", on_delete=models.PROTECT, related_name="home_units", verbose_name=_("home area")
    )
    areas_served = models.ManyToManyField(
        "areas.Area", related_name="serving_units", blank=True, verbose_name=_("areas served")
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name


class Contact(models.Model):
    """A contact person of a unit; the phone is personal data, stored like residents' phones."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("name"), max_length=50)
    title = models.CharField(_("title"), max_length=50, blank=True)
    phone_encrypted = models.TextField(blank=True)
    phone_index = models.CharField(max_length=40, blank=True, db_index=True)
    phone_masked = models.CharField(_("phone"), max_length=16, blank=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")

    def __str__(self) -> str:
        return self.name


class UnitRole(models.Model):
    """A person's post in a unit (chair of the owners' committee, manager of the property company)."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="roles")
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="unit_roles")
    title = models.CharField(_("title"), max_length=50)
    started_on = models.DateField(_("started on"), null=True, blank=True)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)

    class Meta:
        verbose_name = _("unit post")
        verbose_name_plural = _("unit posts")
