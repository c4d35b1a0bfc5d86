"""Pages of the accounts app: sign-in (with the optional second factor), one's profile, user
administration for the system administrator and the audit log for the auditor."""

from __future__ import annotations

import time

import segno
from axes.helpers import get_lockout_response
from axes.signals import user_login_failed
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jiceng.core.excel import xlsx_response
from jiceng.core.paging import paginate

from . import roles, selectors, services
from .forms import (
    AuditFilterForm,
    CodeForm,
    GrantForm,
    LoginForm,
    PasswordChangeForm,
    SetPasswordForm,
    TokenForm,
    UserCreateForm,
    UserFilterForm,
)
from .middleware import LAST_SEEN, LOGIN_AT
from .models import Role, RoleGrant

User = get_user_model()

# The half-finished sign-in (password checked, code still due) and how long it may wait.
PENDING = "pending_login"
PENDING_SECONDS = 300
TOTP_SETUP = "totp_setup_secret"
NEW_TOKEN = "new_token_value"


def _safe_next(request: HttpRequest, value: str | None) -> str:
    if value and url_has_allowed_host_and_scheme(value, {request.get_host()}, request.is_secure()):
        return value
    return reverse(settings.LOGIN_REDIRECT_URL)


def _complete_login(request: HttpRequest, user, backend: str, second_factor: bool, next_url: str):
    login(request, user, backend=backend)
    now = int(time.time())
    request.session[LOGIN_AT] = now
    request.session[LAST_SEEN] = now
    services.login_record_success(user=user, request=request, second_factor=second_factor)
    return HttpResponseRedirect(_safe_next(request, next_url))


# --- sign-in ------------------------------------------------------------------------------------


@sensitive_post_parameters("password")
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if request.user.is_authenticated and request.method == "GET":
        return redirect(_safe_next(request, next_url))
    form = LoginForm(request, data=request.POST or None)
    if request.method == "POST":
        request.session.pop(PENDING, None)
        username = request.POST.get("username", "")
        if form.is_valid():
            user = form.get_user()
            if user.has_totp:
                request.session[PENDING] = {
                    "user": user.pk,
                    "backend": user.backend,
                    "at": int(time.time()),
                    "next": next_url,
                }
                return redirect("accounts:login_code")
            return _complete_login(request, user, user.backend, False, next_url)
        if username and request.POST.get("password"):  # an attempt, not an empty form
            known = User.objects.filter(username=username).first()
            locked = getattr(request, "axes_locked_out", False)
            services.login_record_failure(
                username=username, request=request, reason="locked" if locked else "failed", user=known
            )
        # When axes has locked the name, its middleware replaces this answer with accounts/locked.html.
    return render(
        request,
        "accounts/login.html",
        {"form": form, "next": next_url, "expired": request.GET.get("expired") == "1"},
    )


@never_cache
@require_http_methods(["GET", "POST"])
def login_code(request: HttpRequest) -> HttpResponse:
    """Second step for users with TOTP: the 6-digit code. A wrong code counts as a failed sign-in,
    so guessing codes locks the account just as guessing passwords does."""
    pending = request.session.get(PENDING)
    if not pending:
        return redirect("home" if request.user.is_authenticated else "accounts:login")
    if int(time.time()) - int(pending["at"]) > PENDING_SECONDS:
        request.session.pop(PENDING, None)
        messages.error(request, _("The sign-in took too long. Please start again."))
        return redirect("accounts:login")
    user = User.objects.filter(pk=pending["user"], is_active=True).first()
    if user is None or not user.has_totp:
        request.session.pop(PENDING, None)
        return redirect("accounts:login")
    credentials = {"username": user.get_username()}
    form = CodeForm(request.POST or None)
    if request.method == "POST":
        from axes.handlers.proxy import AxesProxyHandler

        if AxesProxyHandler.is_locked(request, credentials):
            request.session.pop(PENDING, None)
            services.login_record_failure(username=user.get_username(), request=request, reason="locked", user=user)
            return get_lockout_response(request, None, credentials)
        if form.is_valid() and services.totp_verify(user, form.cleaned_data["code"]):
            request.session.pop(PENDING, None)
            return _complete_login(request, user, pending["backend"], True, pending.get("next", ""))
        user_login_failed.send(sender=__name__, credentials=credentials, request=request)
        locked = getattr(request, "axes_locked_out", False)
        services.login_record_failure(
            username=user.get_username(), request=request, reason="locked" if locked else "code_failed", user=user
        )
        if locked:
            request.session.pop(PENDING, None)
            return get_lockout_response(request, None, credentials)
        if form.is_valid():
            form.add_error("code", _("The code does not match."))
    return render(request, "accounts/login_code.html", {"form": form})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        services.logout_record(user=request.user, request=request)
    logout(request)
    return redirect("accounts:login")


