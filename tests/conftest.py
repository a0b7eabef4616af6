"""Shared fixtures and test settings."""

import os

from hypothesis import settings

from tests.fakediscord.fixtures import fake_discord

# CI runs the property tests with a fixed derivation of each test's seed, so a green build stays
# green; locally they explore new examples on every run. No deadline: CI's 2 cores are shared.
settings.register_profile("ci", derandomize=True, deadline=None)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

__all__ = ["fake_discord"]
