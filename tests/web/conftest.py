"""Fixtures the web tests share (tests/conftest.py has the app, client and accounts)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lms.services import clock
from tests.factories import NOW, enrol


@pytest.fixture
def reader(learner, login_as):
    """The learner, enrolled in the demo course and logged in."""
    enrol(learner, "demo")
    login_as(learner)
    return learner


@pytest.fixture
def at(monkeypatch):
    """Set the server's clock: ``at(seconds after NOW)``."""

    def set_to(seconds: float) -> None:
        monkeypatch.setattr(clock, "now", lambda: NOW + timedelta(seconds=seconds))

    set_to(0)
    return set_to
