"""The resident's private link to a case. Imported by models.py."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["ResidentLink"]


class ResidentLink(models.Model):
    """The private link handed to the resident who reported a case: it shows the case's public-safe
    progress and takes the resident's rating. Only the SHA-256 of the token is stored, so a copy of
    the database does not open anyone's link; the token itself is shown once, on the receipt."""

    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="resident_link")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"))
    # When this link last rated: one rating per round of work (a reopened and re-handled case may be
    # rated again), whichever case the link follows (its own, or the one it was merged into).
    rated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("resident link")
        verbose_name_plural = _("resident links")

    def __str__(self) -> str:
        return f"link:{self.case_id}"
