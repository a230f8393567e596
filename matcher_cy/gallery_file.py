"""The prepared gallery file (mapped read-only) and its append log.

Prepared file, little-endian; every section starts on a 4,096-byte boundary::

    header (4,096 bytes): magic b"KHGP" | format version u16 | layout digest (16 bytes:
      blake2b of matcher_cy.packed.LAYOUT and the index/MCC constants the codes depend on)
      | generation u64 | stamp u64 | rows u64 | minutiae u64 | section count u16 |
      per section (packed.LAYOUT order, then the keys): offset u64, length u64, checksum
      u32 (crc32 of the crc32s of its 16 MiB chunks) | crc32 u32 of the header before it
    sections: the packed.Columns arrays, then the keys (utf-8, each followed by NUL)

Loading maps the file and wraps each section as a read-only numpy array: no per-row work
except splitting the keys (about 0.1 s per million). ``verify`` checks every section's
checksum, its chunks over threads (zlib releases the GIL): about 1 s per GB on one core. A new file is
written to a temporary name, flushed to disk and renamed over the old one, so a reader
sees the old or the new file, never a mixture; a process that has the old one mapped keeps
it (the inode lives until unmapped).

Append log ``<file>.log``: header magic b"KHGL" | version u16 | generation u64 | crc32
u32, then records ``length u32 | crc32 u32 | op u8 (1 add, 2 remove) | key length u16 |
key | compact template (add)``. The log applies only to the prepared file of the same
generation: after a compaction (new file, generation + 1) an old log is ignored, since
its changes are in the file. A torn last record (a writer killed mid-write) fails its
length or crc and ends the replay; the next writer truncates it away. Writers hold an
exclusive flock on the log while appending or compacting. Functions are thread-safe;
a LogWriter is not.
"""

from __future__ import annotations

import fcntl
import hashlib
import mmap
import os
import struct
import tempfile
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from matcher_cy import params
from matcher_cy.packed import LAYOUT, Columns
from matcher_cy.template import TemplateFormatError

MAGIC = b"KHGP"
VERSION = 1
PAGE = 4096
LOG_MAGIC = b"KHGL"
LOG_VERSION = 1
ADD = 1
REMOVE = 2
_HEAD = struct.Struct("<4sH16sQQQQH")
_SECTION = struct.Struct("<QQI")
_LOG_HEAD = struct.Struct("<4sHQ")
_RECORD = struct.Struct("<II")
SECTIONS = (*LAYOUT, "keys")
#: Sections are checksummed in chunks of this many bytes (section_crc).
CHUNK = 16 << 20


def layout_digest() -> bytes:
    """16 bytes that change whenever the packed layout or the constants of the codes do."""
    constants = {
        name: getattr(params, name)
        for name in dir(params)
        if name.startswith(("MCC_", "INDEX_")) or name in ("WORK_DPI", "MAX_TEMPLATE_MINUTIAE")
    }
    text = repr(sorted(LAYOUT.items())) + repr(sorted(constants.items()))
    return hashlib.blake2b(text.encode(), digest_size=16).digest()


@dataclass(frozen=True, slots=True)
class Prepared:
    """A mapped prepared file: its columns (read-only views), keys and header fields."""

    columns: Columns
    keys: list[str]
    generation: int
    stamp: int
    size_bytes: int
    mapping: mmap.mmap | None


