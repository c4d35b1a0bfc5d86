"""Sending notices, and managing the group robots. Callers name who and what; this module decides the
channels.

    notify(*, users, kind, title, body="", url="", area_path="", email=True, robots=True) -> list[Notice]

The in-app notice is written in the caller's transaction (it exists exactly when the change it reports
does). Email to the users' account addresses and the messages to the group robots of `area_path`'s chain
go out after that transaction commits (transaction.on_commit), so a rolled-back change sends nothing and
a failing channel never breaks the caller: failures are logged without personal data.
"""

from __future__ import annotations

import logging
import urllib.parse
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.accounts.audit import audit_record
from jiceng.accounts.models import Role
from jiceng.accounts.scope import scope_for
from jiceng.areas.models import Area
from jiceng.people.personal import encrypt

from . import channels
from .models import Notice
from .robot_models import Robot, RobotKind

log = logging.getLogger("jiceng.notify")

# Who manages the robots of an area: the district and subdistrict offices, over their own area.
ROBOT_MANAGERS = frozenset({Role.DISTRICT_ADMIN, Role.SUBDISTRICT_STAFF})


def chain_prefixes(area_path: str) -> list[str]:
    """The paths of an area and of every area above it (materialized path steps)."""
    step = Area.steplen
    return [area_path[:i] for i in range(step, len(area_path) + 1, step)]


def robots_for(area_path: str) -> list[Robot]:
    """The active robots on the area or any area above it (one query)."""
    if not area_path:
        return []
    return list(Robot.objects.filter(active=True, area__path__in=chain_prefixes(area_path)).order_by("pk"))


def absolute(url: str) -> str:
    base = (getattr(settings, "SITE_URL", "") or "").rstrip("/")
    return f"{base}{url}" if url and base and url.startswith("/") else ""


def deliver(*, emails: list[str], area_path: str, message: channels.Message,
            robots: bool = True) -> list[channels.Sent]:
    """Send one message by email and to the area's robots; never raises."""
    results = []
    if emails:
        results.append(channels.send_emails(emails, message))
    if robots:
        for robot in robots_for(area_path):
            try:
                results.append(channels.send_robot(robot, message))
            except Exception as exc:  # noqa: BLE001 (a broken robot row must not stop the others)
                log.error("robot #%s: %s", robot.pk, type(exc).__name__)
                results.append(channels.Sent(False, type(exc).__name__))
    return results


def notify(*, users: Iterable, kind: str, title: str, body: str = "", url: str = "", area_path: str = "",
           email: bool = True, robots: bool = True) -> list[Notice]:
    """Leave a notice in the app for each user (one INSERT for all) inside the caller's transaction;
    after commit, mail the users who have an email address and post to the robots covering
    `area_path` (a case's or meeting's area path; empty: no robot)."""
    now = timezone.now()
    unique = list({u.pk: u for u in users}.values())
    notices = Notice.objects.bulk_create([
        Notice(user=u, kind=kind, title=title[:200], body=body, url=url[:300], created_at=now) for u in unique])
    emails = sorted({u.email for u in unique if email and getattr(u, "email", "")})
    if emails or (robots and area_path):
        message = channels.Message(title=title[:200], body=body, url=absolute(url))
        transaction.on_commit(lambda: deliver(emails=emails, area_path=area_path, message=message, robots=robots))
    return notices


@transaction.atomic
def notice_mark_read(*, actor, notice_ids: Iterable[int] | None = None) -> int:
    """Mark the user's own notices read (all unread ones when no ids are given). Reading one's own
    notices changes no organization data, so it is not audited."""
    qs = Notice.objects.filter(user=actor, read_at__isnull=True)
    if notice_ids is not None:
        qs = qs.filter(pk__in=list(notice_ids))
    return qs.update(read_at=timezone.now())


@transaction.atomic
def notice_email_set(*, actor, email: str, request=None):
    """The user's own address for notices by email (empty: no email). The address itself stays out of
    the audit log, which only says whether one is set."""
    from django.core.validators import validate_email

    email = (email or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError as exc:
            raise ValidationError({"email": [_("Enter a valid email address.")]}) from exc
    actor.email = email[:254]
    actor.save(update_fields=["email"])
    audit_record(actor=actor, action="account.notice_email", obj=actor, request=request,
                 changes={"email": "set" if email else "cleared"})
    return actor


# --- robots ---------------------------------------------------------------------------------------


def can_manage_robots(user, area_path: str | None = None) -> bool:
    scope = scope_for(user)
    if not scope.roles & ROBOT_MANAGERS:
        return False
    return area_path is None or scope.covers_path(area_path)


def mask_url(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}?…{url[-4:]}"[:120]


def _check_url(kind: str, url: str) -> dict[str, list[str]]:
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qs(parts.query)
    # In production only HTTPS: the address carries the robot's key, and the real robots answer on HTTPS.
    schemes = ("https",) if getattr(settings, "PRODUCTION", False) else ("http", "https")
    if parts.scheme not in schemes or not parts.netloc:
        return {"url": [_("Enter the robot's webhook address (https://…).")]}
    if kind == RobotKind.WECOM and not query.get("key"):
        return {"url": [_("A WeCom robot address ends with ?key=… (copy it from the group's robot settings).")]}
    if kind == RobotKind.DINGTALK and not query.get("access_token"):
        return {"url": [_("A DingTalk robot address ends with ?access_token=… (copy it from the robot settings).")]}
    return {}


@transaction.atomic
def robot_create(*, actor, area: Area, kind: str, name: str, url: str, secret: str = "", request=None) -> Robot:
    """Register a group robot for an area's subtree (district and subdistrict staff, in their area)."""
    if not can_manage_robots(actor, area.path):
        raise PermissionDenied
    url, secret, name = url.strip(), secret.strip(), name.strip()
    errors: dict[str, list[str]] = {}
    if kind not in RobotKind.values:
        errors["kind"] = [_("Choose WeCom or DingTalk.")]
    else:
        errors.update(_check_url(kind, url))
    if not name:
        errors["name"] = [_("Give the robot a name (for example the group's name).")]
    if secret and kind != RobotKind.DINGTALK:
        errors["secret"] = [_("Only DingTalk robots are signed with a secret.")]
    if errors:
        raise ValidationError(errors)
    robot = Robot.objects.create(area=area, kind=kind, name=name[:100], url_encrypted=encrypt(url),
                                 url_masked=mask_url(url), secret_encrypted=encrypt(secret) if secret else "",
                                 created_by=actor, created_at=timezone.now())
    audit_record(actor=actor, action="robot.create", obj=robot, request=request,
                 changes={"area": area.code, "kind": kind, "name": robot.name, "signed": bool(secret)})
    return robot


@transaction.atomic
def robot_delete(*, actor, robot: Robot, request=None) -> None:
    if not can_manage_robots(actor, robot.area.path):
        raise PermissionDenied
    audit_record(actor=actor, action="robot.delete", obj=robot, request=request,
                 changes={"area": robot.area.code, "name": robot.name})
    robot.delete()


def robot_test(*, actor, robot: Robot, request=None) -> channels.Sent:
    """Send a test message now and say whether the robot took it; the attempt is audited."""
    if not can_manage_robots(actor, robot.area.path):
        raise PermissionDenied
    message = channels.Message(title=_("Test message from Jiceng"),
                               body=_("This group will receive notices about %(area)s.") % {"area": robot.area.name})
    result = channels.send_robot(robot, message)
    audit_record(actor=actor, action="robot.test", obj=robot, request=request,
                 changes={"ok": result.ok, "error": result.error})
    return result
