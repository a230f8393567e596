"""``khidmat diary add|list|close|export|verify`` over a real hub database and hub.toml."""

from __future__ import annotations

import csv
import shutil
import subprocess
from pathlib import Path

import pytest

from hub.config import load_hub_config
from hub.diary import station_day
from hub.diary.chain import check
from khidmat.cli import main
from khidmat_base.clock import now_ms
from tests.hub.raw_sql import run_raw

URDU_TEXT = "ملزم گل خان کو حوالات میں بند کیا گیا"


def _diary(config: Path, *args: str) -> int:
    return main(["diary", *args, "--config", str(config)])


def _add(config: Path, kind: str, text: str, *extra: str) -> int:
    return _diary(
        config, "add", "--station", "QTA1", "--kind", kind, "--officer", "SI Ahmed",
        "--text", text, *extra,
    )  # fmt: skip


def test_add_list_tamper_and_verify_names_the_entry(hub_toml, capsys) -> None:
    config = hub_toml()
    today = station_day(now_ms())
    assert _add(config, "arrival", "") == 0
    assert _add(config, "prisoner-in", "Gul Khan s/o Sher Khan", "--ref", "FIR 112/26") == 0
    assert _add(config, "report", "[red]patrol[/red] on Jinnah Road") == 0
    assert f"QTA1/{today}/2: Prisoner brought in by SI Ahmed" in capsys.readouterr().out
    assert _diary(config, "list", "--station", "QTA1", "--date", today) == 0
    listed = capsys.readouterr().out.splitlines()
    assert len(listed) == 3 and "(ref. FIR 112/26)" in listed[1]
    assert "[red]patrol[/red]" in listed[2]
    assert _diary(config, "list", "--search", "gul") == 0
    assert capsys.readouterr().out.count("\n") == 1
    assert _diary(config, "verify", "--station", "QTA1", "--date", today) == 0
    assert "3 entries, chain intact" in capsys.readouterr().out

    run_raw(
        load_hub_config(config).hub.database,
        "UPDATE diary_entries SET text = 'Gul Khan released' WHERE seq = 2",
    )
    assert _diary(config, "verify", "--station", "QTA1", "--date", today) == 1
    err = capsys.readouterr().err
    assert f"TAMPERED at entry QTA1/{today}/2" in err and "changed" in err
    assert _diary(config, "verify") == 1  # every stored day
    assert _diary(config, "close", "--station", "QTA1", "--date", today, "--officer", "Insp") == 1
    assert "not closed" in capsys.readouterr().err


def test_refusals_and_bad_input_are_explained(hub_toml, capsys) -> None:
    config = hub_toml()
    assert _add(config, "report", "") == 1
    assert "needs text" in capsys.readouterr().err
    assert _add(config, "correction", "x", "--corrects", "QTA1/2026-12-06/4") == 1
    assert "no entry QTA1/2026-12-06/4" in capsys.readouterr().err
    assert _diary(config, "verify", "--station", "QTA1", "--date", "06-12-2026") == 1
    assert "YYYY-MM-DD" in capsys.readouterr().err
    assert _diary(config, "export", "--station", "QTA1", "--date", "2026-12-06", "--out", "x") == 1
    assert "not closed" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # argparse: the hub's own kinds are not offered
        _add(config, "unit-offline", "x")
    missing = main(["diary", "verify", "--config", str(config.parent / "none.toml")])
    assert missing == 2 and "Traceback" not in capsys.readouterr().err


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) missing")
def test_a_closed_day_exports_as_csv_that_verifies_and_a_pdf_with_urdu(
    hub_toml, tmp_path, capsys
) -> None:
    config = hub_toml()
    today = station_day(now_ms())
    assert _add(config, "prisoner-in", URDU_TEXT, "--ref", "FIR 112/26") == 0
    assert _add(config, "property", "one motorcycle LEA-1234") == 0
    assert _add(config, "correction", "registration LEB-1234", "--corrects", f"QTA1/{today}/2") == 0
    out = tmp_path / "out"
    assert (
        _diary(config, "close", "--station", "QTA1", "--date", today, "--officer", "Insp. Nadia")
        == 0
    )
    assert _add(config, "arrival", "") == 0  # goes to the next day
    capsys.readouterr()
    assert _diary(config, "export", "--station", "QTA1", "--date", today, "--out", str(out)) == 0
    csv_path, pdf_path = (Path(p) for p in capsys.readouterr().out.split())
    with open(csv_path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["kind"] for r in rows] == ["prisoner-in", "property", "correction", "day-closed"]
    assert rows[0]["text"] == URDU_TEXT and rows[2]["corrects"] == f"QTA1/{today}/2"
    for row in rows:
        row["seq"], row["at_ms"] = int(row["seq"]), int(row["at_ms"])
    register = {"entries": 4, "head_hash": rows[-1]["hash"], "closed_ms": 1}
    assert check("QTA1", today, rows, register, closing_kind="day-closed").ok  # from the file
    rows[1]["text"] = "two motorcycles"
    assert check("QTA1", today, rows, register, closing_kind="day-closed").first_bad.endswith("/2")
    text = subprocess.run(
        ["pdftotext", str(pdf_path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert URDU_TEXT in text and "روزنامچہ" in text and "Station daily diary" in text
    assert "Insp. Nadia" in text and rows[-1]["hash"][:40] in text.replace("\n", "")


def test_every_diary_command_and_option_is_documented() -> None:
    """docs/hub.md names every diary command and option; docs/station.md shows each command."""
    import argparse

    import hub.diary_cli
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
    hub.diary_cli.register(tree)
    docs = Path(__file__).parents[2] / "docs"
    hub_md, station_md = (docs / "hub.md").read_text(), (docs / "station.md").read_text()
    assert set(tree.parsers) == {f"diary {c}" for c in ("add", "list", "close", "export", "verify")}
    for path, parser in tree.parsers.items():
        assert f"khidmat {path}" in hub_md and f"khidmat {path}" in station_md, path
        for action in parser._actions:
            for option in action.option_strings:
                if option.startswith("--") and option != "--help":
                    assert option in hub_md, f"{path} {option}"
