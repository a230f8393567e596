"""docs/protocol.md documents every topic kind and every body exactly as the code defines them."""

from __future__ import annotations

from pathlib import Path

import pytest

from khidmat_wire.doctables import kind_section
from khidmat_wire.messages import ALL_BODIES
from khidmat_wire.topics import DOWN_KINDS, FED_KINDS, UP_KINDS

DOC = (Path(__file__).resolve().parents[2] / "docs" / "protocol.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("kind", sorted(ALL_BODIES))
def test_each_body_table_is_in_the_docs(kind: str) -> None:
    assert f"### `{kind}`\n\n{kind_section(kind)}\n" in DOC, (
        f"regenerate with: python -m khidmat_wire.doctables ({kind})"
    )


def test_kind_lists_match_topics() -> None:
    assert "up kinds: " + ", ".join(f"`{k}`" for k in UP_KINDS) + "." in DOC
    assert "down kinds: " + ", ".join(f"`{k}`" for k in DOWN_KINDS) + "." in DOC
    assert "federation kinds: " + ", ".join(f"`{k}`" for k in FED_KINDS) + "." in DOC
    assert set(UP_KINDS) | set(DOWN_KINDS) | set(FED_KINDS) | {"state"} == set(ALL_BODIES)
