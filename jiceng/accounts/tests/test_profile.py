"""One's own account: password rules and change, turning the second factor on and off, tokens."""

from __future__ import annotations

import pyotp
import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from conftest import PASSWORD
from jiceng.accounts.models import ApiToken, AuditEvent, User


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("Ab1!x", "password_too_short"),
        ("abcdefghijkl", "password_classes"),  # one class only
        ("12345678901234", "password_entirely_numeric"),
        ("password123", "password_too_common"),
        ("p_member2026!", "password_too_similar"),
    ],
)
def test_password_rules(personas, password, code):
    with pytest.raises(ValidationError) as exc:
        validate_password(password, user=personas.member)
    assert code in [e.code for e in exc.value.error_list]


def test_password_rule_messages_are_clear():
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        validate_password("abcdefghijkl")
    assert "at least three of: upper-case letters, lower-case letters, digits, symbols" in " ".join(exc.value.messages)


def test_a_strong_password_passes(personas):
    validate_password("Quiet-River-2026", user=personas.member)


def test_change_password(personas, login):
    c = login(personas.member)
    url = reverse("accounts:password_change")
    bad = c.post(url, {"old_password": PASSWORD, "new_password1": "short", "new_password2": "short"})
    assert bad.status_code == 400
    assert bad.context["password_form"].errors["new_password2"]
    wrong_old = c.post(url, {"old_password": "nope", "new_password1": "Quiet-River-2026",
                             "new_password2": "Quiet-River-2026"})
    assert wrong_old.context["password_form"].errors["old_password"]
    ok = c.post(url, {"old_password": PASSWORD, "new_password1": "Quiet-River-2026",
                      "new_password2": "Quiet-River-2026"})
    assert ok.status_code == 302
    user = User.objects.get(pk=personas.member.pk)
    assert user.check_password("Quiet-River-2026") and user.password_changed_at is not None
    assert c.get(reverse("accounts:profile")).status_code == 200  # this session stays signed in
    event = AuditEvent.objects.get(action="password.change")
    assert "Quiet" not in str(event.changes)


def test_enable_and_disable_totp(personas, login):
    c = login(personas.grid_worker)
    c.post(reverse("accounts:totp_setup"))
    page = c.get(reverse("accounts:profile"))
    assert page.context["totp_setup"] is True
    html = page.content.decode()
    assert "<svg" in html and "<script" not in html.split("<svg", 1)[1].split("</svg>", 1)[0]
    secret = page.context["totp_secret"]
    assert c.post(reverse("accounts:totp_enable"), {"code": "12345"}).status_code == 400
    other = "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"
    assert c.post(reverse("accounts:totp_enable"), {"code": other}).status_code == 400
    assert not User.objects.get(pk=personas.grid_worker.pk).has_totp
    assert c.post(reverse("accounts:totp_enable"), {"code": pyotp.TOTP(secret).now()}).status_code == 302
    user = User.objects.get(pk=personas.grid_worker.pk)
    assert user.has_totp and secret not in user.totp_secret_encrypted  # stored encrypted
    # Turning it off needs a current code.
    assert c.post(reverse("accounts:totp_disable"), {"code": other}).status_code == 400
    assert User.objects.get(pk=user.pk).has_totp
    assert c.post(reverse("accounts:totp_disable"), {"code": pyotp.TOTP(secret).now()}).status_code == 302
    assert not User.objects.get(pk=user.pk).has_totp
    assert list(AuditEvent.objects.filter(action__startswith="totp.").order_by("id").values_list("action", flat=True)) \
        == ["totp.enable", "totp.disable"]


def test_token_shown_once_and_revocable_from_profile(personas, login):
    c = login(personas.member)
    c.post(reverse("accounts:token_create"), {"name": "script"})
    first = c.get(reverse("accounts:profile"))
    value = first.context["new_token"]
    assert value and value in first.content.decode()
    assert c.get(reverse("accounts:profile")).context["new_token"] is None
    token = ApiToken.objects.get(user=personas.member)
    assert value not in (token.digest, token.prefix) and token.digest != value
    c.post(reverse("accounts:token_revoke", args=[token.pk]))
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
