"""Writes to accounts: sign-in records, passwords, the second factor, user administration, API tokens.

Each service is keyword-only, runs in one transaction, checks the actor's permission and writes its
audit event in that same transaction. `actor=None` means the operator at the console (the `jiceng`
command), who is trusted the way the database owner is.
"""

from __future__ import annotations

import hashlib

import pyotp
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.areas.models import Area
from jiceng.people.personal import decrypt, encrypt
from jiceng.units.models import Unit

from . import roles
from .api_auth import token_digest, token_new_value
from .audit import audit_record
from .models import ApiToken, AuditKind, Role, RoleGrant, User
from .scope import scope_for
from .selectors import manages

TOTP_ISSUER = "jiceng"
# Roles held on a unit rather than an area.
UNIT_ROLES = frozenset({Role.DEPARTMENT_HANDLER})
# MLPS level 3 separates the administrators' duties: these roles are never combined with any other.
SEPARATED_ROLES = frozenset({Role.AUDITOR, Role.SYSTEM_ADMIN})


def _require(actor, permission: str) -> None:
    if actor is not None and not scope_for(actor).allows(permission):
        raise PermissionDenied


def _require_manages(actor, user: User) -> None:
    """The system administrator manages accounts, but never their own: a second administrator
    must change an administrator's grants or status, so no one can widen their own powers."""
    _require(actor, roles.MANAGE_ACCOUNTS)
    if actor is not None and (actor.pk == user.pk or not manages(actor, user)):
        raise PermissionDenied


def _check_grant_target(actor, role: str, area: Area | None, unit: Unit | None) -> None:
    if role not in Role.values:
        raise ValidationError({"role": _("Choose a valid role.")})
    if role in UNIT_ROLES:
        if unit is None or area is not None:
            raise ValidationError({"unit_code": _("This role is granted on a unit: enter the unit's code.")})
    elif area is None or unit is not None:
        raise ValidationError({"area_code": _("This role is granted on an area: enter the area's code.")})
    if actor is None:
        return
    scope = scope_for(actor)
    path = area.path if area is not None else unit.home_area.path
    if not scope.covers_path(path):
        field = "area_code" if area is not None else "unit_code"
        raise ValidationError({field: _("No such code within your area.")})


# --- sign-in ------------------------------------------------------------------------------------


def login_record_success(*, user: User, request, second_factor: bool) -> None:
    audit_record(
        actor=user,
        kind=AuditKind.LOGIN,
        action="login.success",
        obj=user,
        changes={"second_factor": second_factor},
        request=request,
    )


def login_record_failure(*, username: str, request, reason: str, user: User | None = None) -> None:
    """A failed attempt. The typed username is kept (truncated) so the auditor can find attempts
    on accounts that do not exist; the password never reaches this function."""
    audit_record(
        actor=None,
        kind=AuditKind.SECURITY,
        action=f"login.{reason}",
        obj=user,
        object_type="accounts.user",
        changes={"username": (username or "")[:150]},
        request=request,
    )


def logout_record(*, user: User, request, reason: str = "user") -> None:
    audit_record(
        actor=user, kind=AuditKind.LOGIN, action="logout", obj=user, changes={"reason": reason}, request=request
    )


# --- password and second factor -----------------------------------------------------------------


@transaction.atomic
def password_change(*, actor: User, new_password: str, request=None) -> None:
    """The user changes their own password (the form has checked the old one)."""
    validate_password(new_password, user=actor)
    actor.set_password(new_password)
    actor.password_changed_at = timezone.now()
    actor.save(update_fields=["password", "password_changed_at"])
    audit_record(actor=actor, kind=AuditKind.SECURITY, action="password.change", obj=actor, request=request)


def totp_new_secret() -> str:
    return pyotp.random_base32()


def totp_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.get_username(), issuer_name=TOTP_ISSUER)


