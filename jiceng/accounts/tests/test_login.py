"""Sign-in: lockout, the second factor, audit of attempts, each role's home, sign-out."""

from __future__ import annotations

import pyotp
import pytest
from django.urls import reverse

from conftest import PASSWORD
from jiceng.accounts.models import AuditEvent, AuditKind, Role
from jiceng.accounts.roles import ROLE_HOME
from jiceng.people.personal import encrypt

LOGIN = "/accounts/login/"


def _post_login(client, username: str, password: str, **extra):
    return client.post(LOGIN, {"username": username, "password": password, **extra})


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_login_page_renders(client):
    response = client.get(LOGIN)
    assert response.status_code == 200
    assert b'name="username"' in response.content


def test_good_password_signs_in_and_lands_on_role_home(client, personas):
    response = _post_login(client, "p_auditor", PASSWORD)
    assert response.status_code == 302
    assert _signed_in(client)
    # "/" sends each role to its own home.
    assert client.get(response["Location"])["Location"] == reverse("accounts:audit")
    event = AuditEvent.objects.filter(action="login.success").get()
    assert event.kind == AuditKind.LOGIN and event.actor_name == "p_auditor"


@pytest.mark.parametrize(
    ("persona", "home"),
    [
        ("sysadmin", "accounts:users"),
        ("auditor", "accounts:audit"),
        ("district_admin", ROLE_HOME[Role.DISTRICT_ADMIN]),
        ("community_a", ROLE_HOME[Role.COMMUNITY_STAFF]),
        ("grid_worker", ROLE_HOME[Role.GRID_WORKER]),
        ("department", ROLE_HOME[Role.DEPARTMENT_HANDLER]),
        ("member", ROLE_HOME[Role.PARTY_MEMBER]),
    ],
)
def test_each_role_lands_on_its_home(client, personas, persona, home):
    client.force_login(getattr(personas, persona))
    assert client.get("/")["Location"] == reverse(home)


def test_lockout_records_keep_no_password(client, personas):
    from axes.models import AccessAttempt

    _post_login(client, "p_member", "Wrong-pass-123")
    attempt = AccessAttempt.objects.get(username="p_member")
    assert "Wrong-pass-123" not in attempt.post_data


def test_next_is_followed_only_inside_the_site(client, personas):
    response = _post_login(client, "p_auditor", PASSWORD, next="/accounts/profile/")
    assert response["Location"] == "/accounts/profile/"
    client.post("/accounts/logout/")
    response = _post_login(client, "p_auditor", PASSWORD, next="https://evil.example/")
    assert response["Location"] == "/"


def test_failed_sign_in_is_a_security_event_without_the_password(client, personas):
    response = _post_login(client, "p_member", "Wrong-pass-123")
    assert response.status_code == 200
    assert not _signed_in(client)
    event = AuditEvent.objects.get(action="login.failed")
    assert event.kind == AuditKind.SECURITY
    assert event.changes == {"username": "p_member"}
    assert event.object_id == str(personas.member.pk)
    assert not AuditEvent.objects.filter(changes__icontains="Wrong-pass").exists()
    # An unknown name is recorded too, with no object.
    _post_login(client, "nobody", "Wrong-pass-123")
    assert AuditEvent.objects.filter(action="login.failed", object_id="").count() == 1


def test_five_failures_lock_the_account_and_the_right_password_is_then_refused(client, personas):
    for _ in range(4):
        assert _post_login(client, "p_community_a", "Wrong-pass-123").status_code == 200
    locked = _post_login(client, "p_community_a", "Wrong-pass-123")
    assert locked.status_code == 429
    assert "accounts/locked.html" in [t.name for t in locked.templates]
    response = _post_login(client, "p_community_a", PASSWORD)
    assert response.status_code == 429
    assert not _signed_in(client)
    assert b"30" in response.content  # the page says how long to wait
    assert AuditEvent.objects.filter(action="login.locked").exists()
    # Another account is not affected: lockout is per user name.
    assert _post_login(client, "p_community_b", PASSWORD).status_code == 302


