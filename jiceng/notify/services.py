"""Sending notices. Callers name who and what; this module decides the channels."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone

from .models import Notice


def notify(*, users: Iterable, kind: str, title: str, body: str = "", url: str = "") -> list[Notice]:
    """Leave a notice in the app for each user (one INSERT for all). Runs inside the caller's
    transaction, so a notice exists exactly when the change it reports does."""
    now = timezone.now()
    notices = [Notice(user=u, kind=kind, title=title[:200], body=body, url=url[:300], created_at=now)
               for u in {u.pk: u for u in users}.values()]
    return Notice.objects.bulk_create(notices)
