"""Tests that need something from the machine (a browser, a hub, PostgreSQL) skip without it, unless CI's
``LABGRADE_REQUIRE_<X>=1`` says they must run: then they fail, so a missing install step cannot hide."""

from __future__ import annotations

import os

import pytest


def required(variable: str) -> bool:
    return os.environ.get(variable) == "1"


def unavailable(reason: str, variable: str, what: str = "the test"):
    """Skip with ``reason``; fail instead when ``$variable`` is 1."""
    if required(variable):
        pytest.fail(f"{reason} ({variable}=1: {what} must run)", pytrace=False)
    pytest.skip(reason)