# --- one's own profile ----------------------------------------------------------------------------


def _qr_svg(uri: str) -> str:
    # segno writes a self-contained SVG (no script), which the CSP allows inline.
    return mark_safe(segno.make(uri, error="m").svg_inline(scale=4, dark="#222", light="#fff"))  # noqa: S308


def _profile_context(request: HttpRequest, **forms) -> dict:
    user = request.user
    secret = request.session.get(TOTP_SETUP)
    context = {
        "password_form": forms.get("password_form") or PasswordChangeForm(user),
        "code_form": forms.get("code_form") or CodeForm(),
        "token_form": forms.get("token_form") or TokenForm(),
        "tokens": selectors.user_tokens(user=user),
        "grants": RoleGrant.objects.filter(user=user).select_related("area", "unit"),
        "totp_setup": bool(secret) and not user.has_totp,
        "new_token": request.session.pop(NEW_TOKEN, None),
    }
    if context["totp_setup"]:
        uri = services.totp_uri(user, secret)
        context["totp_qr"] = _qr_svg(uri)
        context["totp_secret"] = secret
    return context


@login_required
@require_GET
def profile(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/profile.html", _profile_context(request))


@login_required
@sensitive_post_parameters()
@require_POST
def password_change(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.user, request.POST)
    if form.is_valid():
        services.password_change(actor=request.user, new_password=form.cleaned_data["new_password1"], request=request)
        # Other sessions of this user end (their auth hash no longer matches); this one stays.
        update_session_auth_hash(request, request.user)
        messages.success(request, _("Your password has been changed."))
        return redirect("accounts:profile")
    return render(request, "accounts/profile.html", _profile_context(request, password_form=form), status=400)


@login_required
@require_POST
def totp_setup(request: HttpRequest) -> HttpResponse:
    """Start enabling the second factor: a new secret waits in the session until confirmed."""
    if not request.user.has_totp:
        request.session[TOTP_SETUP] = services.totp_new_secret()
    return redirect(reverse("accounts:profile") + "#totp")


@login_required
@require_POST
def totp_enable(request: HttpRequest) -> HttpResponse:
    secret = request.session.get(TOTP_SETUP)
    if not secret or request.user.has_totp:
        return redirect("accounts:profile")
    form = CodeForm(request.POST)
    if form.is_valid():
        try:
            services.totp_enable(actor=request.user, secret=secret, code=form.cleaned_data["code"], request=request)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            request.session.pop(TOTP_SETUP, None)
            messages.success(request, _("Two-step sign-in is on. You will be asked for a code at each sign-in."))
            return redirect("accounts:profile")
    return render(request, "accounts/profile.html", _profile_context(request, code_form=form), status=400)


@login_required
@require_POST
def totp_disable(request: HttpRequest) -> HttpResponse:
    form = CodeForm(request.POST)
    if form.is_valid():
        try:
            services.totp_disable(actor=request.user, code=form.cleaned_data["code"], request=request)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Two-step sign-in is off."))
            return redirect("accounts:profile")
    return render(request, "accounts/profile.html", _profile_context(request, code_form=form), status=400)


@login_required
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST)
    if form.is_valid():
        _token, value = services.api_token_create(
            actor=request.user, user=request.user, name=form.cleaned_data["name"], request=request
        )
        # Shown once, on the next page; only its hash is stored.
        request.session[NEW_TOKEN] = value
        return redirect(reverse("accounts:profile") + "#tokens")
    return render(request, "accounts/profile.html", _profile_context(request, token_form=form), status=400)


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = selectors.own_token_get(user=request.user, token_id=token_id)
    services.api_token_revoke(actor=request.user, token=token, request=request)
    messages.success(request, _("The token has been revoked."))
    return redirect(reverse("accounts:profile") + "#tokens")


