"""The workbench's personal pieces: a user's saved inbox views.

Imported by models.py so Django sees it as part of the cases app. Written only through
workbench_services.py.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["SavedView"]


class SavedView(models.Model):
    """A named set of inbox filters one user keeps, to get back to it in one click. `filters` holds
    the InboxFilters fields that were set (validated when saved, validated again when used)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_case_views")
    name = models.CharField(_("name"), max_length=40)
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="cases_savedview_unique_name")]

    def __str__(self) -> str:
        return self.name
