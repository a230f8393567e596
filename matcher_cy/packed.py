"""The packed form of gallery templates: what the 1:N search needs, in flat columns.

Per row (template): where its minutiae start, its info (minutiae count, image width,
height, dpi, quality, number of index codes), its coarse index codes (the first
INDEX_COARSE_GALLERY_CODES, with popcounts), and per index code the fine popcount, the
direction sector and which minutia's cylinder it is (``fine_ref``: the fine code is that
cylinder's masked bits, stored once). Per minutia: x, y, the angle in 1/65536 turn and
type | quality << 8 (the template's compact record), the cylinder's valid cells (CELLS
bits, zero for an invalid cylinder) and its bits under that mask.

This is exact: a template's compact record rebuilds the Template, and the cylinder bits
are read only under the mask (``mcc.local_similarities``), so ``bits & masks`` and the cell
mask give the same score as the full cylinders (tests/matcher_cy/test_matcher_packed.py).
About 96 bytes per minutia and 640 per template (3.7 KiB for 32 minutiae) against about
15 KiB for a Template with its cached Cylinders and index codes.

``Columns`` are plain arrays, read-only views of a mapped file or slices of a
``GrowingColumns``; functions here are pure and thread-safe, GrowingColumns is not.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np

from matcher_cy import index, params
from matcher_cy.mcc import BITS, CELLS, WORDS, Cylinders, hull_edges
from matcher_cy.template import MINUTIA_DTYPE, Template

#: Columns of ``info``.
INFO_FIELDS = ("count", "width", "height", "dpi", "quality", "codes")
CELL_WORDS = 2
COARSE_CODES = params.INDEX_COARSE_GALLERY_CODES
GALLERY_CODES = params.INDEX_GALLERY_CODES
_ANGLE_UNITS = 65536
if CELLS > 64 * CELL_WORDS or params.MCC_ANGULAR_CELLS != 5:
    raise ImportError("matcher_cy.packed: cylinder geometry outside the packed layout")

#: name -> (dtype, per "row" or per "minutia", shape after the first axis)
LAYOUT: dict[str, tuple[str, str, tuple[int, ...]]] = {
    "starts": ("<u8", "row", ()),
    "info": ("<u2", "row", (len(INFO_FIELDS),)),
    "coarse": ("<u8", "row", (COARSE_CODES, index.COARSE_WORDS)),
    "coarse_pop": ("u1", "row", (COARSE_CODES,)),
    "fine_pop": ("<u2", "row", (GALLERY_CODES,)),
    "fine_ref": ("u1", "row", (GALLERY_CODES,)),
    "sectors": ("u1", "row", (GALLERY_CODES,)),
    "minutiae": ("<u2", "minutia", (4,)),
    "cells": ("<u8", "minutia", (CELL_WORDS,)),
    "bits": ("<u8", "minutia", (WORDS,)),
}


@dataclass(frozen=True, slots=True)
class Columns:
    """Packed rows (see module docstring); field names and layout as in LAYOUT."""

    starts: np.ndarray
    info: np.ndarray
    coarse: np.ndarray
    coarse_pop: np.ndarray
    fine_pop: np.ndarray
    fine_ref: np.ndarray
    sectors: np.ndarray
    minutiae: np.ndarray
    cells: np.ndarray
    bits: np.ndarray

    @property
    def rows(self) -> int:
        return len(self.starts)

    def arrays(self) -> dict[str, np.ndarray]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def minutiae_of(self, row: int) -> slice:
        start = int(self.starts[row])
        return slice(start, start + int(self.info[row, 0]))


def empty_columns(rows: int = 0, minutiae: int = 0) -> Columns:
    """Zeroed columns for ``rows`` rows and ``minutiae`` minutiae."""
    made = {}
    for name, (dtype, axis, shape) in LAYOUT.items():
        made[name] = np.zeros((rows if axis == "row" else minutiae, *shape), dtype=dtype)
    return Columns(**made)


def _cell_masks(masks: np.ndarray) -> np.ndarray:
    """(n, WORDS) cylinder masks -> (n, CELL_WORDS) valid-cell bits (a cell's 5 bits agree)."""
    unpacked = np.unpackbits(masks.view(np.uint8), axis=1, bitorder="little")[:, :BITS]
    cells = unpacked[:, :: params.MCC_ANGULAR_CELLS]
    padded = np.zeros((len(masks), 64 * CELL_WORDS), dtype=np.uint8)
    padded[:, :CELLS] = cells
    packed = np.packbits(padded, axis=1, bitorder="little")
    return np.ascontiguousarray(packed).view("<u8").reshape(len(masks), CELL_WORDS)


def _expand_cells(cells: np.ndarray) -> np.ndarray:
    """Inverse of _cell_masks: (n, CELL_WORDS) -> (n, WORDS) uint64 masks."""
    unpacked = np.unpackbits(np.ascontiguousarray(cells).view(np.uint8), axis=1, bitorder="little")[
        :, :CELLS
    ]
    bits = np.repeat(unpacked, params.MCC_ANGULAR_CELLS, axis=1)
    padded = np.zeros((len(cells), 64 * WORDS), dtype=np.uint8)
    padded[:, :BITS] = bits
    packed = np.packbits(padded, axis=1, bitorder="little")
    return np.ascontiguousarray(packed).view("<u8").astype(np.uint64).reshape(len(cells), WORDS)


def pack(template: Template, form: Cylinders) -> Columns:
    """One row: ``template`` and its search form ``form`` (built from it) packed."""
    n = len(template)
    row = empty_columns(1, n)
    m = template.minutiae
    row.minutiae[:, 0] = m["x"]
    row.minutiae[:, 1] = m["y"]
    units = np.round(m["angle"] * (_ANGLE_UNITS / (2 * math.pi)))
    row.minutiae[:, 2] = np.mod(units, _ANGLE_UNITS).astype(np.uint16)
    row.minutiae[:, 3] = m["type"].astype(np.uint16) | (m["quality"].astype(np.uint16) << 8)
    if n:
        row.cells[:] = _cell_masks(np.ascontiguousarray(form.masks, dtype=np.uint64))
        row.bits[:] = form.bits & form.masks
    chosen = index.code_minutiae(form, GALLERY_CODES, spread=True)
    codes = index.index_codes(form, GALLERY_CODES, spread=True)
    used = len(chosen)
    coarse_used = min(used, COARSE_CODES)
    row.info[0] = (n, template.width, template.height, template.dpi, template.quality, used)
    row.coarse[0, :coarse_used] = codes.coarse.bits[:coarse_used]
    row.coarse_pop[0, :coarse_used] = codes.coarse.popcounts[:coarse_used]
    row.fine_pop[0, :used] = codes.fine.popcounts
    row.fine_ref[0, :used] = chosen
    row.sectors[0, :used] = codes.fine.sectors
    return row


def template_of(columns: Columns, row: int) -> Template:
    """The Template packed in ``row`` (equal to the one packed)."""
    records = columns.minutiae[columns.minutiae_of(row)]
    minutiae = np.zeros(len(records), dtype=MINUTIA_DTYPE)
    minutiae["x"] = records[:, 0]
    minutiae["y"] = records[:, 1]
    minutiae["angle"] = records[:, 2] * (2 * math.pi / _ANGLE_UNITS)
    minutiae["type"] = records[:, 3] & 0xFF
    minutiae["quality"] = records[:, 3] >> 8
    _, width, height, dpi, quality, _ = (int(v) for v in columns.info[row])
    return Template(minutiae, width=width, height=height, dpi=dpi, quality=quality)


def cylinders_of(columns: Columns, row: int) -> Cylinders:
    """The reference search form of ``row``: the cylinders of its template with the bits
    outside the mask cleared (the same score; the compiled search rebuilds this in C)."""
    from matcher_cy.mcc import geometry

    x, y, theta = geometry(template_of(columns, row))
    span = columns.minutiae_of(row)
    bits = np.ascontiguousarray(columns.bits[span], dtype=np.uint64)
    masks = _expand_cells(columns.cells[span])
    return Cylinders(x, y, theta, np.cos(theta), np.sin(theta), bits, masks, hull_edges(x, y))


def fine_codes(columns: Columns, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(len(rows), GALLERY_CODES, WORDS) fine codes and (len(rows), GALLERY_CODES) int32
    popcounts of ``rows`` in index.prefilter_scores' layout (unused codes zero)."""
    refs = columns.starts[rows, None].astype(np.int64) + columns.fine_ref[rows].astype(np.int64)
    used = np.arange(GALLERY_CODES)[None, :] < columns.info[rows, 5, None]
    codes = np.where(used[..., None], columns.bits[np.where(used, refs, 0)], 0)
    return codes.astype(np.uint64), columns.fine_pop[rows].astype(np.int32)


class GrowingColumns:
    """Columns in memory with room to append (capacity doubles). Not thread-safe."""

    def __init__(self) -> None:
        self._store = empty_columns(16, 512)
        self.rows = 0
        self.minutiae = 0

    def view(self) -> Columns:
        """The used part (views; valid until the next append)."""
        parts = {}
        for name, array in self._store.arrays().items():
            used = self.rows if LAYOUT[name][1] == "row" else self.minutiae
            parts[name] = array[:used]
        return Columns(**parts)

    def append(self, row: Columns) -> int:
        """Append one packed row; returns its row number."""
        n = len(row.minutiae)
        if self.rows == len(self._store.starts) or self.minutiae + n > len(self._store.bits):
            self._grow(n)
        store = self._store
        for name, array in row.arrays().items():
            if LAYOUT[name][1] == "row":
                getattr(store, name)[self.rows] = array[0]
            else:
                getattr(store, name)[self.minutiae : self.minutiae + n] = array
        store.starts[self.rows] = self.minutiae
        self.rows += 1
        self.minutiae += n
        return self.rows - 1

    def _grow(self, extra: int) -> None:
        rows = max(16, 2 * len(self._store.starts))
        minutiae = max(2 * len(self._store.bits), self.minutiae + extra)
        bigger = empty_columns(rows, minutiae)
        for name, array in self._store.arrays().items():
            getattr(bigger, name)[: len(array)] = array
        self._store = bigger


def gather(parts: list[tuple[Columns, np.ndarray]]) -> Columns:
    """New Columns holding the chosen rows of each part, in order, minutiae contiguous."""
    counts = [columns.info[rows, 0].astype(np.int64) for columns, rows in parts]
    total_rows = sum(len(rows) for _, rows in parts)
    total_minutiae = int(sum(c.sum() for c in counts))
    out = empty_columns(total_rows, total_minutiae)
    row_at = 0
    minutia_at = 0
    for (columns, rows), count in zip(parts, counts, strict=True):
        if len(rows) == 0:
            continue
        starts = columns.starts[rows].astype(np.int64)
        # every chosen minutia: start of its row plus its position within the row
        firsts = np.repeat(starts - np.concatenate([[0], np.cumsum(count)[:-1]]), count)
        picks = firsts + np.arange(int(count.sum()))
        for name, array in columns.arrays().items():
            if name == "starts":
                continue
            if LAYOUT[name][1] == "row":
                getattr(out, name)[row_at : row_at + len(rows)] = array[rows]
            else:
                getattr(out, name)[minutia_at : minutia_at + len(picks)] = array[picks]
        out.starts[row_at : row_at + len(rows)] = minutia_at + np.concatenate(
            [[0], np.cumsum(count)[:-1]]
        )
        row_at += len(rows)
        minutia_at += len(picks)
    return out