def test_lockout_can_be_lifted_by_the_system_administrator(client, personas, login):
    for _ in range(5):
        _post_login(client, "p_member", "Wrong-pass-123")
    assert _post_login(client, "p_member", PASSWORD).status_code == 429
    admin = login(personas.sysadmin)
    detail = admin.get(reverse("accounts:user_detail", args=[personas.member.pk]))
    assert detail.context["locked"] is True
    admin.post(reverse("accounts:user_unlock", args=[personas.member.pk]))
    assert admin.get(reverse("accounts:user_detail", args=[personas.member.pk])).context["locked"] is False
    admin.post("/accounts/logout/")
    assert _post_login(client, "p_member", PASSWORD).status_code == 302


def test_inactive_user_cannot_sign_in(client, personas):
    personas.member.is_active = False
    personas.member.save()
    assert _post_login(client, "p_member", PASSWORD).status_code == 200
    assert not _signed_in(client)


def _enable_totp(user) -> str:
    secret = pyotp.random_base32()
    user.totp_secret_encrypted = encrypt(secret)
    user.save()
    return secret


def test_totp_user_needs_the_code_before_the_session_exists(client, personas):
    secret = _enable_totp(personas.community_a)
    response = _post_login(client, "p_community_a", PASSWORD)
    assert response["Location"] == reverse("accounts:login_code")
    assert not _signed_in(client)
    # Pages stay closed while only the password is done.
    assert client.get(reverse("accounts:profile")).status_code == 302
    wrong = client.post(reverse("accounts:login_code"), {"code": "000000" if pyotp.TOTP(secret).now() != "000000"
                                                          else "111111"})
    assert wrong.status_code == 200 and not _signed_in(client)
    assert AuditEvent.objects.filter(action="login.code_failed").exists()
    bad_format = client.post(reverse("accounts:login_code"), {"code": "12ab"})
    assert bad_format.status_code == 200 and bad_format.context["form"].errors["code"]
    ok = client.post(reverse("accounts:login_code"), {"code": pyotp.TOTP(secret).now()})
    assert ok.status_code == 302
    assert _signed_in(client)
    event = AuditEvent.objects.get(action="login.success")
    assert event.changes == {"second_factor": True}


def test_wrong_codes_count_towards_the_lockout(client, personas):
    secret = _enable_totp(personas.community_a)
    wrong = "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"
    _post_login(client, "p_community_a", PASSWORD)
    statuses = [client.post(reverse("accounts:login_code"), {"code": wrong}).status_code for _ in range(5)]
    assert statuses[:4] == [200] * 4 and statuses[4] == 429
    # Locked now: even the password plus a right code does not get in.
    assert _post_login(client, "p_community_a", PASSWORD).status_code == 429
    assert not _signed_in(client)


def test_code_step_without_a_password_step_goes_back_to_sign_in(client, db):
    assert client.get(reverse("accounts:login_code"))["Location"] == reverse("accounts:login")


def test_code_step_expires(client, personas):
    secret = _enable_totp(personas.community_a)
    _post_login(client, "p_community_a", PASSWORD)
    session = client.session
    session["pending_login"]["at"] -= 600
    session.save()
    response = client.post(reverse("accounts:login_code"), {"code": pyotp.TOTP(secret).now()})
    assert response["Location"] == reverse("accounts:login")
    assert not _signed_in(client)


def test_logout_is_post_only_and_audited(client, personas, login):
    c = login(personas.member)
    assert c.get("/accounts/logout/").status_code == 405
    assert c.post("/accounts/logout/")["Location"] == reverse("accounts:login")
    assert not _signed_in(c)
    assert AuditEvent.objects.filter(action="logout", actor_name="p_member").exists()


def test_expired_flag_shows_the_message(client, db):
    response = client.get(LOGIN + "?expired=1")
    assert response.context["expired"] is True
    assert "expired" in response.content.decode() or "过期" in response.content.decode()


def test_a_code_works_only_once(personas):
    from jiceng.accounts.services import totp_verify

    secret = _enable_totp(personas.community_a)
    code = pyotp.TOTP(secret).now()
    assert totp_verify(personas.community_a, code) is True
    assert totp_verify(personas.community_a, code) is False