# --- user administration (system administrator) ---------------------------------------------------


def _grant_text(grant: RoleGrant) -> str:
    if grant.area_id:
        place = f"{grant.area.name} {grant.area.code}"
    elif grant.unit_id:
        place = f"{grant.unit.name} {grant.unit.code}"
    else:
        place = _("no area")
    return f"{Role(grant.role).label} @ {place}"


@login_required
@require_GET
def users(request: HttpRequest) -> HttpResponse:
    selectors.require_permission(request.user, roles.MANAGE_ACCOUNTS)
    form = UserFilterForm(request.GET or None)
    qs = selectors.user_list(actor=request.user, filters=form.filters())
    if request.GET.get("format") == "xlsx":
        services.export_record(actor=request.user, what="accounts.user", request=request)
        rows = (
            [
                u.username,
                u.get_full_name(),
                _("Active") if u.is_active else _("Deactivated"),
                "; ".join(_grant_text(g) for g in u.grants.all()),
                _("Yes") if u.has_totp else _("No"),
                u.last_login,
                u.password_changed_at,
            ]
            for u in qs
        )
        headers = [_("User name"), _("Full name"), _("Status"), _("Roles"), _("Two-step sign-in"),
                   _("Last sign-in"), _("Password changed")]
        return xlsx_response("users", _("Users"), headers, rows)
    page = paginate(request, qs)
    return render(request, "accounts/users.html", {"form": form, "page": page})


@login_required
@sensitive_post_parameters()
@require_http_methods(["GET", "POST"])
def user_new(request: HttpRequest) -> HttpResponse:
    selectors.require_permission(request.user, roles.MANAGE_ACCOUNTS)
    form = UserCreateForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            user = services.user_create(
                actor=request.user,
                username=d["username"],
                password=d["password1"],
                role=d["role"],
                area=d["area"],
                unit=d["unit"],
                full_name=d["full_name"],
                request=request,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("User %(name)s created.") % {"name": user.username})
            return redirect("accounts:user_detail", user_id=user.pk)
    return render(request, "accounts/user_new.html", {"form": form}, status=400 if form.errors else 200)


@login_required
@require_GET
def user_detail(request: HttpRequest, user_id: int) -> HttpResponse:
    target = selectors.user_get(actor=request.user, user_id=user_id)
    return render(request, "accounts/user_detail.html", _user_context(request, target))


def _user_context(request: HttpRequest, target, **forms) -> dict:
    return {
        "target": target,
        "tokens": selectors.user_tokens(user=target),
        "locked": selectors.user_locked(target),
        "grant_form": forms.get("grant_form") or GrantForm(actor=request.user),
        "password_form": forms.get("password_form") or SetPasswordForm(user=target),
        "is_self": target.pk == request.user.pk,
    }


def _user_action(request: HttpRequest, user_id: int, action) -> HttpResponse:
    """Run one administrative action; refusals (e.g. on one's own account) come back as a message."""
    target = selectors.user_get(actor=request.user, user_id=user_id)
    try:
        message = action(target)
    except PermissionDenied:
        messages.error(request, _("You cannot change your own account here; ask another administrator."))
    else:
        messages.success(request, message)
    return redirect("accounts:user_detail", user_id=target.pk)


@login_required
@require_POST
def user_active(request: HttpRequest, user_id: int) -> HttpResponse:
    active = request.POST.get("active") == "1"

    def act(target):
        services.user_set_active(actor=request.user, user=target, active=active, request=request)
        return _("The account is active.") if active else _("The account is deactivated; its tokens are revoked.")

    return _user_action(request, user_id, act)


@login_required
@require_POST
def user_unlock(request: HttpRequest, user_id: int) -> HttpResponse:
    def act(target):
        services.user_unlock(actor=request.user, user=target, request=request)
        return _("The lockout is lifted.")

    return _user_action(request, user_id, act)


