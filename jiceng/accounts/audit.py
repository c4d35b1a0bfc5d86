"""Writing and verifying the audit log.

Services call `audit_record` inside their own transaction, so a change and its audit event
commit or roll back together.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from .models import AuditEvent, AuditKind

# PostgreSQL: one appender at a time, so the MAC chain never forks.
_CHAIN_LOCK = 727_001


def _mac(prev_mac: str, fields: dict[str, Any]) -> str:
    key = hashlib.sha256(("audit:" + settings.SECRET_KEY).encode()).digest()
    body = prev_mac + json.dumps(fields, sort_keys=True, ensure_ascii=False, default=str)
    return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()


def _content(event: AuditEvent) -> dict[str, Any]:
    return {
        "at": event.at.isoformat(),
        "actor": event.actor_id,
        "actor_name": event.actor_name,
        "kind": event.kind,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object_repr": event.object_repr,
        "changes": event.changes,
        "reason": event.reason,
        "ip": event.ip,
    }


def client_ip(request) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR")


def audit_record(
    *,
    actor,
    kind: str = AuditKind.WRITE,
    action: str,
    obj: Any = None,
    object_type: str = "",
    object_id: str | int = "",
    changes: dict[str, Any] | None = None,
    reason: str = "",
    request=None,
) -> AuditEvent:
    """Append one event. `changes` must never hold a personal value: pass field names or masks."""
    if obj is not None:
        object_type = object_type or f"{obj._meta.app_label}.{obj._meta.model_name}"
        object_id = obj.pk
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK])
        last = AuditEvent.objects.order_by("-id").values_list("mac", flat=True).first() or ""
        event = AuditEvent(
            at=timezone.now(),
            actor=actor if is_user else None,
            actor_name=actor.get_username() if is_user else "",
            kind=kind,
            action=action,
            object_type=object_type,
            object_id=str(object_id or ""),
            object_repr=str(obj)[:200] if obj is not None else "",
            changes=changes or {},
            reason=reason[:300],
            ip=client_ip(request),
            prev_mac=last,
        )
        event.mac = _mac(last, _content(event))
        event.save()
    return event


def audit_verify_chain(batch: int = 5000) -> list[int]:
    """Return the ids of events whose MAC or chain link does not match (empty when intact)."""
    broken: list[int] = []
    prev = ""
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=batch):
        if event.prev_mac != prev or event.mac != _mac(event.prev_mac, _content(event)):
            broken.append(event.id)
        prev = event.mac
    return broken
