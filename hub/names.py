"""Names and CNICs as people write them, made comparable: Hotel Eye's matching keys.

A hotel writes what the guest says or shows: ``Mohammad Akram`` on one register,
``Muhammad Akram`` on the record, ``محمد اکرم`` in an Urdu hotel book; a CNIC with or
without dashes, with spaces, or in Urdu digits. Two keys make them comparable:

- :func:`cnic_digits`: the 13 digits of a CNIC written any of those ways (Urdu and
  Arabic-Indic digits read as 0-9; spaces, dashes and dots dropped), or ``""``.
- :func:`name_key`: a transliteration-aware sound key of a name. Urdu letters are
  transliterated to Latin (:data:`URDU_TO_LATIN`); common spelling variants of the same
  name are brought to one spelling (:data:`SPELLINGS`: Muhammad/Mohammad/Muhammed/Mohd,
  Hussain/Husain/Hussein, Rehman/Rahman, ...); then each word is reduced to its consonant
  skeleton (vowels dropped, as Urdu script does not write short vowels; ``kh``, ``gh``,
  ``sh``, ``ch`` kept as one sound each; ``q`` as ``k``, ``v`` as ``w``, a word-final
  ``h`` dropped, doubled letters once). ``Muhammad Akram`` and ``محمد اکرم`` both give
  ``mhmd krm``.

:func:`name_score` compares two keys with rapidfuzz's ``token_sort_ratio`` (0..100, word
order ignored; docs/decisions/hotel-eye-rapidfuzz.md) and also the keys with the spaces
removed (``Naseebullah`` against ``Naseeb Ullah``), taking the better. Pure functions;
thread-safe. Cost: a few microseconds per name.
"""

from __future__ import annotations

import re
import unicodedata

from rapidfuzz import fuzz

#: Urdu (and Arabic) letters to Latin, one sound each; short vowels are not written in Urdu.
URDU_TO_LATIN: dict[str, str] = {
    "ا": "a", "آ": "a", "أ": "a", "إ": "i", "ب": "b", "پ": "p", "ت": "t", "ٹ": "t",
    "ث": "s", "ج": "j", "چ": "ch", "ح": "h", "خ": "kh", "د": "d", "ڈ": "d", "ذ": "z",
    "ر": "r", "ڑ": "r", "ز": "z", "ژ": "zh", "س": "s", "ش": "sh", "ص": "s", "ض": "z",
    "ط": "t", "ظ": "z", "ع": "a", "غ": "gh", "ف": "f", "ق": "q", "ک": "k", "ك": "k",
    "گ": "g", "ل": "l", "م": "m", "ن": "n", "ں": "n", "و": "w", "ؤ": "w", "ہ": "h",
    "ھ": "h", "ة": "h", "ۃ": "h", "ه": "h", "ء": "", "ی": "y", "ي": "y", "ى": "y",
    "ے": "e", "ۓ": "e", "ئ": "y",
}  # fmt: skip

#: Spellings of one name brought to one (after transliteration, lower case).
SPELLINGS: dict[str, str] = {
    variant: canonical
    for canonical, variants in {
        "muhammad": (
            "mohammad", "mohammed", "muhammed", "mohamed", "muhamad", "mohamad", "mohd", "md",
            "muhammd", "mhmd", "mohammod", "mahomed",
        ),
        "ahmad": ("ahmed", "ahmd", "ehmad", "ehmed"),
        "hussain": ("husain", "hussein", "husein", "hosain", "hussian", "husayn", "hosein"),
        "hassan": ("hasan", "hassaan", "hasaan"),
        "rahman": ("rehman", "rahmaan", "rehmaan"),
        "abdul": ("abdel", "abdal", "abul"),
        "ullah": ("ulla", "allah"),
        "khan": ("khaan",),
        "yusuf": ("yousaf", "yousuf", "yusaf", "yousef", "yousif"),
        "usman": ("osman", "othman", "usmaan"),
        "ali": ("aly",),
        "gul": ("gull",),
    }.items()
    for variant in variants
}  # fmt: skip

_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
_CNIC_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212._/]+")
_WORD = re.compile(r"[a-z]+")
_SOUNDS = (("kh", "x"), ("gh", "G"), ("sh", "S"), ("ch", "C"), ("zh", "Z"), ("ph", "f"),
           ("th", "t"), ("dh", "d"), ("q", "k"), ("v", "w"), ("ck", "k"))  # fmt: skip
_VOWELS = re.compile(r"[aeiouyw]")
_DOUBLES = re.compile(r"(.)\1+")


def cnic_digits(text: str) -> str:
    """The 13 digits of a CNIC as typed (``54400-1234567-1``, ``5440012345671``, Urdu
    digits, spaces), or ``""`` when it is not 13 digits."""
    digits = _CNIC_SEPARATORS.sub("", text.translate(_DIGITS))
    return digits if len(digits) == 13 and digits.isascii() and digits.isdigit() else ""


def format_cnic(digits: str) -> str:
    """``#####-#######-#`` from 13 digits (the vocabulary's CNIC form)."""
    return f"{digits[:5]}-{digits[5:12]}-{digits[12]}"


def latin(name: str) -> str:
    """``name`` in lower-case Latin letters and spaces: Urdu transliterated, accents dropped."""
    letters = "".join(URDU_TO_LATIN.get(char, char) for char in name)
    plain = unicodedata.normalize("NFKD", letters).encode("ascii", "ignore").decode("ascii")
    return " ".join(_WORD.findall(plain.lower()))


def _skeleton(word: str) -> str:
    word = SPELLINGS.get(word, word)
    for sound, one in _SOUNDS:
        word = word.replace(sound, one)
    if len(word) > 1 and word.endswith("h"):
        word = word[:-1]
    consonants = _VOWELS.sub("", word[1:])
    head = "" if _VOWELS.fullmatch(word[:1]) else word[:1]
    return _DOUBLES.sub(r"\1", head + consonants)


def name_key(name: str) -> str:
    """The sound key of a name (words in their order, each a consonant skeleton)."""
    return " ".join(s for s in (_skeleton(w) for w in latin(name).split()) if s)


def name_score(key_a: str, key_b: str) -> float:
    """How alike two name keys are, 0..100 (word order ignored; spacing ignored)."""
    if not key_a or not key_b:
        return 0.0
    spaced = fuzz.token_sort_ratio(key_a, key_b)
    joined = fuzz.ratio("".join(sorted(key_a.split())), "".join(sorted(key_b.split())))
    run_together = fuzz.ratio(key_a.replace(" ", ""), key_b.replace(" ", ""))
    return float(max(spaced, joined, run_together))
