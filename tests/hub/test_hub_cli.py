"""Hub commands: records import (paths kept inside the folder), reports, web console password."""

from __future__ import annotations

import asyncio
import base64
import csv
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from hub.config import load_hub_config
from hub.console.web import (
    PasswordFileError,
    PasswordServer,
    add_account,
    check_password,
    hash_password,
    parse_accounts,
)
from hub.records import RecordError
from hub.records_import import safe_path
from hub.service import HubService
from khidmat.cli import main
from khidmat.testbed import sample_complaint
from khidmat_wire import encode, make_envelope
from khidmat_wire.messages import Feedback


def test_safe_path_refuses_absolute_and_escaping_paths(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "secret.iso").write_bytes(b"x")
    (tmp_path / "in" / "link.iso").symlink_to(tmp_path / "secret.iso")
    assert safe_path(tmp_path / "in", "a/b.iso") == (tmp_path / "in" / "a" / "b.iso").resolve()
    for bad in ("/etc/passwd", "../secret.iso", "a/../../secret.iso", "link.iso", ""):
        with pytest.raises(RecordError):
            safe_path(tmp_path / "in", bad)


def test_records_import_with_templates_and_images(
    tmp_path: Path, templates, hub_toml, capsys
) -> None:
    from PIL import Image

    from edge_agent.sim.fingers import impression_image
    from matcher_cy import Template

    config_path = hub_toml()
    files = tmp_path / "import"
    (files / "gul").mkdir(parents=True)
    (files / "gul" / "r_thumb.iso").write_bytes(Template.from_bytes(templates[(1, 0)]).to_iso())
    (files / "gul" / "r_index.tpl").write_bytes(templates[(2, 0)])
    Image.fromarray(impression_image(3, 0, seed=7)).save(files / "rafiq.png")
    rows = [
        [
            "CRO-1001",
            "Gul Khan",
            "Sher Khan",
            "54400-1111111-1",
            "PPC 392;PPC 411",
            "wanted",
            "1=gul/r_thumb.iso;2=gul/r_index.tpl",
        ],
        ["", "Rafiq", "Ali", "", "PPC 302", "proclaimed-offender", "3=rafiq.png"],
        ["", "Bad Path", "X", "", "", "wanted", "1=../../etc/passwd"],
        ["", "Bad Status", "X", "", "", "missing", ""],
    ]
    with open(files / "people.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["person_id", "name", "father_name", "cnic", "offences", "status", "fingers"]
        )
        writer.writerows(rows)
    code = main(
        [
            "records",
            "import",
            str(files / "people.csv"),
            "--config",
            str(config_path),
            "--officer",
            "CRO-QTA",
        ]
    )
    out = capsys.readouterr()
    assert code == 1  # some rows were refused
    assert "4 rows: 2 people, 3 templates imported" in out.out
    assert "line 4" in out.err and "import folder" in out.err and "line 5" in out.err
    config = load_hub_config(config_path)
    service = HubService(config)
    try:
        records = service.modules.records
        gul = records.get("CRO-1001")
        assert gul.fingers == (1, 2) and gul.offences == ("PPC 392", "PPC 411")
        assert records.search("Rafiq")[0].fingers == (3,)
        assert service.identifier.load() == 3
    finally:
        service.store.close()
    # and out again as ISO and ANSI records that read back as the same minutiae
    for fmt, read in (("iso", Template.from_iso), ("ansi", Template.from_ansi)):
        out_dir = tmp_path / f"export-{fmt}"
        code = main(
            ["records", "export", "CRO-1001", "--format", fmt, "--out", str(out_dir),
             "--config", str(config_path), "--officer", "CRO-QTA"]
        )  # fmt: skip
        assert code == 0
        files = sorted(p.name for p in out_dir.iterdir())
        assert files == [f"CRO-1001-finger1.{fmt}", f"CRO-1001-finger2.{fmt}"]
        again = read((out_dir / f"CRO-1001-finger2.{fmt}").read_bytes())
        assert len(again) == len(Template.from_bytes(templates[(2, 0)])) > 0
    missing = main(
        ["records", "export", "NOPE", "--out", str(tmp_path / "x"), "--config", str(config_path),
         "--officer", "CRO-QTA"]
    )  # fmt: skip
    assert missing == 1 and "no person" in capsys.readouterr().err


def test_complaint_and_fleet_reports(tmp_path: Path, hub_toml, capsys) -> None:
    config_path = hub_toml()
    service = HubService(load_hub_config(config_path))
    from hub.ingest import Ingestor

    ingestor = Ingestor(service.store, lambda topic, payload: True)
    for i in range(3):
        body = (
            sample_complaint("QTA01", i, device_id="unit-1")
            if i
            else sample_complaint("QTA01", i, device_id="unit-1", category="fraud")
        )
        ingestor.process(
            [
                (
                    "khidmat/v1/dev/unit-1/up/complaint",
                    encode(make_envelope("complaint", "unit-1", body)),
                )
            ]
        )
    complaints = service.modules.complaints
    tracking = sample_complaint("QTA01", 1, device_id="unit-1").tracking_no
    for status, extra in (
        ("registered", {}),
        ("assigned", {"assignee": "SI R"}),
        ("under-investigation", {}),
        ("resolved", {}),
    ):
        complaints.change_status(tracking, status, reason="r", officer="o", desk="general", **extra)
    ingestor.process(
        [
            (
                "khidmat/v1/dev/unit-1/up/feedback",
                encode(make_envelope("feedback", "unit-1", Feedback(tracking, 4))),
            )
        ]
    )
    service.store.set_device_state("unit-1", "online", "desk", "0.1", 1_000)
    service.store.close()
    out_csv = tmp_path / "report.csv"
    assert (
        main(
            [
                "report",
                "complaints",
                "--config",
                str(config_path),
                "--since",
                "2000-01-01",
                "--csv",
                str(out_csv),
            ]
        )
        == 0
    )
    rows = {(r["station"], r["category"]): r for r in csv.DictReader(open(out_csv))}
    assert (
        rows[("QTA01", "theft")]["filed"] == "2"
        and rows[("QTA01", "theft")]["resolved_in_time"] == "1"
    )
    assert rows[("QTA01", "theft")]["mean_rating"] == "4.0" and rows[("ALL", "ALL")]["filed"] == "3"
    assert rows[("QTA01", "fraud")]["open"] == "1"
    assert (
        main(
            [
                "report",
                "fleet",
                "--config",
                str(config_path),
                "--since",
                "2000-01-01",
                "--csv",
                str(out_csv),
            ]
        )
        == 0
    )
    fleet = list(csv.DictReader(open(out_csv)))
    assert fleet[0]["device_id"] == "unit-1" and float(fleet[0]["uptime_pct"]) > 99
    capsys.readouterr()


