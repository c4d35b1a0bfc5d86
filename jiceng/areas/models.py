"""The territory tree: district → subdistrict → community → grid → compound → building."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node


class AreaKind(models.TextChoices):
    DISTRICT = "district", _("District")
    SUBDISTRICT = "subdistrict", _("Subdistrict")
    COMMUNITY = "community", _("Community")
    GRID = "grid", _("Grid")
    COMPOUND = "compound", _("Compound")
    BUILDING = "building", _("Building")


# Which kind may sit under which: the tree's shape is data the services check.
CHILD_KIND = {
    AreaKind.DISTRICT: AreaKind.SUBDISTRICT,
    AreaKind.SUBDISTRICT: AreaKind.COMMUNITY,
    AreaKind.COMMUNITY: AreaKind.GRID,
    AreaKind.GRID: AreaKind.COMPOUND,
    AreaKind.COMPOUND: AreaKind.BUILDING,
}
KIND_DEPTH = {kind: depth for depth, kind in enumerate(AreaKind.values, start=1)}
# Code lengths: district six digits (GB/T 2260), subdistrict nine, community twelve (GB/T 10114 style);
# below that we extend the community code: grid +3, compound +3, building +3.
CODE_LENGTH = {"district": 6, "subdistrict": 9, "community": 12, "grid": 15, "compound": 18, "building": 21}


class Area(MP_Node):
    kind = models.CharField(_("kind"), max_length=16, choices=AreaKind.choices, db_index=True)
    code = models.CharField(_("code"), max_length=24, unique=True)
    name = models.CharField(_("name"), max_length=100, db_index=True)
    population = models.PositiveIntegerField(_("population"), default=0)
    households = models.PositiveIntegerField(_("households"), default=0)
    # GeoJSON geometry in WGS-84 (lng, lat); grids and the district carry polygons, others may.
    geometry = models.JSONField(_("boundary"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    node_order_by = ["code"]

    class Meta:
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        indexes = [models.Index(fields=["kind", "path"])]

    def __str__(self) -> str:
        return f"{self.name}"
