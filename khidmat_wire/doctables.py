"""Markdown tables of every message body, for docs/protocol.md.

``python -m khidmat_wire.doctables`` prints them; tests/khidmat_wire/test_protocol_docs.py
fails when docs/protocol.md does not contain each table exactly as the code defines it.
"""

from __future__ import annotations

import dataclasses
import typing

from khidmat_wire.fields import limits_of
from khidmat_wire.messages import ALL_BODIES


def _type_name(annotation: object) -> str:
    if typing.get_origin(annotation) is tuple:
        return f"list of {_type_name(typing.get_args(annotation)[0])}"
    if dataclasses.is_dataclass(annotation):
        return f"object `{annotation.__name__}`"  # type: ignore[union-attr]
    return {str: "string", int: "integer", float: "number", bool: "boolean"}[annotation]  # type: ignore[index]


def body_classes(cls: type) -> list[type]:
    """``cls`` and every nested body class it uses, depth first, without repeats."""
    found: list[type] = [cls]
    for annotation in typing.get_type_hints(cls).values():
        inner = (
            typing.get_args(annotation)[0] if typing.get_origin(annotation) is tuple else annotation
        )
        if dataclasses.is_dataclass(inner):
            for nested in body_classes(inner):  # type: ignore[arg-type]
                if nested not in found:
                    found.append(nested)
    return found


def table(cls: type) -> str:
    """The markdown table of one body class."""
    hints = typing.get_type_hints(cls)
    lines = [
        f"`{cls.__name__}`",
        "",
        "| field | type | limits | default | meaning |",
        "|---|---|---|---|---|",
    ]
    for field in dataclasses.fields(cls):
        limits = limits_of(field)
        default = "required" if field.default is dataclasses.MISSING else f"`{field.default!r}`"
        lines.append(
            f"| `{field.name}` | {_type_name(hints[field.name])} | {limits.describe()} | {default} | {limits.doc} |"
        )
    return "\n".join(lines)


def kind_section(kind: str) -> str:
    """Every table a kind's body needs."""
    return "\n\n".join(table(cls) for cls in body_classes(ALL_BODIES[kind]))


def main() -> None:
    for kind in ALL_BODIES:
        print(f"### `{kind}`\n\n{kind_section(kind)}\n")


if __name__ == "__main__":
    main()
