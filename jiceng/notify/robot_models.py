"""Group robots (WeCom, DingTalk) that carry notices about an area to its staff's chat group, and the
record of reminders already sent by the background job (so each goes out once)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["RobotKind", "Robot", "SentReminder"]


class RobotKind(models.TextChoices):
    WECOM = "wecom", _("WeCom group robot")
    DINGTALK = "dingtalk", _("DingTalk group robot")


class Robot(models.Model):
    """A group robot covering an area's subtree: notices about a case or meeting anywhere in that subtree
    go to it. The webhook URL carries the robot's key or access token, so it is a secret like the signing
    secret: both are stored encrypted (jiceng.people.personal.encrypt) and only a mask is shown."""

    area = models.ForeignKey("areas.Area", on_delete=models.CASCADE, related_name="+", verbose_name=_("area"))
    kind = models.CharField(_("kind"), max_length=16, choices=RobotKind.choices)
    name = models.CharField(_("name"), max_length=100)
    url_encrypted = models.TextField()
    url_masked = models.CharField(_("webhook address"), max_length=120)
    secret_encrypted = models.TextField(blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("group robot")
        verbose_name_plural = _("group robots")
        ordering = ["area__path", "name", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def signed(self) -> bool:
        return bool(self.secret_encrypted)


class SentReminder(models.Model):
    """A reminder the background job has sent, by a key naming what it was about (a case's stage and
    deadline, an organization's meeting period). Only memory of sending: no state is derived from it."""

    key = models.CharField(max_length=200, unique=True)
    sent_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.key