def _aligned(offset: int) -> int:
    return -(-offset // PAGE) * PAGE


def write(path: Path, columns: Columns, keys: list[str], *, generation: int, stamp: int) -> None:
    """Write a prepared file atomically (temporary file, fsync, rename, fsync the folder)."""
    if len(keys) != columns.rows:
        raise ValueError(f"{len(keys)} keys for {columns.rows} rows")
    blob = b"".join(key.encode() + b"\0" for key in keys)
    payloads: list[bytes | np.ndarray] = [
        np.ascontiguousarray(columns.arrays()[name]).reshape(-1).view(np.uint8) for name in LAYOUT
    ]
    payloads.append(blob)
    table = []
    offset = PAGE
    for payload in payloads:
        length = payload.nbytes if isinstance(payload, np.ndarray) else len(payload)
        table.append((offset, length, section_crc(payload)))
        offset = _aligned(offset + length)
    head = _HEAD.pack(
        MAGIC,
        VERSION,
        layout_digest(),
        generation,
        stamp,
        columns.rows,
        len(columns.bits),
        len(SECTIONS),
    ) + b"".join(_SECTION.pack(*entry) for entry in table)
    head += struct.pack("<I", zlib.crc32(head))
    descriptor, temporary = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as out:
            out.write(head.ljust(PAGE, b"\0"))
            for (start, _length, _crc), payload in zip(table, payloads, strict=True):
                out.seek(start)
                out.write(payload)
            out.truncate(_aligned(offset))
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _sync_folder(path.parent)


def _sync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def read_header(data: bytes | mmap.mmap, name: str) -> tuple[int, int, int, int, list]:
    """(generation, stamp, rows, minutiae, section table); TemplateFormatError if bad."""
    if len(data) < PAGE:
        raise TemplateFormatError(f"gallery file {name}: {len(data)} bytes, shorter than a header")
    magic, version, digest, generation, stamp, rows, minutiae, count = _HEAD.unpack_from(data)
    if magic != MAGIC:
        raise TemplateFormatError(f"gallery file {name}: bad magic {magic!r}")
    if version != VERSION:
        raise TemplateFormatError(f"gallery file {name}: unsupported version {version}")
    if count != len(SECTIONS):
        raise TemplateFormatError(
            f"gallery file {name}: {count} sections, expected {len(SECTIONS)}"
        )
    end = _HEAD.size + count * _SECTION.size
    (crc,) = struct.unpack_from("<I", data, end)
    if crc != zlib.crc32(data[:end]):
        raise TemplateFormatError(f"gallery file {name}: header checksum mismatch")
    if digest != layout_digest():
        raise TemplateFormatError(
            f"gallery file {name}: prepared with other matcher constants; rebuild it"
        )
    table = [_SECTION.unpack_from(data, _HEAD.size + i * _SECTION.size) for i in range(count)]
    for section, (offset, length, _) in zip(SECTIONS, table, strict=True):
        if offset + length > len(data):
            raise TemplateFormatError(f"gallery file {name}: truncated in section {section}")
    expected = _aligned(table[-1][0] + table[-1][1])
    if len(data) != expected:
        raise TemplateFormatError(
            f"gallery file {name}: {len(data)} bytes, expected {expected} (truncated or trailing bytes)"
        )
    return generation, stamp, rows, minutiae, table


def open_prepared(path: Path, *, verify: bool = True, threads: int = 1) -> Prepared:
    """Map ``path`` read-only; TemplateFormatError when it is malformed (or, with
    ``verify``, when a section's checksum fails)."""
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        if size < PAGE:
            raise TemplateFormatError(f"gallery file {path}: {size} bytes, shorter than a header")
        mapping = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    generation, stamp, rows, minutiae, table = read_header(mapping, str(path))
    if verify:
        _verify(mapping, table, str(path), threads)
    arrays = {}
    for name, (offset, length, _) in zip(LAYOUT, table[: len(LAYOUT)], strict=True):
        dtype, axis, shape = LAYOUT[name]
        count = rows if axis == "row" else minutiae
        expected = count * int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize
        if length != expected:
            raise TemplateFormatError(f"gallery file {path}: section {name} of {length} bytes")
        array = np.frombuffer(mapping, dtype=dtype, count=length // np.dtype(dtype).itemsize,
                              offset=offset)  # fmt: skip
        arrays[name] = array.reshape(count, *shape)
    columns = Columns(**arrays)
    offset, length, _ = table[-1]
    blob = mapping[offset : offset + length]
    keys = blob.decode().split("\0")[:-1] if length else []
    if len(keys) != rows or not blob.endswith(b"\0") and rows:
        raise TemplateFormatError(f"gallery file {path}: {len(keys)} keys for {rows} rows")
    _check_rows(columns, str(path))
    return Prepared(columns, keys, generation, stamp, size, mapping)


def section_crc(data: memoryview | bytes, threads: int = 1) -> int:
    """crc32 of the little-endian u32 crc32s of ``data``'s CHUNK-byte chunks (so chunks
    are checked in parallel; zlib releases the GIL)."""
    view = memoryview(data).cast("B")
    spans = [view[start : start + CHUNK] for start in range(0, len(view), CHUNK)]
    if threads > 1 and len(spans) > 1:
        with ThreadPoolExecutor(min(threads, len(spans))) as pool:
            crcs = list(pool.map(zlib.crc32, spans))
    else:
        crcs = [zlib.crc32(span) for span in spans]
    for span in spans:
        span.release()
    view.release()
    return zlib.crc32(struct.pack(f"<{len(crcs)}I", *crcs))


def _verify(mapping: mmap.mmap, table: list, name: str, threads: int) -> None:
    """Check every section's checksum (section_crc)."""
    view = memoryview(mapping)
    try:
        for section, (offset, length, crc) in zip(SECTIONS, table, strict=True):
            if section_crc(view[offset : offset + length], threads) != crc:
                raise TemplateFormatError(
                    f"gallery file {name}: section {section} checksum mismatch"
                )
    finally:
        view.release()


def _check_rows(columns: Columns, name: str) -> None:
    """Bounds a compiled scan relies on: every row's minutiae and code refs inside."""
    info = columns.info
    ends = columns.starts + info[:, 0]
    if len(ends) and int(ends.max()) > len(columns.bits):
        raise TemplateFormatError(f"gallery file {name}: a row's minutiae outside the file")
    if np.any(info[:, 5] > columns.fine_ref.shape[1]):
        raise TemplateFormatError(f"gallery file {name}: a row with too many index codes")
    used = np.arange(columns.fine_ref.shape[1])[None, :] < info[:, 5, None]
    if np.any(used & (columns.fine_ref >= info[:, 0, None])):
        raise TemplateFormatError(f"gallery file {name}: an index code outside its row")
    if np.any((info[:, 3] < params.MIN_DPI) | (info[:, 3] > params.MAX_DPI)):
        raise TemplateFormatError(f"gallery file {name}: a row's resolution out of range")


# --- the append log --------------------------------------------------------------------
def log_path(path: Path) -> Path:
    return path.with_name(path.name + ".log")


def read_log(path: Path, generation: int) -> tuple[list[tuple[int, str, bytes]], int]:
    """The log's complete records for ``generation`` as (op, key, template bytes), and
    the byte offset after the last good one; ([], 0) when absent or of another generation."""
    try:
        data = log_path(path).read_bytes()
    except FileNotFoundError:
        return [], 0
    head = _LOG_HEAD.size + 4
    if len(data) < head:
        return [], 0
    magic, version, log_generation = _LOG_HEAD.unpack_from(data)
    (crc,) = struct.unpack_from("<I", data, _LOG_HEAD.size)
    if (magic, version) != (LOG_MAGIC, LOG_VERSION) or crc != zlib.crc32(data[: _LOG_HEAD.size]):
        return [], 0
    if log_generation != generation:
        return [], 0
    return list(_records(data, head)), _end_of_records(data, head)


def _records(data: bytes, offset: int) -> Iterator[tuple[int, str, bytes]]:
    while offset + _RECORD.size <= len(data):
        length, crc = _RECORD.unpack_from(data, offset)
        body = data[offset + _RECORD.size : offset + _RECORD.size + length]
        if len(body) != length or length < 3 or zlib.crc32(body) != crc:
            return
        op, key_length = struct.unpack_from("<BH", body)
        try:
            key = body[3 : 3 + key_length].decode()
        except UnicodeDecodeError:
            return
        yield op, key, body[3 + key_length :]
        offset += _RECORD.size + length


def _end_of_records(data: bytes, offset: int) -> int:
    while offset + _RECORD.size <= len(data):
        length, crc = _RECORD.unpack_from(data, offset)
        body = data[offset + _RECORD.size : offset + _RECORD.size + length]
        if len(body) != length or length < 3 or zlib.crc32(body) != crc:
            break
        offset += _RECORD.size + length
    return offset


def record(op: int, key: str, template: bytes = b"") -> bytes:
    """One log record."""
    encoded = key.encode()
    body = struct.pack("<BH", op, len(encoded)) + encoded + template
    return _RECORD.pack(len(body), zlib.crc32(body)) + body


class LogWriter:
    """Appends records to a prepared file's log under an exclusive flock. Not thread-safe."""

    def __init__(self, path: Path, generation: int) -> None:
        self.path = log_path(path)
        self.generation = generation

    def append(self, records: list[bytes], *, durable: bool = True) -> None:
        """Append ``records`` (after dropping a torn tail or a stale generation's log)."""
        with open(self.path, "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                handle.seek(0)
                data = handle.read()
                head = _LOG_HEAD.pack(LOG_MAGIC, LOG_VERSION, self.generation)
                head += struct.pack("<I", zlib.crc32(head))
                if not data.startswith(head):
                    handle.truncate(0)
                    handle.write(head)
                else:
                    end = _end_of_records(data, len(head))
                    if end != len(data):
                        handle.truncate(end)
                handle.write(b"".join(records))
                handle.flush()
                if durable:
                    os.fsync(handle.fileno())
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def reset(self, generation: int) -> None:
        """Start an empty log for ``generation`` (after a compaction), atomically."""
        self.generation = generation
        head = _LOG_HEAD.pack(LOG_MAGIC, LOG_VERSION, generation)
        head += struct.pack("<I", zlib.crc32(head))
        temporary = self.path.with_name(self.path.name + f".{os.getpid()}.tmp")
        with open(temporary, "wb") as out:
            out.write(head)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, self.path)
        _sync_folder(self.path.parent)
