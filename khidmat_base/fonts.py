"""Where the fonts the project draws with are (Debian's packages; scripts/setup.sh installs
them): Noto Naskh Arabic for Urdu (fonts-noto-core) and DejaVu Sans for Latin text and
digits (fonts-dejavu-core). Used by the hub's daily summary PDF and the unit's printed
receipt. Pure; thread-safe.
"""

from __future__ import annotations

from pathlib import Path

_DIRS = (Path("/usr/share/fonts/truetype"), Path("/usr/share/fonts/opentype"))
URDU_FONT_FILES = tuple(d / "noto" / "NotoNaskhArabic-Regular.ttf" for d in _DIRS)
URDU_BOLD_FONT_FILES = tuple(d / "noto" / "NotoNaskhArabic-Bold.ttf" for d in _DIRS)
LATIN_FONT_FILES = tuple(d / "dejavu" / "DejaVuSans.ttf" for d in _DIRS)
LATIN_BOLD_FONT_FILES = tuple(d / "dejavu" / "DejaVuSans-Bold.ttf" for d in _DIRS)
PACKAGES = {"urdu": "fonts-noto-core", "latin": "fonts-dejavu-core"}


def find_font(script: str = "urdu", *, bold: bool = False) -> Path:
    """The installed font file for ``script`` (urdu or latin); FileNotFoundError naming the
    Debian package when it is missing (no silent fallback to another face)."""
    if script == "urdu":
        candidates = URDU_BOLD_FONT_FILES if bold else URDU_FONT_FILES
        name = "Noto Naskh Arabic"
    elif script == "latin":
        candidates = LATIN_BOLD_FONT_FILES if bold else LATIN_FONT_FILES
        name = "DejaVu Sans"
    else:
        raise ValueError(f"no font for script {script!r}")
    for path in candidates:
        if path.exists():
            return path
    raise FileNotFoundError(
        f"{name} is not installed: apt-get install {PACKAGES[script]} (scripts/setup.sh)"
    )
