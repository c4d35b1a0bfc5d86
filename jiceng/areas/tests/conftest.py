"""Fixtures of the areas tests: a clean grid index per test (the index lives per process)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.utils import translation

from jiceng.areas import geo


@pytest.fixture(autouse=True)
def _fresh_grid_index():
    # Each test builds its own district; start every test from a new generation so no index of a
    # previous test's (rolled back) grids can answer.
    cache.delete(geo.GENERATION_KEY)
    yield


@pytest.fixture(autouse=True)
def _english():
    # Assertions on messages read the English source; pages get English through Accept-Language.
    with translation.override("en"):
        yield
