"""JSON codec for Khidmat payloads, with validation that names the offending field.

Payload shape (UTF-8 JSON object)::

    {"schema": "khidmat.<kind>", "version": 1, "id": "<UUIDv7>",
     "device_id": "<device id>", "device_time_ms": <Unix ms>, "body": {...}}

:func:`decode` checks the size, the envelope, then every body field against its type and
limits, and raises :class:`WireError` naming the first offending field. Error messages never repeat a string field's value (a CNIC
or a template must not reach a log through an error). Pure functions;
thread-safe. Cost: about 20-60 us for a typical record, linear in payload size.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import typing
from dataclasses import dataclass
from functools import cache
from typing import Any

from khidmat_wire.errors import WireError
from khidmat_wire.fields import limits_of
from khidmat_wire.ids import UUID7_PATTERN, new_record_id, record_id_time_ms
from khidmat_wire.messages import ALL_BODIES
from khidmat_wire.topics import check_device_id

VERSION = 1
SCHEMA_PREFIX = "khidmat."
MAX_PAYLOAD_BYTES = 1_048_576
"""Largest payload of any kind but a watchlist (1 MiB)."""
MAX_WATCHLIST_BYTES = 64 * 1_048_576
"""Largest watchlist payload (64 MiB: about 200,000 entries)."""
_SURROGATE = re.compile("[\ud800-\udfff]")
"""Lone UTF-16 surrogates, which JSON escapes can carry but UTF-8 cannot encode."""
ENVELOPE_KEYS = ("schema", "version", "id", "device_id", "device_time_ms", "body")


@dataclass(frozen=True, slots=True)
class Envelope:
    """A decoded payload: header fields plus the kind's body dataclass."""

    kind: str
    record_id: str
    device_id: str
    device_time_ms: int
    body: Any

    @property
    def schema(self) -> str:
        return SCHEMA_PREFIX + self.kind


def make_envelope(kind: str, device_id: str, body: Any, *, now_ms: int | None = None) -> Envelope:
    """Wrap a body in a new envelope with a fresh UUIDv7 record id."""
    if ALL_BODIES.get(kind) is not type(body):
        raise WireError("body", f"a {type(body).__name__} is not a {kind!r} body")
    record_id = new_record_id() if now_ms is None else new_record_id(now_ms)
    return Envelope(
        kind, record_id, device_id, record_id_time_ms(record_id) if now_ms is None else now_ms, body
    )


def encode(envelope: Envelope, *, check: bool = True) -> bytes:
    """Serialise an envelope to compact UTF-8 JSON, checked by :func:`decode` as a receiver
    would check it (about half the cost of encoding).

    ``check=False`` skips that round trip, for a message its maker built only from values
    that were checked before (the hub's acks name ids read from checked records; the
    statuses pushed on intake are built from the complaint it just opened from a checked
    record). The receiver checks every message all the same (a unit's agent decodes each
    downlink), so an unchecked message that is wrong is refused there, not trusted.
    """
    document = {
        "schema": envelope.schema,
        "version": VERSION,
        "id": envelope.record_id,
        "device_id": envelope.device_id,
        "device_time_ms": envelope.device_time_ms,
        "body": body_to_json(envelope.body),
    }
    data = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    if check:  # round trip: a unit can never send what the hub would reject
        decode(data, expected_kind=envelope.kind)
    return data


def body_to_json(body: Any) -> dict[str, Any]:
    """A body dataclass as plain JSON-ready dicts and lists."""
    return {f.name: _to_json(getattr(body, f.name)) for f in dataclasses.fields(body)}


def _to_json(value: Any) -> Any:
    if dataclasses.is_dataclass(value):
        return body_to_json(value)
    if isinstance(value, tuple):
        return [_to_json(v) for v in value]
    return value


