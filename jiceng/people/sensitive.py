"""Sensitive tags on a resident (低保, 残疾, 社区矫正 …): seen and set only with people.sensitive."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class SensitiveTag(models.TextChoices):
    LOW_INCOME = "low_income", _("Low-income household")
    DISABILITY = "disability", _("Disability")
    COMMUNITY_CORRECTIONS = "community_corrections", _("Community corrections")


def tag_labels(values: list[str]) -> list[str]:
    labels = dict(SensitiveTag.choices)
    return [str(labels.get(v, v)) for v in values]
