"""/api/v1/accounts: who am I, the audit log (auditors only) and one's own API tokens.

No `from __future__ import annotations` here: django-ninja reads the annotations at import time.
"""

from datetime import datetime

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import PageNumberPagination, paginate

from . import selectors, services
from .scope import scope_for

router = Router(tags=["accounts"])


class MeOut(Schema):
    username: str
    full_name: str
    roles: list[str]
    permissions: list[str]
    scope: list[str] = Field(description="Codes of the areas whose subtrees the user sees")
    second_factor: bool


class AuditOut(Schema):
    id: int
    at: datetime
    actor: str = Field(alias="actor_name")
    kind: str
    action: str
    object_type: str
    object_id: str
    object: str = Field(alias="object_repr")
    changes: dict
    reason: str
    ip: str | None


class AuditQuery(Schema):
    actor: str = ""
    object_type: str = ""
    object_id: str = ""
    action: str = ""
    kind: str = Field("", pattern=r"^(|write|reveal|security|login|export)$")
    since: datetime | None = None
    until: datetime | None = None


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenIn(Schema):
    name: str = Field("", max_length=100)


class TokenCreatedOut(TokenOut):
    token: str = Field(description="The token's value; shown this once, never again")


class ErrorOut(Schema):
    detail: str


@router.get("/me", response=MeOut, summary="The signed-in user, their roles and scope")
def me(request: HttpRequest):
    user = request.auth
    scope = scope_for(user)
    return {
        "username": user.get_username(),
        "full_name": user.get_full_name(),
        "roles": sorted(scope.roles),
        "permissions": sorted(scope.permissions),
        "scope": selectors.scope_area_codes(user),
        "second_factor": user.has_totp,
    }


@router.get("/audit", response=list[AuditOut], summary="Search the audit log (auditors only)")
@paginate(PageNumberPagination, page_size=50, max_page_size=200)
def audit_list(request: HttpRequest, filters: Query[AuditQuery]):
    if filters.since and filters.until and filters.since > filters.until:
        filters.since, filters.until = filters.until, filters.since
    return selectors.audit_search(
        actor=request.auth,
        filters=selectors.AuditFilters(**filters.dict()),
    )


@router.get("/tokens", response=list[TokenOut], summary="My API tokens")
def token_list(request: HttpRequest):
    return list(selectors.user_tokens(user=request.auth))


@router.post("/tokens", response={201: TokenCreatedOut, 403: ErrorOut}, summary="Create an API token for me")
def token_create(request: HttpRequest, payload: TokenIn):
    if getattr(request, "api_token", None) is not None:
        # A token cannot mint tokens: a leaked one must not outlive its own revocation.
        return 403, {"detail": _("Create tokens from a signed-in browser session or the jiceng command.")}
    token, value = services.api_token_create(actor=request.auth, user=request.auth, name=payload.name, request=request)
    out = TokenOut.model_validate(token).model_dump()
    return 201, {**out, "token": value}


@router.delete("/tokens/{int:token_id}", response={204: None}, summary="Revoke one of my API tokens")
def token_revoke(request: HttpRequest, token_id: int):
    token = selectors.own_token_get(user=request.auth, token_id=token_id)
    services.api_token_revoke(actor=request.auth, token=token, request=request)
    return 204, None