def decode(payload: bytes | str, *, expected_kind: str | None = None) -> Envelope:
    """Parse and validate a payload; raises WireError naming the offending field."""
    if isinstance(payload, str):
        payload = payload.encode("utf-8")
    limit = MAX_WATCHLIST_BYTES if expected_kind == "watchlist" else MAX_PAYLOAD_BYTES
    if len(payload) > limit:
        raise WireError("payload", f"{len(payload)} bytes is over the {limit}-byte limit")
    try:
        document = json.loads(payload.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise WireError("payload", f"not UTF-8 ({error.reason} at byte {error.start})") from None
    except json.JSONDecodeError as error:
        raise WireError(
            "payload", f"not JSON ({error.msg} at line {error.lineno} column {error.colno})"
        ) from None
    except RecursionError:
        raise WireError("payload", "JSON nested too deeply") from None
    except ValueError:
        # json.loads raises a plain ValueError for an integer literal over Python's
        # int_max_str_digits (4,300): not a JSONDecodeError, and it must not escape.
        raise WireError("payload", "not JSON (a number literal is too long)") from None
    if not isinstance(document, dict):
        raise WireError("payload", f"must be a JSON object, got {_json_type(document)}")
    for key in document:
        if key not in ENVELOPE_KEYS:
            raise WireError(str(key)[:40], "unknown envelope field")
    for key in ENVELOPE_KEYS:
        if key not in document:
            raise WireError(key, "missing")
    schema = document["schema"]
    if not isinstance(schema, str) or not schema.startswith(SCHEMA_PREFIX):
        raise WireError("schema", f"must be 'khidmat.<kind>', got {str(schema)[:60]!r}")
    kind = schema[len(SCHEMA_PREFIX) :]
    if kind not in ALL_BODIES:
        raise WireError("schema", f"unknown kind {kind[:40]!r}")
    if expected_kind is not None and kind != expected_kind:
        raise WireError("schema", f"{kind!r} payload on a {expected_kind!r} topic")
    version = document["version"]
    if type(version) is not int or version != VERSION:
        raise WireError(
            "version", f"unsupported version {str(version)[:20]}; this build speaks {VERSION}"
        )
    record_id = document["id"]
    if not isinstance(record_id, str) or UUID7_PATTERN.fullmatch(record_id) is None:
        raise WireError("id", "must be a lower-case UUIDv7 string")
    device_id = document["device_id"]
    if not isinstance(device_id, str):
        raise WireError("device_id", "must be a string")
    check_device_id(device_id)
    device_time = document["device_time_ms"]
    if type(device_time) is not int or not 0 <= device_time < 2**53:
        raise WireError("device_time_ms", "must be a non-negative integer (Unix ms)")
    body = _build(ALL_BODIES[kind], document["body"], "body")
    return Envelope(kind, record_id, device_id, device_time, body)


@dataclass(frozen=True, slots=True)
class _FieldPlan:
    """How to check one field, worked out once per body class."""

    name: str
    limits: Any
    required: bool
    is_list: bool
    nested: type | None  # a body class (for the field, or for each item of a list)
    scalar: type | None  # str, int, float or bool (for the field, or for each item)


@cache
def _plan(cls: type) -> tuple[tuple[_FieldPlan, ...], frozenset[str]]:
    hints = typing.get_type_hints(cls)
    plans = []
    for field in dataclasses.fields(cls):
        annotation = hints[field.name]
        is_list = typing.get_origin(annotation) is tuple
        inner = typing.get_args(annotation)[0] if is_list else annotation
        nested = inner if dataclasses.is_dataclass(inner) else None
        plans.append(
            _FieldPlan(
                field.name,
                limits_of(field),
                field.default is dataclasses.MISSING,
                is_list,
                nested,
                None if nested else inner,
            )
        )
    return tuple(plans), frozenset(p.name for p in plans)


def build(cls: type, raw: Any, path: str = "body") -> Any:
    """A body (or nested body) of class ``cls`` from JSON-like ``raw``, checked exactly as
    :func:`decode` checks it: WireError names the first offending field under ``path``.
    For input that does not arrive as a payload (a hub's import file)."""
    if cls not in ALL_BODIES.values() and not any(
        cls in _nested(body) for body in ALL_BODIES.values()
    ):
        raise WireError(path, f"{getattr(cls, '__name__', cls)!r} is not a message body")
    return _build(cls, raw, path)


def _nested(cls: type) -> set[type]:
    plans, _ = _plan(cls)
    found: set[type] = set()
    for plan in plans:
        if plan.nested is not None:
            found |= {plan.nested} | _nested(plan.nested)
    return found


def _build(cls: type, raw: Any, path: str) -> Any:
    if not isinstance(raw, dict):
        raise WireError(path, f"must be an object, got {_json_type(raw)}")
    plans, names = _plan(cls)
    for key in raw:
        if key not in names:
            raise WireError(f"{path}.{str(key)[:40]}", "unknown field")
    values = {}
    for plan in plans:
        if plan.name not in raw:
            if not plan.required:
                continue
            raise WireError(f"{path}.{plan.name}", "missing")
        values[plan.name] = _check(plan, raw[plan.name], path)
    return cls(**values)


def _check(plan: _FieldPlan, value: Any, parent: str) -> Any:
    limits = plan.limits
    if plan.is_list:
        if not isinstance(value, list):
            raise WireError(f"{parent}.{plan.name}", f"must be a list, got {_json_type(value)}")
        if limits.max_len is not None and len(value) > limits.max_len:
            raise WireError(
                f"{parent}.{plan.name}", f"{len(value)} items is over the limit of {limits.max_len}"
            )
        if plan.nested is not None:
            return tuple(
                _build(plan.nested, item, f"{parent}.{plan.name}[{i}]")
                for i, item in enumerate(value)
            )
        items = []
        for index, item in enumerate(value):
            try:
                items.append(_scalar(plan.scalar, item, limits, is_item=True))
            except _Reject as reject:
                raise WireError(f"{parent}.{plan.name}[{index}]", reject.reason) from None
        return tuple(items)
    if plan.nested is not None:
        return _build(plan.nested, value, f"{parent}.{plan.name}")
    try:
        return _scalar(plan.scalar, value, limits, is_item=False)
    except _Reject as reject:
        raise WireError(f"{parent}.{plan.name}", reject.reason) from None


class _Reject(Exception):
    """A scalar broke its limits; the caller raises WireError with the field's path."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _scalar(annotation: Any, value: Any, limits: Any, *, is_item: bool) -> Any:
    """The checked value; raises _Reject (the caller adds the field path)."""
    if annotation is bool:
        if type(value) is not bool:
            raise _Reject(f"must be true or false, got {_json_type(value)}")
        return value
    if annotation is int:
        if type(value) is not int:
            raise _Reject(f"must be an integer, got {_json_type(value)}")
        _range(value, limits)
        return value
    if annotation is float:
        if type(value) not in (int, float) or not math.isfinite(value):
            raise _Reject(f"must be a finite number, got {_json_type(value)}")
        _range(value, limits)
        return float(value)
    if annotation is str:
        if not isinstance(value, str):
            raise _Reject(f"must be a string, got {_json_type(value)}")
        max_len = 100 if is_item else limits.max_len
        if max_len is not None and len(value) > max_len:
            raise _Reject(f"{len(value)} characters is over the limit of {max_len}")
        if limits.choices is not None and not is_item and value not in limits.choices:
            raise _Reject(f"is not one of {', '.join(limits.choices)}")
        pattern = limits.pattern
        if pattern is not None and pattern.fullmatch(value) is None:
            raise _Reject(f"does not have the required form ({len(value)} characters)")
        if "\x00" in value:
            raise _Reject("contains a NUL character")
        if not value.isascii() and _SURROGATE.search(value):
            # json.loads accepts "\ud800" escapes; such text cannot be stored as UTF-8
            raise _Reject("contains a lone surrogate (not encodable as UTF-8)")
        return value
    raise TypeError(f"unsupported field type {annotation!r}")


def _range(value: float, limits: Any) -> None:
    if limits.lo is not None and value < limits.lo:
        raise _Reject(f"{value} is below the minimum {limits.lo}")
    if limits.hi is not None and value > limits.hi:
        raise _Reject(f"{value} is above the maximum {limits.hi}")


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
