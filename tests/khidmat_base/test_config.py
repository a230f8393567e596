"""Config sections: a TOML table becomes a dataclass, or a ConfigError names the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from khidmat_base.config import BrokerSection, ConfigError, section


def test_a_broker_table_fills_the_section_and_resolves_paths(tmp_path: Path) -> None:
    raw = {"host": "hub.example", "port": 8883, "tls": True, "ca_file": "ca.crt"}
    broker = section(BrokerSection, raw, "broker", tmp_path)
    assert broker.host == "hub.example" and broker.port == 8883 and broker.tls
    assert broker.ca_file == tmp_path / "ca.crt"
    assert section(BrokerSection, None, "broker", tmp_path) == BrokerSection()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"hots": "x"}, r"\[broker\] hots: unknown key"),
        ({"port": "1883"}, r"\[broker\] port: must be a number"),
        ({"port": 1.5}, r"\[broker\] port: must be an integer"),
        ({"tls": 1}, r"\[broker\] tls: must be true or false"),
        ({"ca_file": ""}, r"\[broker\] ca_file: must be a non-empty path string"),
        ([1, 2], r"\[broker\] must be a table"),
    ],
)
def test_a_bad_table_names_the_key(raw: object, message: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=message):
        section(BrokerSection, raw, "broker", tmp_path)
