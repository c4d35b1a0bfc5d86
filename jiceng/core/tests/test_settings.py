"""Configuration comes only from JICENG_* variables, and production refuses the demo keys."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

STRONG_SECRET = "x" * 50
STRONG_FIELD_KEY = "c3Ryb25nLWZpZWxkLWtleS1mb3ItdGhlLXRlc3QtMTI="


def _check(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("JICENG_")}
    clean.update(env, DJANGO_SETTINGS_MODULE="jiceng.settings", JICENG_VAR_DIR=env.get("JICENG_VAR_DIR", "/tmp"))
    return subprocess.run(
        [sys.executable, "-m", "django", "check", *args], env=clean, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    "env, complaint",
    [
        ({}, "JICENG_SECRET_KEY"),
        ({"JICENG_SECRET_KEY": STRONG_SECRET}, "JICENG_FIELD_ENCRYPTION_KEY"),
    ],
)
def test_production_refuses_missing_or_demo_keys_and_says_how(env, complaint, tmp_path):
    result = _check({"JICENG_ENV": "production", "JICENG_VAR_DIR": str(tmp_path), **env})
    assert result.returncode != 0
    assert complaint in result.stderr
    assert "Generate one with" in result.stderr


def test_production_settings_pass_check_deploy(tmp_path):
    result = _check(
        {
            "JICENG_ENV": "production",
            "JICENG_SECRET_KEY": STRONG_SECRET + "-Aa1!Bb2@Cc3#Dd4$",
            "JICENG_FIELD_ENCRYPTION_KEY": STRONG_FIELD_KEY,
            "JICENG_ALLOWED_HOSTS": "jiceng.example.gov.cn",
            "JICENG_VAR_DIR": str(tmp_path),
        },
        "--deploy",
        "--fail-level",
        "WARNING",
    )
    assert result.returncode == 0, result.stdout + result.stderr