def totp_check(secret: str, code: str) -> bool:
    code = (code or "").strip().replace(" ", "")
    # One step either way forgives a phone clock off by up to 30 seconds.
    return len(code) == 6 and code.isdigit() and pyotp.TOTP(secret).verify(code, valid_window=1)


def totp_verify(user: User, code: str) -> bool:
    """Check a code of the user's own second factor. Each code works once: one seen over a shoulder
    cannot be replayed within its validity. (The key carries a hash of the secret, so a new secret
    starts clean.)"""
    if not user.has_totp:
        return False
    secret = decrypt(user.totp_secret_encrypted)
    if not totp_check(secret, code):
        return False
    seal = hashlib.sha256(secret.encode()).hexdigest()[:12]
    return cache.add(f"totp-used:{user.pk}:{seal}:{code.strip()}", True, timeout=120)


@transaction.atomic
def totp_enable(*, actor: User, secret: str, code: str, request=None) -> None:
    if not totp_check(secret, code):
        raise ValidationError({"code": _("The code does not match. Check the time on your phone and try again.")})
    actor.totp_secret_encrypted = encrypt(secret)
    actor.save(update_fields=["totp_secret_encrypted"])
    audit_record(actor=actor, kind=AuditKind.SECURITY, action="totp.enable", obj=actor, request=request)


@transaction.atomic
def totp_disable(*, actor: User, code: str, request=None) -> None:
    if not totp_verify(actor, code):
        raise ValidationError({"code": _("The code does not match.")})
    actor.totp_secret_encrypted = ""
    actor.save(update_fields=["totp_secret_encrypted"])
    audit_record(actor=actor, kind=AuditKind.SECURITY, action="totp.disable", obj=actor, request=request)


# --- user administration (system administrator) -------------------------------------------------


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    username: str,
    password: str,
    role: str,
    area: Area | None = None,
    unit: Unit | None = None,
    full_name: str = "",
    request=None,
) -> User:
    _require(actor, roles.MANAGE_ACCOUNTS)
    username = username.strip()
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": _("A user with that name already exists.")})
    _check_grant_target(actor, role, area, unit)
    user = User(username=username, first_name=full_name.strip()[:150])
    validate_password(password, user=user)
    user.set_password(password)
    user.password_changed_at = timezone.now()
    user.save()
    RoleGrant.objects.create(user=user, role=role, area=area, unit=unit)
    audit_record(
        actor=actor,
        action="user.create",
        obj=user,
        changes={"role": role, "area": area.code if area else None, "unit": unit.code if unit else None},
        request=request,
    )
    return user


@transaction.atomic
def user_set_active(*, actor: User | None, user: User, active: bool, request=None) -> User:
    _require_manages(actor, user)
    if user.is_active == active:
        return user
    user.is_active = active
    user.save(update_fields=["is_active"])
    if not active:
        # A deactivated account keeps no way in: its tokens go too.
        ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
    audit_record(
        actor=actor, action="user.activate" if active else "user.deactivate", obj=user, request=request
    )
    return user


@transaction.atomic
def user_set_password(*, actor: User | None, user: User, password: str, request=None) -> None:
    """An administrator sets a new password for someone who lost theirs."""
    _require_manages(actor, user)
    validate_password(password, user=user)
    user.set_password(password)
    user.password_changed_at = timezone.now()
    user.save(update_fields=["password", "password_changed_at"])
    audit_record(actor=actor, kind=AuditKind.SECURITY, action="user.password_reset", obj=user, request=request)


@transaction.atomic
def user_unlock(*, actor: User | None, user: User, request=None) -> int:
    """Lift a lockout after repeated failed sign-ins; returns how many attempt records went."""
    from axes.utils import reset

    _require_manages(actor, user)
    count = reset(username=user.get_username())
    audit_record(
        actor=actor, kind=AuditKind.SECURITY, action="user.unlock", obj=user, changes={"attempts": count},
        request=request,
    )
    return count


