"""What comes back from the case: photos and files attached to it, and residents' ratings and
staff follow-up calls (回访). Imported by models.py."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["CaseAttachment", "Satisfaction", "FeedbackSource", "CaseFeedback"]


class CaseAttachment(models.Model):
    """A photo kept with a case, optionally tied to the event it documents (the report, the work
    done). Files live under MEDIA_ROOT and are served only through a view that checks scope (or the
    resident's private link), never as public static files."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="attachments")
    event = models.ForeignKey("cases.CaseEvent", on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="attachments")
    file = models.FileField(upload_to="cases/%Y/%m/")
    name = models.CharField(_("file name"), max_length=120)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded at"))

    class Meta:
        ordering = ["case", "uploaded_at", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASICALLY = "basically", _("Basically satisfied")
    UNSATISFIED = "unsatisfied", _("Unsatisfied")


class FeedbackSource(models.TextChoices):
    RESIDENT = "resident", _("Resident (private link)")
    FOLLOW_UP = "follow_up", _("Follow-up call")


class CaseFeedback(models.Model):
    """One rating of how a case was handled: by the resident through the private link, or recorded by
    staff from a follow-up call (then `reached` says whether the resident answered; an unanswered call
    carries no rating). The latest rating of a case is the one the satisfaction rate counts."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="feedback")
    source = models.CharField(_("source"), max_length=16, choices=FeedbackSource.choices)
    rating = models.CharField(_("rating"), max_length=16, choices=Satisfaction.choices, blank=True)
    resolved = models.BooleanField(_("problem solved"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    reached = models.BooleanField(_("resident reached"), default=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+")
    at = models.DateTimeField(_("time"), db_index=True)

    class Meta:
        ordering = ["case", "at", "id"]
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        indexes = [models.Index(fields=["case", "-at"], name="cases_feedback_latest")]
