"""Forms validate input only; the services decide and write."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.forms import PasswordChangeForm as DjangoPasswordChangeForm
from django.contrib.auth.password_validation import password_validators_help_text_html, validate_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import AuditKind, Role, User
from .selectors import AuditFilters, UserFilters, area_by_code, unit_by_code
from .services import UNIT_ROLES


class LoginForm(AuthenticationForm):
    """Django's form: it authenticates with the request, which django-axes needs to count failures."""

    error_messages = {
        "invalid_login": _("Wrong user name or password. Repeated failures lock the account for a while."),
        "inactive": _("This account is deactivated."),
    }


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("6-digit code"),
        min_length=6,
        max_length=7,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].replace(" ", "")
        if len(code) != 6 or not code.isdigit():
            raise ValidationError(_("Enter the 6 digits shown by your authenticator app."))
        return code


class PasswordChangeForm(DjangoPasswordChangeForm):
    """Checks the old password and the new one against every validator (length, similarity,
    common passwords, character classes); the service does the change."""


def _role_choices(blank: bool = True) -> list[tuple[str, str]]:
    return ([("", _("(any role)"))] if blank else []) + list(Role.choices)


class GrantFieldsMixin(forms.Form):
    """A role on an area (by its code) or, for department handlers, on a unit (by its code)."""

    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    area_code = forms.CharField(label=_("Area code"), required=False, max_length=24)
    unit_code = forms.CharField(label=_("Unit code"), required=False, max_length=40)

    def __init__(self, *args, actor=None, **kwargs):
        self.actor = actor
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        role = data.get("role")
        data["area"] = data["unit"] = None
        if not role:
            return data
        if role in UNIT_ROLES:
            code = (data.get("unit_code") or "").strip()
            if not code:
                self.add_error("unit_code", _("This role is granted on a unit: enter the unit's code."))
            else:
                data["unit"] = unit_by_code(actor=self.actor, code=code)
                if data["unit"] is None:
                    self.add_error("unit_code", _("No unit with this code within your area."))
        else:
            code = (data.get("area_code") or "").strip()
            if not code:
                self.add_error("area_code", _("This role is granted on an area: enter the area's code."))
            else:
                data["area"] = area_by_code(actor=self.actor, code=code)
                if data["area"] is None:
                    self.add_error("area_code", _("No area with this code within your area."))
        return data


class GrantForm(GrantFieldsMixin):
    pass


class UserCreateForm(GrantFieldsMixin):
    username = forms.RegexField(
        label=_("User name"),
        max_length=150,
        regex=r"^[\w.@+-]+\Z",
        error_messages={"invalid": _("Use letters, digits and @ . + - _ only.")},
    )
    full_name = forms.CharField(label=_("Full name"), max_length=150, required=False)
    password1 = forms.CharField(
        label=_("Initial password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Initial password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    field_order = ["username", "full_name", "password1", "password2", "role", "area_code", "unit_code"]

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        if User.objects.filter(username__iexact=username).exists():
            raise ValidationError(_("A user with that name already exists."))
        return username

    def clean(self):
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords differ."))
        elif p1:
            try:
                candidate = User(username=data.get("username", ""), first_name=data.get("full_name", ""))
                validate_password(p1, user=candidate)
            except ValidationError as exc:
                self.add_error("password1", exc)
        return data


class SetPasswordForm(forms.Form):
    password1 = forms.CharField(
        label=_("New password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password2 = forms.CharField(
        label=_("New password again"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def __init__(self, *args, user: User, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords differ."))
        elif p1:
            try:
                validate_password(p1, user=self.user)
            except ValidationError as exc:
                self.add_error("password1", exc)
        return data


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Token name"), max_length=100, required=False,
                           help_text=_("What the token is for, e.g. the system that uses it."))


class UserFilterForm(forms.Form):
    q = forms.CharField(label=_("Name"), required=False)
    role = forms.ChoiceField(label=_("Role"), required=False, choices=_role_choices)
    active = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("(all)")), ("yes", _("Active")), ("no", _("Deactivated"))],
    )
    area_code = forms.CharField(label=_("Area code"), required=False)

    def filters(self) -> UserFilters:
        if not self.is_valid():
            return UserFilters()
        d = self.cleaned_data
        return UserFilters(q=d["q"].strip(), role=d["role"], active=d["active"], area_code=d["area_code"].strip())


_DT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"]


class AuditFilterForm(forms.Form):
    actor = forms.CharField(label=_("Actor"), required=False)
    object_type = forms.CharField(label=_("Object type"), required=False)
    object_id = forms.CharField(label=_("Object id"), required=False)
    action = forms.CharField(label=_("Action"), required=False)
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("(all)")), *AuditKind.choices])
    # Entered and shown in China Standard Time (the site's time zone); stored in UTC.
    since = forms.DateTimeField(
        label=_("From"), required=False, input_formats=_DT_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    until = forms.DateTimeField(
        label=_("To"), required=False, input_formats=_DT_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", _("The end is before the start."))
        return data

    def filters(self) -> AuditFilters:
        if not self.is_valid():
            return AuditFilters()
        d = self.cleaned_data
        return AuditFilters(
            actor=d["actor"].strip(),
            object_type=d["object_type"].strip(),
            object_id=d["object_id"].strip(),
            action=d["action"].strip(),
            kind=d["kind"],
            since=d["since"],
            until=d["until"],
        )
