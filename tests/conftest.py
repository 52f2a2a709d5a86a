"""Shared fixtures: the repository root and the default scenario (helpers in support.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import REPO, default_scenario

from wargame.config.schema import Scenario


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def scenario() -> Scenario:
    return default_scenario()