@transaction.atomic
def grant_add(
    *, actor: User | None, user: User, role: str, area: Area | None = None, unit: Unit | None = None, request=None
) -> RoleGrant:
    _require_manages(actor, user)
    _check_grant_target(actor, role, area, unit)
    held = set(user.grants.values_list("role", flat=True))
    if held and (role in SEPARATED_ROLES or held & SEPARATED_ROLES) and held != {role}:
        raise ValidationError(
            {"role": _("Separation of duties: an auditor or system administrator account holds no other role.")}
        )
    if RoleGrant.objects.filter(user=user, role=role, area=area, unit=unit).exists():
        raise ValidationError({"role": _("The user already holds this role there.")})
    grant = RoleGrant.objects.create(user=user, role=role, area=area, unit=unit)
    audit_record(
        actor=actor,
        action="grant.add",
        obj=user,
        changes={"role": role, "area": area.code if area else None, "unit": unit.code if unit else None},
        request=request,
    )
    return grant


@transaction.atomic
def grant_remove(*, actor: User | None, grant: RoleGrant, request=None) -> None:
    _require_manages(actor, grant.user)
    changes = {
        "role": grant.role,
        "area": grant.area.code if grant.area_id else None,
        "unit": grant.unit.code if grant.unit_id else None,
    }
    user = grant.user
    grant.delete()
    audit_record(actor=actor, action="grant.remove", obj=user, changes=changes, request=request)


# --- API tokens -----------------------------------------------------------------------------------


@transaction.atomic
def api_token_create(*, actor: User | None, user: User, name: str = "", request=None) -> tuple[ApiToken, str]:
    """A new bearer token for `user`. Returns the row and the plain value, which is shown once
    and never stored (only its SHA-256 is)."""
    if actor is not None and actor.pk != user.pk:
        raise PermissionDenied  # tokens are personal: each user makes their own
    if not user.is_active:
        raise ValidationError(_("The account is deactivated."))
    value = token_new_value()
    token = ApiToken.objects.create(user=user, name=name.strip()[:100], prefix=value[:12], digest=token_digest(value))
    audit_record(
        actor=actor, kind=AuditKind.SECURITY, action="token.create", obj=user,
        changes={"token": token.pk, "prefix": token.prefix, "name": token.name}, request=request,
    )
    return token, value


@transaction.atomic
def api_token_revoke(*, actor: User | None, token: ApiToken, request=None) -> ApiToken:
    if actor is not None and actor.pk != token.user_id:
        _require_manages(actor, token.user)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor, kind=AuditKind.SECURITY, action="token.revoke", obj=token.user,
            changes={"token": token.pk, "prefix": token.prefix}, request=request,
        )
    return token


@transaction.atomic
def api_tokens_revoke_all(*, actor: User | None, user: User, request=None) -> int:
    _require_manages(actor, user)
    count = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
    audit_record(
        actor=actor, kind=AuditKind.SECURITY, action="token.revoke_all", obj=user, changes={"count": count},
        request=request,
    )
    return count


# --- audit log (auditor) --------------------------------------------------------------------------


def audit_chain_check(*, actor: User, request=None) -> list[int]:
    """Verify the MAC chain; the check itself is recorded, with what it found."""
    from .audit import audit_verify_chain

    _require(actor, roles.VIEW_AUDIT)
    broken = audit_verify_chain()
    audit_record(
        actor=actor, kind=AuditKind.SECURITY, action="audit.verify",
        changes={"broken": len(broken), "first": broken[:20]}, request=request,
    )
    return broken


def export_record(*, actor: User, what: str, request) -> None:
    """An Excel export of a list is itself an event: who took which rows out, with which filters."""
    filters = {k: v for k, v in request.GET.items() if k not in ("format", "page", "size")}
    audit_record(
        actor=actor, kind=AuditKind.EXPORT, action=f"{what.split('.')[-1]}.export", object_type=what,
        changes={"filters": filters}, request=request,
    )