@login_required
@require_POST
def user_tokens_revoke(request: HttpRequest, user_id: int) -> HttpResponse:
    def act(target):
        count = services.api_tokens_revoke_all(actor=request.user, user=target, request=request)
        return _("%(count)d tokens revoked.") % {"count": count}

    return _user_action(request, user_id, act)


@login_required
@sensitive_post_parameters()
@require_POST
def user_password(request: HttpRequest, user_id: int) -> HttpResponse:
    target = selectors.user_get(actor=request.user, user_id=user_id)
    form = SetPasswordForm(request.POST, user=target)
    if form.is_valid():

        def act(t):
            services.user_set_password(actor=request.user, user=t, password=form.cleaned_data["password1"],
                                       request=request)
            return _("The new password is set. Give it to the user through a safe channel.")

        return _user_action(request, user_id, act)
    ctx = _user_context(request, target, password_form=form)
    return render(request, "accounts/user_detail.html", ctx, status=400)


@login_required
@require_POST
def grant_add(request: HttpRequest, user_id: int) -> HttpResponse:
    target = selectors.user_get(actor=request.user, user_id=user_id)
    form = GrantForm(request.POST, actor=request.user)
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.grant_add(
                actor=request.user, user=target, role=d["role"], area=d["area"], unit=d["unit"], request=request
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        except PermissionDenied:
            messages.error(request, _("You cannot change your own account here; ask another administrator."))
            return redirect("accounts:user_detail", user_id=target.pk)
        else:
            messages.success(request, _("Role granted."))
            return redirect("accounts:user_detail", user_id=target.pk)
    return render(request, "accounts/user_detail.html", _user_context(request, target, grant_form=form), status=400)


@login_required
@require_POST
def grant_remove(request: HttpRequest, user_id: int, grant_id: int) -> HttpResponse:
    target = selectors.user_get(actor=request.user, user_id=user_id)
    grant = target.grants.filter(pk=grant_id).select_related("area", "unit", "user").first()
    if grant is None:
        raise Http404

    def act(_target):
        services.grant_remove(actor=request.user, grant=grant, request=request)
        return _("Role removed.")

    return _user_action(request, user_id, act)


# --- the audit log (auditor) ----------------------------------------------------------------------


@login_required
@require_GET
def audit(request: HttpRequest) -> HttpResponse:
    selectors.require_permission(request.user, roles.VIEW_AUDIT)
    form = AuditFilterForm(request.GET or None)
    valid = form.is_valid() if request.GET else True
    qs = selectors.audit_search(actor=request.user, filters=form.filters() if request.GET else None)
    if not valid:
        qs = qs.none()
    if request.GET.get("format") == "xlsx" and valid:
        # Exporting the log is itself an event in the log.
        services.export_record(actor=request.user, what="accounts.auditevent", request=request)
        rows = (
            [e.id, e.at, e.actor_name, e.get_kind_display(), e.action, e.object_type, e.object_id, e.object_repr,
             _changes_text(e.changes), e.reason, e.ip or ""]
            for e in qs.iterator(chunk_size=2000)
        )
        headers = [_("No."), _("Time (China Standard Time)"), _("Actor"), _("Kind"), _("Action"), _("Object type"),
                   _("Object id"), _("Object"), _("Changes"), _("Reason"), _("IP address")]
        return xlsx_response("audit", _("Audit log"), headers, rows)
    page = paginate(request, qs)
    for event in page.object_list:
        event.changes_text = _changes_text(event.changes)
    return render(request, "accounts/audit.html", {"form": form, "page": page})


def _changes_text(changes) -> str:
    if not changes:
        return ""
    return "; ".join(f"{k}: {v}" for k, v in changes.items())


@login_required
@require_POST
def audit_verify(request: HttpRequest) -> HttpResponse:
    selectors.require_permission(request.user, roles.VIEW_AUDIT)
    broken = services.audit_chain_check(actor=request.user, request=request)
    if broken:
        shown = ", ".join(str(i) for i in broken[:50])
        messages.error(
            request,
            format_html(
                "{} {}",
                _("The audit chain is broken at %(count)d events:") % {"count": len(broken)},
                shown + (" …" if len(broken) > 50 else ""),
            ),
        )
    else:
        messages.success(request, _("The audit chain is intact: no event has been changed, removed or inserted."))
    return redirect("accounts:audit")
