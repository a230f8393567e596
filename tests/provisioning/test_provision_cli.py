"""``khidmat provision ...`` end to end through the real command line parser."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from khidmat.cli import build_parser, main
from khidmat_base.mosquitto import free_port

COMMANDS = ("init", "device", "selftest", "revoke", "list", "province")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["provision", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    parser = build_parser(["provisioning.cli"])
    with pytest.raises(SystemExit) as exit_:
        parser.parse_args(["provision", command, "--help"])
    assert exit_.value.code == 0
    help_text = capsys.readouterr().out
    assert f"example:\n  khidmat provision {command}" in help_text


def test_init_device_list_revoke(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = str(tmp_path / "deploy")
    code, out, _ = run(
        capsys, "init", "--dir", root, "--port", str(free_port()), "--bind", "127.0.0.1"
    )
    assert code == 0 and "mosquitto -c" in out
    code, out, _ = run(
        capsys,
        "device",
        "--dir",
        root,
        "--role",
        "gate",
        "--station",
        "qta01",
        "--name",
        "Gate 1",
        "--tar",
    )
    assert code == 0
    device_id = out.split()[1]
    assert device_id.startswith("qta01-gate-")
    assert (tmp_path / "deploy" / "units" / f"{device_id}.tar.gz").is_file()
    assert "reload the broker" in out

    code, out, _ = run(capsys, "list", "--dir", root)
    assert code == 0 and device_id in out and "Gate 1" in out and "1 active" in out

    code, out, err = run(capsys, "revoke", "--dir", root, device_id)
    assert code == 0 and "revoked" in out and "no running broker" in err
    code, out, err = run(capsys, "revoke", "--dir", root, device_id, "--require-reload")
    assert code == 1

    code, out, _ = run(capsys, "list", "--dir", root, "--json")
    (listed,) = json.loads(out)
    assert listed["device_id"] == device_id and listed["retired_at_ms"] is not None
    code, out, _ = run(capsys, "list", "--dir", root, "--active")
    assert device_id not in out and "0 device(s)" in out


def test_user_errors_exit_1_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "list", "--dir", str(tmp_path / "missing"))
    assert code == 1 and "not a deployment directory" in err
    root = str(tmp_path / "deploy")
    assert run(capsys, "init", "--dir", root)[0] == 0
    code, _, err = run(capsys, "init", "--dir", root)
    assert code == 1 and "already initialised" in err
    code, _, err = run(capsys, "device", "--dir", root, "--role", "gate", "--station", "../x")
    assert code == 1 and "station code" in err
    code, _, err = run(capsys, "revoke", "--dir", root, "qta01-gate-ffff")
    assert code == 1 and "no such device" in err


def test_commands_on_a_missing_directory_create_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "missing"
    code, _, err = run(
        capsys, "device", "--dir", str(missing), "--role", "gate", "--station", "QTA01"
    )
    assert code == 1 and "not a deployment directory" in err
    code, _, err = run(capsys, "revoke", "--dir", str(missing), "qta01-gate-0000")
    assert code == 1 and "not a deployment directory" in err
    assert not missing.exists()


def test_init_refuses_the_same_port_twice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(
        capsys, "init", "--dir", str(tmp_path / "d"), "--port", "8883", "--loopback-port", "8883"
    )
    assert code == 1 and "must differ" in err


def test_device_replaces_takes_role_station_and_name_from_the_old_unit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = str(tmp_path / "deploy")
    assert run(capsys, "init", "--dir", root)[0] == 0
    code, out, _ = run(
        capsys, "device", "--dir", root, "--role", "enrol", "--station", "QTA07", "--name", "CRO"
    )
    old_id = out.split()[1]
    code, out, _ = run(capsys, "device", "--dir", root, "--replaces", old_id)
    assert code == 0 and f"replaces {old_id}" in out
    new_id = out.split()[1]
    assert new_id.startswith("qta07-enrol-")
    code, out, _ = run(capsys, "list", "--dir", root, "--json")
    rows = {row["device_id"]: row for row in json.loads(out)}
    assert rows[new_id]["replaces"] == old_id and rows[new_id]["name"] == "CRO"
    assert rows[old_id]["retired_at_ms"] is not None
    code, _, err = run(capsys, "device", "--dir", root)
    assert code == 1 and "--role and --station are required" in err


def test_device_reload_without_a_broker_says_the_unit_is_provisioned(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = str(tmp_path / "deploy")
    assert run(capsys, "init", "--dir", root)[0] == 0
    code, out, err = run(
        capsys, "device", "--dir", root, "--role", "desk", "--station", "QTA01", "--reload"
    )
    assert code == 1 and "is provisioned, but" in err and "no running broker" in err
    assert "1 active" in run(capsys, "list", "--dir", root)[1]
