"""Reads for accounts. Each checks the reader's permission; lacking it reads as not found (404)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from jiceng.areas.models import Area
from jiceng.units.models import Unit

from . import roles
from .models import ApiToken, AuditEvent, RoleGrant, User
from .scope import scope_for


def require_permission(user, permission: str) -> None:
    """Out of scope and lacking permission both read as not found."""
    if not scope_for(user).allows(permission):
        raise Http404


# --- users (system administrator) ---------------------------------------------------------------


def _managed_q(actor) -> Q:
    """Users an administrator manages: those holding a grant inside the administrator's area (on an
    area of the subtree, or on a unit registered there), and those holding no grant at all."""
    paths = scope_for(actor).paths
    inside = Q()
    for p in paths:
        inside |= Q(area__path__startswith=p) | Q(unit__home_area__path__startswith=p)
    granted_inside = RoleGrant.objects.filter(inside).values("user_id") if paths else RoleGrant.objects.none()
    return Q(pk__in=granted_inside) | Q(grants__isnull=True)


def _grants_prefetch() -> Prefetch:
    return Prefetch("grants", queryset=RoleGrant.objects.select_related("area", "unit").order_by("id"))


@dataclass(frozen=True)
class UserFilters:
    q: str = ""
    role: str = ""
    active: str = ""  # "", "yes", "no"
    area_code: str = ""


def user_list(*, actor, filters: UserFilters | None = None) -> QuerySet[User]:
    require_permission(actor, roles.MANAGE_ACCOUNTS)
    f = filters or UserFilters()
    qs = User.objects.filter(pk__in=User.objects.filter(_managed_q(actor)).values("pk"))
    if f.q:
        qs = qs.filter(Q(username__icontains=f.q) | Q(first_name__icontains=f.q) | Q(last_name__icontains=f.q))
    if f.role:
        qs = qs.filter(pk__in=RoleGrant.objects.filter(role=f.role).values("user_id"))
    if f.active == "yes":
        qs = qs.filter(is_active=True)
    elif f.active == "no":
        qs = qs.filter(is_active=False)
    if f.area_code:
        qs = qs.filter(
            pk__in=RoleGrant.objects.filter(
                Q(area__code__startswith=f.area_code) | Q(unit__home_area__code__startswith=f.area_code)
            ).values("user_id")
        )
    return qs.prefetch_related(_grants_prefetch()).order_by("username")


def user_get(*, actor, user_id: int) -> User:
    require_permission(actor, roles.MANAGE_ACCOUNTS)
    user = (
        User.objects.filter(pk__in=User.objects.filter(_managed_q(actor)).values("pk"))
        .prefetch_related(_grants_prefetch())
        .filter(pk=user_id)
        .first()
    )
    if user is None:
        raise Http404
    return user


def user_tokens(*, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created_at")


def user_locked(user: User) -> bool:
    """Whether repeated failures have locked the account now (django-axes keeps the count)."""
    from axes.helpers import get_cool_off
    from axes.models import AccessAttempt
    from django.conf import settings
    from django.utils import timezone

    # Lockout is by username only (AXES_LOCKOUT_PARAMETERS), so the attempts of that name decide.
    attempts = AccessAttempt.objects.filter(username=user.get_username())
    cool_off = get_cool_off()
    if cool_off:
        attempts = attempts.filter(attempt_time__gte=timezone.now() - cool_off)
    failures = max(attempts.values_list("failures_since_start", flat=True), default=0)
    return failures >= settings.AXES_FAILURE_LIMIT


def area_by_code(*, actor, code: str) -> Area | None:
    """An area the actor may grant roles on: inside their own area."""
    area = Area.objects.filter(code=code.strip()).first()
    if area is None or (actor is not None and not scope_for(actor).covers_path(area.path)):
        return None
    return area


def unit_by_code(*, actor, code: str) -> Unit | None:
    unit = Unit.objects.select_related("home_area").filter(code=code.strip()).first()
    if unit is None or (actor is not None and not scope_for(actor).covers_path(unit.home_area.path)):
        return None
    return unit


def manages(actor, user: User) -> bool:
    return User.objects.filter(_managed_q(actor)).filter(pk=user.pk).exists()


# --- the audit log (auditor) --------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilters:
    actor: str = ""
    object_type: str = ""
    object_id: str = ""
    action: str = ""
    kind: str = ""
    since: datetime | None = None
    until: datetime | None = None


def audit_search(*, actor, filters: AuditFilters | None = None) -> QuerySet[AuditEvent]:
    """Newest first. Every filter uses an indexed column; `actor` also finds failed sign-ins,
    which have no actor but carry the typed username in their changes."""
    require_permission(actor, roles.VIEW_AUDIT)
    f = filters or AuditFilters()
    qs = AuditEvent.objects.all()
    if f.actor:
        qs = qs.filter(Q(actor_name__icontains=f.actor) | Q(actor__isnull=True, changes__username__icontains=f.actor))
    if f.object_type:
        qs = qs.filter(object_type__iexact=f.object_type.strip())
    if f.object_id:
        qs = qs.filter(object_id=f.object_id.strip())
    if f.action:
        qs = qs.filter(action__istartswith=f.action.strip())
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.since:
        qs = qs.filter(at__gte=f.since)
    if f.until:
        qs = qs.filter(at__lte=f.until)
    return qs.order_by("-id")


def audit_object_types() -> list[str]:
    return list(AuditEvent.objects.order_by().values_list("object_type", flat=True).distinct()[:200])


# --- one's own account ----------------------------------------------------------------------------


def scope_area_codes(user) -> list[str]:
    paths = scope_for(user).paths
    if not paths:
        return []
    return list(Area.objects.filter(path__in=paths).order_by("code").values_list("code", flat=True))


def own_token_get(*, user, token_id: int) -> ApiToken:
    token = ApiToken.objects.filter(user=user, pk=token_id).first()
    if token is None:
        raise Http404
    return token
