"""1:N search: a Gallery of enrolled templates under string keys.

``search`` scores a probe against every enrolled template (exhaustive) or, once the
prefilter is enabled, against a shortlist. Add and remove are O(1) amortised. Memory:
about 100 bytes per minutia (cylinders) plus the template. Not thread-safe for
concurrent mutation; concurrent ``search`` calls on an unchanging gallery are safe.

File format (``save``/``load``), little-endian::

    b"KHMG" | version u8 (=1) | count u32 | count x (key length u16 | key utf-8 |
    template length u32 | compact template bytes)
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from pathlib import Path

from matcher_cy.backend import Backend
from matcher_cy.matching import DEFAULT_BACKEND, search_form
from matcher_cy.template import Template, TemplateFormatError

_MAGIC = b"KHMG"
_VERSION = 1


class Gallery:
    """Enrolled templates by key; ``search(probe, k)`` returns the best ``k`` (key, score)."""

    def __init__(self, *, backend: Backend | None = None) -> None:
        self._backend = backend or DEFAULT_BACKEND
        self._keys: list[str] = []
        self._templates: list[Template] = []
        self._slots: dict[str, int] = {}

    @property
    def implementation(self) -> str:
        """ "cython" or "reference"."""
        return self._backend.name

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, key: object) -> bool:
        return key in self._slots

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._keys))

    def get(self, key: str) -> Template:
        """The template enrolled under ``key``; KeyError when absent."""
        return self._templates[self._slots[key]]

    def add(self, key: str, template: Template) -> None:
        """Enrol ``template`` under ``key``, replacing any template already there."""
        if not isinstance(key, str) or not key:
            raise ValueError("gallery keys must be non-empty strings")
        if len(key.encode()) > 0xFFFF:
            raise ValueError("gallery key longer than 65,535 bytes")
        if not isinstance(template, Template):
            raise TypeError(f"expected a Template, got {type(template).__name__}")
        search_form(template, self._backend)
        slot = self._slots.get(key)
        if slot is not None:
            self._templates[slot] = template
            return
        self._slots[key] = len(self._keys)
        self._keys.append(key)
        self._templates.append(template)

    def remove(self, key: str) -> None:
        """Remove ``key``; KeyError when absent. O(1): the last entry takes its slot."""
        slot = self._slots.pop(key)
        last = len(self._keys) - 1
        if slot != last:
            self._keys[slot] = self._keys[last]
            self._templates[slot] = self._templates[last]
            self._slots[self._keys[slot]] = slot
        self._keys.pop()
        self._templates.pop()

    def search(self, probe: Template, k: int = 5) -> list[tuple[str, float]]:
        """The ``k`` best (key, score) pairs, best first; ties keep enrolment order."""
        if k <= 0:
            raise ValueError("k must be positive")
        backend = self._backend
        probe_form = search_form(probe, backend)
        scored = [
            (-backend.score(probe_form, search_form(template, backend)), slot)
            for slot, template in enumerate(self._templates)
        ]
        scored.sort()
        return [(self._keys[slot], -negative) for negative, slot in scored[:k]]

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the gallery to ``path`` atomically (temporary file, then rename)."""
        target = Path(path)
        temporary = target.with_name(target.name + ".tmp")
        with open(temporary, "wb") as out:
            out.write(_MAGIC + struct.pack("<BI", _VERSION, len(self._keys)))
            for key, template in zip(self._keys, self._templates, strict=True):
                encoded_key = key.encode()
                body = template.to_bytes()
                out.write(struct.pack("<H", len(encoded_key)) + encoded_key)
                out.write(struct.pack("<I", len(body)) + body)
        os.replace(temporary, target)

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, backend: Backend | None = None) -> Gallery:
        """Read a file written by ``save``; TemplateFormatError when it is malformed."""
        data = Path(path).read_bytes()
        if data[:4] != _MAGIC:
            raise TemplateFormatError(f"gallery file {path}: bad magic {data[:4]!r}")
        if len(data) < 9:
            raise TemplateFormatError(f"gallery file {path}: truncated header")
        version, count = struct.unpack_from("<BI", data, 4)
        if version != _VERSION:
            raise TemplateFormatError(f"gallery file {path}: unsupported version {version}")
        gallery = cls(backend=backend)
        offset = 9
        for index in range(count):
            try:
                (key_length,) = struct.unpack_from("<H", data, offset)
                offset += 2
                key = data[offset : offset + key_length].decode()
                offset += key_length
                (body_length,) = struct.unpack_from("<I", data, offset)
                offset += 4
            except (struct.error, UnicodeDecodeError) as error:
                raise TemplateFormatError(
                    f"gallery file {path}: entry {index} header at byte {offset}: {error}"
                ) from None
            body = data[offset : offset + body_length]
            if len(body) != body_length:
                raise TemplateFormatError(f"gallery file {path}: entry {index} truncated")
            offset += body_length
            gallery.add(key, Template.from_bytes(body))
        if offset != len(data):
            raise TemplateFormatError(
                f"gallery file {path}: {len(data) - offset} trailing bytes after {count} entries"
            )
        return gallery
