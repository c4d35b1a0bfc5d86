"""Who may open each page and API endpoint of the accounts app (see jiceng.testing.AccessCase).

Duties are separated: only the system administrator reaches user administration, only the auditor
the audit log; everyone reaches their own profile and tokens. Denied personas get 404.
"""

from __future__ import annotations

from django.urls import reverse

from jiceng.accounts.models import ApiToken, User
from jiceng.testing import PERSONAS, AccessCase

EVERYONE = PERSONAS
ADMIN = ("sysadmin",)
AUDITOR = ("auditor",)


def _others(*allowed: str) -> tuple[str, ...]:
    return tuple(p for p in PERSONAS if p not in allowed)


def _member_id() -> int:
    return User.objects.get(username="p_member").pk


def _member_grant_id() -> int:
    return User.objects.get(username="p_member").grants.values_list("pk", flat=True).first()


def _member_token_id() -> int:
    """A token of the Party member: only its owner may revoke it, anyone else gets 404."""
    from jiceng.accounts.api_auth import token_digest

    token, _ = ApiToken.objects.get_or_create(
        user=User.objects.get(username="p_member"),
        name="access-matrix",
        defaults={"prefix": "jc_matrix", "digest": token_digest("jc_matrix_value")},
    )
    return token.pk


def _user_post(name: str, data: dict | None = None) -> AccessCase:
    return AccessCase(
        route=f"accounts:{name}",
        url=lambda d: reverse(f"accounts:{name}", args=[_member_id()]),
        allowed=ADMIN,
        denied=_others(*ADMIN),
        method="post",
        data=data or {},
    )


CASES = [
    # "/" sends each role to its home page (jiceng.web.views.home); listed here with the sign-in flow.
    AccessCase(route="home", url=lambda d: reverse("home"), allowed=EVERYONE, denied=()),
    # Sign-in's second step: with no sign-in under way it sends a signed-in user home.
    AccessCase(route="accounts:login_code", url=lambda d: reverse("accounts:login_code"), allowed=EVERYONE, denied=()),
    # One's own account.
    AccessCase(route="accounts:profile", url=lambda d: reverse("accounts:profile"), allowed=EVERYONE, denied=()),
    AccessCase(route="accounts:password_change", url=lambda d: reverse("accounts:password_change"),
               allowed=EVERYONE, denied=(), method="post", data={"old_password": "x"}),
    AccessCase(route="accounts:totp_setup", url=lambda d: reverse("accounts:totp_setup"),
               allowed=EVERYONE, denied=(), method="post"),
    AccessCase(route="accounts:totp_enable", url=lambda d: reverse("accounts:totp_enable"),
               allowed=EVERYONE, denied=(), method="post", data={"code": "000000"}),
    AccessCase(route="accounts:totp_disable", url=lambda d: reverse("accounts:totp_disable"),
               allowed=EVERYONE, denied=(), method="post", data={"code": "000000"}),
    AccessCase(route="accounts:token_create", url=lambda d: reverse("accounts:token_create"),
               allowed=EVERYONE, denied=(), method="post", data={"name": "matrix"}),
    AccessCase(route="accounts:token_revoke", url=lambda d: reverse("accounts:token_revoke", args=[_member_token_id()]),
               allowed=("member",), denied=_others("member"), method="post"),
    # The audit log: the auditor only.
    AccessCase(route="accounts:audit", url=lambda d: reverse("accounts:audit"), allowed=AUDITOR,
               denied=_others(*AUDITOR)),
    AccessCase(route="accounts:audit", url=lambda d: reverse("accounts:audit") + "?format=xlsx", allowed=AUDITOR,
               denied=_others(*AUDITOR)),
    AccessCase(route="accounts:audit_verify", url=lambda d: reverse("accounts:audit_verify"), allowed=AUDITOR,
               denied=_others(*AUDITOR), method="post"),
    # User administration: the system administrator only.
    AccessCase(route="accounts:users", url=lambda d: reverse("accounts:users"), allowed=ADMIN, denied=_others(*ADMIN)),
    AccessCase(route="accounts:users", url=lambda d: reverse("accounts:users") + "?format=xlsx", allowed=ADMIN,
               denied=_others(*ADMIN)),
    AccessCase(route="accounts:user_new", url=lambda d: reverse("accounts:user_new"), allowed=ADMIN,
               denied=_others(*ADMIN)),
    AccessCase(route="accounts:user_new", url=lambda d: reverse("accounts:user_new"), allowed=ADMIN,
               denied=_others(*ADMIN), method="post", data={"username": "matrix_new"}),
    AccessCase(route="accounts:user_detail", url=lambda d: reverse("accounts:user_detail", args=[_member_id()]),
               allowed=ADMIN, denied=_others(*ADMIN)),
    _user_post("user_active", {"active": "1"}),
    _user_post("user_unlock"),
    _user_post("user_tokens_revoke"),
    _user_post("user_password", {"password1": "x", "password2": "y"}),
    _user_post("grant_add", {"role": "grid_worker", "area_code": ""}),
    AccessCase(
        route="accounts:grant_remove",
        url=lambda d: reverse("accounts:grant_remove", args=[_member_id(), _member_grant_id()]),
        allowed=ADMIN,
        denied=_others(*ADMIN),
        method="post",
    ),
    # API.
    AccessCase(route="api:GET /api/v1/accounts/me", url=lambda d: "/api/v1/accounts/me", allowed=EVERYONE, denied=()),
    AccessCase(route="api:GET /api/v1/accounts/audit", url=lambda d: "/api/v1/accounts/audit", allowed=AUDITOR,
               denied=_others(*AUDITOR)),
    AccessCase(route="api:GET /api/v1/accounts/tokens", url=lambda d: "/api/v1/accounts/tokens", allowed=EVERYONE,
               denied=()),
    AccessCase(route="api:POST /api/v1/accounts/tokens", url=lambda d: "/api/v1/accounts/tokens", allowed=EVERYONE,
               denied=(), method="post", data={"name": "matrix"}),
    AccessCase(route="api:DELETE /api/v1/accounts/tokens/{token_id}",
               url=lambda d: f"/api/v1/accounts/tokens/{_member_token_id()}", allowed=("member",),
               denied=_others("member"), method="delete"),
]
