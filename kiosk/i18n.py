"""Languages of the kiosk: gettext catalogs (English source strings, Urdu translation).

Catalogs are committed as ``kiosk/locale/<lang>/LC_MESSAGES/kiosk.po`` and compiled to
``.mo`` at load time (:func:`compile_po`, a small msgfmt: no build step, no GNU gettext
on the unit); a ``.mo`` beside the ``.po`` that is newer is used as is. Every string a
citizen reads goes through :meth:`Translator.__call__`, which returns the translation in
logical (typing) order; the widgets that show it wrap it at their width and only then shape
and reorder each line (:mod:`kiosk.rtl`, :class:`kiosk.rtl_widgets.Paragraph`).

Marking: screens call ``t("English text")``; module-level tables mark their strings with
:func:`N_` (returns the string unchanged) and translate them where shown.
tests/kiosk/test_kiosk_i18n.py fails when a marked string has no Urdu translation.
Thread-safe after construction (read-only); catalogs are cached per language.
"""

from __future__ import annotations

import ast
import functools
import gettext
import io
import struct
from dataclasses import dataclass
from pathlib import Path

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "kiosk"
#: Languages offered on the welcome screen: code -> name shown in that language.
LANGUAGES: dict[str, str] = {"en": "English", "ur": "اردو"}
DEFAULT_LANGUAGE = "en"


def N_(message: str) -> str:
    """Mark a string for translation where it is defined; translate it where it is shown."""
    return message


class CatalogError(ValueError):
    """A .po file that cannot be compiled; the message names the file and line."""


def parse_po(text: str, name: str = "<po>") -> dict[str, str]:
    """msgid -> msgstr of a .po file (plain entries; fuzzy and untranslated ones skipped)."""
    entries: dict[str, str] = {}
    msgid: list[str] | None = None
    msgstr: list[str] | None = None
    current: list[str] | None = None
    fuzzy = False

    def flush() -> None:
        nonlocal msgid, msgstr, fuzzy
        if msgid is not None and msgstr is not None:
            key, value = "".join(msgid), "".join(msgstr)
            if value and not fuzzy:
                entries[key] = value
        msgid = msgstr = None
        fuzzy = False

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        try:
            if line.startswith("#,") and "fuzzy" in line:
                flush()
                fuzzy = True
            elif not line or line.startswith("#"):
                continue
            elif line.startswith("msgid "):
                if msgstr is not None:
                    keep_fuzzy = fuzzy
                    flush()
                    fuzzy = keep_fuzzy
                msgid = [ast.literal_eval(line[6:])]
                current = msgid
            elif line.startswith("msgstr "):
                msgstr = [ast.literal_eval(line[7:])]
                current = msgstr
            elif line.startswith('"') and current is not None:
                current.append(ast.literal_eval(line))
            else:
                raise ValueError(f"unexpected {line[:30]!r}")
        except (ValueError, SyntaxError) as error:
            raise CatalogError(f"{name}:{number}: {error}") from None
    flush()
    return entries


def compile_po(entries: dict[str, str]) -> bytes:
    """GNU .mo bytes for ``entries`` (little-endian, no hash table; UTF-8 header added)."""
    entries = {"": "Content-Type: text/plain; charset=UTF-8\n"} | entries
    keys = sorted(entries)
    ids = [k.encode() for k in keys]
    strs = [entries[k].encode() for k in keys]
    header = 7 * 4
    ids_table = header
    strs_table = ids_table + 8 * len(keys)
    data_start = strs_table + 8 * len(keys)
    offsets: list[tuple[int, int]] = []
    blob = b""
    for item in ids + strs:
        offsets.append((len(item), data_start + len(blob)))
        blob += item + b"\0"
    out = struct.pack("<7I", 0x950412DE, 0, len(keys), ids_table, strs_table, 0, 0)
    for length, offset in offsets:
        out += struct.pack("<2I", length, offset)
    return out + blob


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def catalog(language: str) -> gettext.NullTranslations:
    """The compiled catalog of ``language`` ("en": the source strings themselves)."""
    if language == DEFAULT_LANGUAGE:
        return gettext.NullTranslations()
    if language not in LANGUAGES:
        raise ValueError(f"no such kiosk language {language!r} ({', '.join(LANGUAGES)})")
    po = po_path(language)
    mo = po.with_suffix(".mo")
    if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
        data = mo.read_bytes()
    else:
        data = compile_po(parse_po(po.read_text(encoding="utf-8"), str(po)))
    return gettext.GNUTranslations(io.BytesIO(data))


@dataclass(frozen=True, slots=True)
class Translator:
    """``t(message)``: the message in ``language``, logical order (shaped where shown)."""

    language: str = DEFAULT_LANGUAGE

    @property
    def rtl(self) -> bool:
        return self.language == "ur"

    def __call__(self, message: str, **values: object) -> str:
        text = catalog(self.language).gettext(message)
        if values:
            text = text.format(**values)
        return text


def marked_strings(sources: list[Path]) -> dict[str, str]:
    """msgid -> "file:line" of every ``t("...")``, ``self.t("...")`` and ``N_("...")``.

    Used by the catalog test and to list what a translator must cover. Pure.
    """
    found: dict[str, str] = {}
    for source in sources:
        tree = ast.parse(source.read_text(encoding="utf-8"), str(source))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            first = node.args[0]
            if (
                name in ("t", "N_")
                and isinstance(first, ast.Constant)
                and isinstance(first.value, str)
            ):
                found.setdefault(first.value, f"{source.name}:{node.lineno}")
    return found


def citizen_strings() -> dict[str, str]:
    """msgid -> where, of every string a citizen reads: the desk's marked strings and the
    wire vocabulary's texts (category titles, questions, status names)."""
    from khidmat_wire import vocabulary

    found = marked_strings(citizen_sources())
    for message in vocabulary.texts():
        found.setdefault(message, "khidmat_wire/vocabulary.py")
    return found


def citizen_sources() -> list[Path]:
    """The modules whose strings citizens read (desk screens and their tables)."""
    root = Path(__file__).parent
    names = ["app.py", "categories.py", "validation.py", "receipt_print.py"] + [
        f"screens/{n}.py"
        for n in (
            "welcome",
            "complaint",
            "receipt",
            "track",
            "feedback",
            "printing",
            "licence",
            "lookup",
        )
    ]
    return [root / n for n in names]
