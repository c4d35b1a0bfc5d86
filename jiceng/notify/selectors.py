"""Reads of notices (a user's own) and of group robots (in the user's scope)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from jiceng.accounts.scope import scope_q

from .models import Notice
from .robot_models import Robot
from .services import can_manage_robots


def notice_list(user, *, unread: bool = False) -> QuerySet[Notice]:
    qs = Notice.objects.filter(user=user)
    if unread:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by("-created_at", "-id")


def unread_count(user) -> int:
    return Notice.objects.filter(user=user, read_at__isnull=True).count()


def robot_list(user) -> QuerySet[Robot]:
    """Robots on areas in the user's scope, for those who manage robots; others read nothing (404)."""
    if not can_manage_robots(user):
        raise Http404
    return Robot.objects.filter(scope_q(user, "area__path")).select_related("area").order_by("area__path", "name")


def robot_get(user, robot_id: int) -> Robot:
    robot = robot_list(user).filter(pk=robot_id).first()
    if robot is None:
        raise Http404
    return robot
