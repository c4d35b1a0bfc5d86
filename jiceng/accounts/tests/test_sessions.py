"""Idle and absolute session timeouts, controlled by editing the stored timestamps (never sleeping)."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from jiceng.accounts.models import AuditEvent

PROFILE = "/accounts/profile/"


def _shift(client, **seconds_back: int) -> None:
    session = client.session
    for key, back in seconds_back.items():
        session[key] = int(session[key]) - back
    session.save()


def _fresh_session(client, user):
    client.force_login(user)
    assert client.get(PROFILE).status_code == 200  # the middleware stamps login_at and last_seen
    assert {"login_at", "last_seen"} <= set(client.session.keys())


def test_active_session_goes_on(client, personas):
    _fresh_session(client, personas.member)
    _shift(client, last_seen=settings.SESSION_IDLE_SECONDS - 60, login_at=settings.SESSION_IDLE_SECONDS - 60)
    assert client.get(PROFILE).status_code == 200


def test_idle_session_ends_with_the_expired_message(client, personas):
    _fresh_session(client, personas.member)
    _shift(client, last_seen=settings.SESSION_IDLE_SECONDS + 1)
    response = client.get(PROFILE)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login") + "?")
    assert "expired=1" in response["Location"] and "next=%2Faccounts%2Fprofile%2F" in response["Location"]
    assert "_auth_user_id" not in client.session
    assert client.get(PROFILE)["Location"].startswith(reverse("accounts:login"))
    assert AuditEvent.objects.filter(action="logout", changes__reason="expired.idle").exists()


def test_absolute_limit_ends_even_a_busy_session(client, personas):
    _fresh_session(client, personas.member)
    # Busy all along (seen a moment ago) but signed in longer ago than the absolute limit.
    _shift(client, login_at=settings.SESSION_COOKIE_AGE + 1)
    response = client.get(PROFILE)
    assert response.status_code == 302 and "expired=1" in response["Location"]
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="logout", changes__reason="expired.absolute").exists()


def test_expired_session_in_the_api_is_unauthorized(client, personas):
    _fresh_session(client, personas.member)
    _shift(client, last_seen=settings.SESSION_IDLE_SECONDS + 1)
    assert client.get("/api/v1/accounts/me").status_code == 401


def test_htmx_request_gets_a_full_page_redirect(client, personas):
    _fresh_session(client, personas.member)
    _shift(client, last_seen=settings.SESSION_IDLE_SECONDS + 1)
    response = client.get(PROFILE, HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"].startswith(reverse("accounts:login"))


def test_absolute_limit_is_not_renewed_by_activity(client, personas):
    _fresh_session(client, personas.member)
    login_at = client.session["login_at"]
    _shift(client, last_seen=120)
    client.get(PROFILE)
    assert client.session["login_at"] == login_at
    assert settings.SESSION_SAVE_EVERY_REQUEST is False
