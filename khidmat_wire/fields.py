"""Field constraints carried in dataclass metadata, read by the codec and the docs.

Every field of every message body is declared with :func:`spec`, so each has a meaning
and a size limit; the codec enforces them and docs/protocol.md lists them.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import MISSING
from typing import Any


@dataclasses.dataclass(frozen=True, slots=True)
class Limits:
    doc: str
    max_len: int | None = None  # characters for str, items for tuples, keys for mappings
    pattern: re.Pattern[str] | None = None
    choices: tuple[str, ...] | None = None
    lo: float | None = None
    hi: float | None = None

    def describe(self) -> str:
        """One line for docs/protocol.md."""
        parts = []
        if self.choices is not None:
            parts.append("one of " + ", ".join(f"`{c}`" for c in self.choices))
        if self.pattern is not None:
            parts.append("matches `" + self.pattern.pattern.replace("|", "\\|") + "`")
        if self.max_len is not None:
            parts.append(f"max {self.max_len}")
        if self.lo is not None or self.hi is not None:
            parts.append(
                f"{self.lo if self.lo is not None else '-inf'}..{self.hi if self.hi is not None else 'inf'}"
            )
        return "; ".join(parts) or "-"


def spec(
    doc: str,
    *,
    max_len: int | None = None,
    pattern: str | None = None,
    choices: tuple[str, ...] | None = None,
    lo: float | None = None,
    hi: float | None = None,
    default: Any = MISSING,
) -> Any:
    """Declare a body field with its meaning and limits (and an optional default)."""
    limits = Limits(doc, max_len, re.compile(pattern) if pattern else None, choices, lo, hi)
    if isinstance(default, (list, dict, set)):
        raise TypeError("mutable default")
    return dataclasses.field(default=default, metadata={"limits": limits})


def limits_of(field: dataclasses.Field[Any]) -> Limits:
    limits = field.metadata.get("limits")
    if limits is None:
        raise TypeError(f"field {field.name} is declared without spec()")
    return limits
