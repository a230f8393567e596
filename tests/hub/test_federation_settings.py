"""The hub config's ``[federation]`` section: read, checked, every mistake named."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.config import load_hub_config
from khidmat_base.config import ConfigError

BASE = '[hub]\ndatabase = "hub.db"\n\n[broker]\nhost = "127.0.0.1"\nport = 1883\n\n'


def config(tmp_path: Path, federation: str):
    path = tmp_path / "hub.toml"
    path.write_text(BASE + "[federation]\n" + federation)
    return load_hub_config(path)


def test_a_federated_hub(tmp_path: Path) -> None:
    loaded = config(
        tmp_path,
        'province = "sindh"\nprovinces = ["punjab", "balochistan"]\npolicy = "every"\n'
        'deadline_s = 2\ndesk = "Sindh CRO desk"\nasks_per_s = 5\n',
    )
    assert loaded.federation is not None
    assert loaded.federation.provinces == ("punjab", "balochistan")
    assert (loaded.federation.policy, loaded.federation.deadline_s) == ("every", 2.0)
    assert loaded.federation.asks_per_s == 5.0
    unfederated = tmp_path / "plain.toml"
    unfederated.write_text(BASE)
    assert load_hub_config(unfederated).federation is None


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('provinces = ["punjab"]\n', "province: missing"),
        ('province = "sindh"\n', "provinces: missing"),
        ('province = "Sindh"\nprovinces = ["punjab"]\n', "province: must be"),
        ('province = "sindh"\nprovinces = ["sindh"]\n', "not this one"),
        ('province = "sindh"\nprovinces = ["punjab", "punjab"]\n', "distinct"),
        ('province = "sindh"\nprovinces = ["pun/jab"]\n', "provinces"),
        ('province = "sindh"\nprovinces = ["punjab"]\npolicy = "some"\n', "policy"),
        ('province = "sindh"\nprovinces = ["punjab"]\ndeadline_s = 0\n', "deadline_s"),
        ('province = "sindh"\nprovinces = ["punjab"]\ndeadline_s = 600\n', "deadline_s"),
        ('province = "sindh"\nprovinces = ["punjab"]\ndesk = "' + "x" * 201 + '"\n', "desk"),
        ('province = "sindh"\nprovinces = ["punjab"]\nbridge = 1\n', "bridge: unknown key"),
        ('province = "sindh"\nprovinces = ["punjab"]\nasks_per_s = 0\n', "asks_per_s"),
    ],
)
def test_mistakes_are_named(tmp_path: Path, text: str, named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        config(tmp_path, text)