def _basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def test_web_console_needs_the_operator_password() -> None:
    stored = hash_password("correct horse battery", iterations=1000)
    assert check_password("correct horse battery", stored) and not check_password("wrong", stored)
    accounts = parse_accounts(stored + "\n", officer="ops")
    server = PasswordServer(lambda account: "true", accounts=accounts, host="127.0.0.1", port=0)

    async def scenario() -> list[int]:
        client = TestClient(TestServer(await server._make_app()))
        await client.start_server()
        try:
            codes = [(await client.get("/")).status]
            for password in ("wrong", "correct horse battery"):
                response = await client.get("/", headers=_basic("anyone", password))
                codes.append(response.status)
            return codes
        finally:
            await client.close()

    assert asyncio.run(scenario()) == [401, 401, 200]


def test_each_officer_logs_in_to_the_web_console_as_themselves(tmp_path: Path) -> None:
    """Per-officer accounts: the session runs as the officer who logged in, at their desk."""
    file = tmp_path / "console.password"
    add_account(file, "Insp. Nadia", "general", "nadia's long password")
    add_account(file, "LC Amna", "women", "amna's long password")
    add_account(file, "LC Amna", "women", "amna's new password")  # replaced, not doubled
    assert file.stat().st_mode & 0o777 == 0o600
    accounts = parse_accounts(file.read_text())
    assert sorted(accounts) == ["Insp. Nadia", "LC Amna"]
    started: list[tuple[str, str]] = []

    def command_for(account) -> str:  # type: ignore[no-untyped-def]
        started.append((account.officer, account.desk))
        return "true"

    server = PasswordServer(command_for, accounts=accounts, host="127.0.0.1", port=0)
    started.clear()

    async def scenario() -> list[int]:
        client = TestClient(TestServer(await server._make_app()))
        await client.start_server()
        try:
            codes = []
            for user, password in (("LC Amna", "amna's long password"),
                                   ("LC Amna", "nadia's long password"),
                                   ("Insp. Nadia", "amna's new password"),
                                   ("LC Amna", "amna's new password")):  # fmt: skip
                codes.append((await client.get("/", headers=_basic(user, password))).status)
            websocket = await client.ws_connect("/ws", headers=_basic("LC Amna", "amna's new password"))  # fmt: skip
            for _ in range(100):  # the console process is started right after the handshake
                if started:
                    break
                await asyncio.sleep(0.05)
            await websocket.close()
            return codes
        finally:
            await client.close()

    assert asyncio.run(scenario()) == [401, 401, 401, 200]
    assert started == [("LC Amna", "women")]


def test_console_password_files_are_checked() -> None:
    import pytest

    stored = hash_password("x" * 12, iterations=1000)
    with pytest.raises(PasswordFileError, match="needs --officer"):
        parse_accounts(stored)
    with pytest.raises(PasswordFileError, match="line 1"):
        parse_accounts("Nadia\tcanteen\t" + stored)
    with pytest.raises(PasswordFileError, match="no account"):
        parse_accounts("\n")
    with pytest.raises(PasswordFileError, match="without tabs"):
        add_account(Path("/nonexistent/never-written"), "a\tb", "general", "x" * 12)


def test_every_hub_command_and_option_is_documented() -> None:
    """docs/hub.md names every command hub/cli.py registers, and each of its options."""
    import argparse

    import hub.cli
    from khidmat.cli import GROUP_HELP
    from khidmat_base.cli import CommandTree

    class Recorder(CommandTree):
        def __init__(self) -> None:
            super().__init__(argparse.ArgumentParser(), GROUP_HELP)
            self.parsers: dict[str, argparse.ArgumentParser] = {}

        def add(self, path, **kwargs):  # type: ignore[no-untyped-def]
            parser = super().add(path, **kwargs)
            self.parsers[path] = parser
            return parser

    tree = Recorder()
    hub.cli.register(tree)
    docs = (Path(__file__).parents[2] / "docs" / "hub.md").read_text()
    assert set(tree.parsers) == {
        "hub",
        "console",
        "records import",
        "records export",
        "report complaints",
        "report daily",
        "report fleet",
    }
    for path, parser in tree.parsers.items():
        assert f"khidmat {path}" in docs, path
        for action in parser._actions:
            for option in action.option_strings:
                if option.startswith("--") and option != "--help":
                    assert option in docs, f"{path} {option}"
