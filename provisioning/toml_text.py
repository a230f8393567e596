"""Writing the few TOML values provisioning emits (the standard library only reads TOML).

A JSON string literal is a valid TOML basic string (the same escapes, ``\\uXXXX`` for
control characters), so :func:`toml_value` leans on :func:`json.dumps`. Pure; thread-safe.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


def toml_value(value: Any) -> str:
    """A TOML literal for a str, bool, int, float, list of those, or flat mapping (inline table)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"no TOML form for {type(value).__name__}")


def toml_document(sections: Mapping[str, Mapping[str, Any]], *, header: str = "") -> str:
    """A TOML document of ``[section]`` tables with bare-word keys."""
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    for name, table in sections.items():
        if lines:
            lines.append("")
        lines.append(f"[{name}]")
        lines += [f"{key} = {toml_value(value)}" for key, value in table.items()]
    return "\n".join(lines) + "\n"
