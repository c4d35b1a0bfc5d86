"""`jiceng token create` and `jiceng createadmin`."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from jiceng.accounts.models import ApiToken, Role, User


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_token_create_prints_a_working_token(personas):
    value = _run("token", "create", "p_member", "--name", "etl").strip()
    assert value.startswith("jc_")
    assert ApiToken.objects.get(user=personas.member).name == "etl"
    assert Client().get("/api/v1/accounts/me", HTTP_AUTHORIZATION=f"Bearer {value}").json()["username"] == "p_member"
    listing = _run("token", "list", "p_member")
    assert "etl" in listing and value not in listing
    token = ApiToken.objects.get(user=personas.member)
    _run("token", "revoke", str(token.pk))
    assert Client().get("/api/v1/accounts/me", HTTP_AUTHORIZATION=f"Bearer {value}").status_code == 401


def test_token_for_unknown_user_fails(db):
    with pytest.raises(CommandError, match="No user"):
        _run("token", "create", "nobody")


def test_createadmin_with_password(district):
    out = _run("createadmin", "root2", "--password", "Strong-Admin-2026")
    assert "root2" in out
    user = User.objects.get(username="root2")
    grant = user.grants.get()
    assert grant.role == Role.SYSTEM_ADMIN and grant.area == district.district
    assert user.check_password("Strong-Admin-2026") and user.password_changed_at


def test_createadmin_validates_the_password(district):
    with pytest.raises(CommandError):
        _run("createadmin", "root3", "--password", "short")
    assert not User.objects.filter(username="root3").exists()


def test_createadmin_prompts(district, monkeypatch):
    answers = iter(["Strong-Admin-2026", "Strong-Admin-2026"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    _run("createadmin", "root4")
    assert User.objects.get(username="root4").check_password("Strong-Admin-2026")
    answers = iter(["Strong-Admin-2026", "different"])
    with pytest.raises(CommandError, match="differ"):
        _run("createadmin", "root5")


def test_createadmin_without_a_district(db):
    _run("createadmin", "first", "--password", "Strong-Admin-2026")
    grant = User.objects.get(username="first").grants.get()
    assert grant.role == Role.SYSTEM_ADMIN and grant.area is None


def test_createadmin_refuses_an_existing_name(personas):
    with pytest.raises(CommandError, match="exists"):
        _run("createadmin", "p_member", "--password", "Strong-Admin-2026")
