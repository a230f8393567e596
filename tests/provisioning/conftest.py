"""Fixtures for the provisioning tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from provision_fixtures import DeploymentBroker, make_deployment

from provisioning.deployment import Deployment


@pytest.fixture
def deployment(tmp_path: Path) -> Deployment:
    return make_deployment(tmp_path / "deploy")


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DeploymentBroker]:
    """One deployment with its broker running, shared by a module's tests."""
    deployment = make_deployment(tmp_path_factory.mktemp("live") / "deploy")
    broker = DeploymentBroker(deployment)
    try:
        yield broker
    finally:
        broker.stop()
