"""Shared test fixtures: a small district and the personas of DESIGN.md's Testing section.

    district_admin    district official (whole district)
    subdistrict_staff subdistrict official (subdistrict S1: communities A and B)
    community_a       worker of community A
    community_b       worker of community B (must see nothing of A)
    grid_worker       grid worker of grid A1 (in community A)
    department        department handler (city management, serving subdistrict S1)
    member            Party member living in community A
    auditor, sysadmin separated administrator roles
A resident has no account: the anonymous client.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from jiceng.testing import build_small_district, make_persona_users

PASSWORD = "Test-pass-2026!"


@pytest.fixture(scope="session", autouse=True)
def media_root(tmp_path_factory):
    """Files the tests upload go to a directory of this run, never to the checkout's var/media (where the
    platform started by scripts/up keeps its own). Tests that need a clean one set settings.MEDIA_ROOT."""
    from django.test import override_settings

    with override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media")):
        yield


@pytest.fixture
def district(db):
    """Areas, Party organizations, units and a few residents; see jiceng/testing.py."""
    return build_small_district()


@pytest.fixture
def personas(district):
    users = make_persona_users(district, password=PASSWORD)
    return SimpleNamespace(**users)


@pytest.fixture
def login(client):
    """login(user) -> a Django test client signed in as that user."""

    def _login(user):
        client.force_login(user)
        return client

    return _login
