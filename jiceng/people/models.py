"""Residents and their personal data (DESIGN.md, Personal data)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Gender(models.TextChoices):
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")


class AreaChain(models.Model):
    """The area chain a high-volume fact carries, so dashboards group without walking the tree."""

    area_path = models.CharField(max_length=255, db_index=True, blank=True)
    district = models.ForeignKey(
        "areas.Area", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    subdistrict = models.ForeignKey(
        "areas.Area", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    community = models.ForeignKey(
        "areas.Area", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    grid = models.ForeignKey("areas.Area", on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        abstract = True


class Person(AreaChain):
    name = models.CharField(_("name"), max_length=50, db_index=True)
    gender = models.CharField(_("gender"), max_length=8, choices=Gender.choices, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    # Ciphertext, blind index and mask; never the plain value (see people/personal.py).
    phone_encrypted = models.TextField(blank=True)
    phone_index = models.CharField(max_length=40, blank=True, db_index=True)
    phone_masked = models.CharField(_("phone"), max_length=16, blank=True)
    id_encrypted = models.TextField(blank=True)
    id_index = models.CharField(max_length=40, blank=True, db_index=True)
    id_masked = models.CharField(_("ID number"), max_length=24, blank=True)
    home = models.ForeignKey(
        "areas.Area",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="residents",
        verbose_name=_("home building"),
    )
    room = models.CharField(_("room"), max_length=20, blank=True)
    # Sensitive tags (low-income, disability, community corrections) need their own permission.
    sensitive_tags = models.JSONField(_("sensitive tags"), default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        indexes = [models.Index(fields=["community", "name"])]

    def __str__(self) -> str:
        return self.name
