"""``provision selftest``: the checks that need no broker, and the report's shape."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from provision_fixtures import make_deployment

from edge_agent.config import load_unit_config
from khidmat_base.mosquitto import free_port
from provisioning import pki
from provisioning.deployment import Deployment
from provisioning.operations import provision_device
from provisioning.selftest import FAIL, PASS, WARN, check_clock, run_selftest


def test_clock_before_the_deployment_ca_fails(deployment: Deployment) -> None:
    made = provision_device(deployment, role="gate", station="QTA01")
    config = load_unit_config(made.bundle_dir / "unit.toml")
    assert check_clock(config).status in (PASS, WARN)
    booted_offline = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    check = check_clock(config, now=booted_offline)
    assert check.status == FAIL and "before the deployment CA" in check.detail
    far_future = dt.datetime(2099, 1, 1, tzinfo=dt.UTC)
    assert check_clock(config, now=far_future).status == FAIL


def test_unreachable_broker_and_loose_secrets_fail(deployment: Deployment, tmp_path: Path) -> None:
    made = provision_device(deployment, role="gate", station="QTA01")
    unit = tmp_path / "unit"
    shutil.copytree(made.bundle_dir, unit)
    text = (unit / "unit.toml").read_text()
    port = deployment.load_settings().port
    (unit / "unit.toml").write_text(text.replace(f"port = {port}\n", f"port = {free_port()}\n"))
    (unit / "mqtt.password").chmod(0o644)
    report = run_selftest(unit / "unit.toml", hardware=False, broker_timeout_s=2)
    status = {c.name: c.status for c in report.checks}
    assert status["config"] == PASS and status["files"] == FAIL and status["broker"] == FAIL
    assert status["hardware"] == "skip"
    assert not report.ok
    assert "FAILED" in report.to_text() and "0644" in report.to_text()
    assert json.loads(json.dumps(report.to_dict()))["ok"] is False


def test_a_broken_config_is_reported_not_raised(tmp_path: Path) -> None:
    path = tmp_path / "unit.toml"
    path.write_text('[device]\nid = "UPPER"\n')
    report = run_selftest(path)
    assert not report.ok
    assert [c.name for c in report.checks] == ["config"]


def test_clock_is_checked_against_the_client_certificate_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_now = dt.datetime.now(dt.UTC)
    monkeypatch.setattr(pki, "_now", lambda: real_now - dt.timedelta(days=1))
    deployment = make_deployment(tmp_path / "deploy")  # its CA was made a day ago
    monkeypatch.setattr(pki, "_now", lambda: real_now)
    made = provision_device(deployment, role="gate", station="QTA01", client_cert=True)
    config = load_unit_config(made.bundle_dir / "unit.toml")
    assert check_clock(config, now=real_now).status in (PASS, WARN)
    check = check_clock(config, now=real_now - dt.timedelta(hours=12))
    assert check.status == FAIL and "client certificate" in check.detail
