"""The simulated chip's feature extractor and matcher: matcher_cy behind the chip's char files.

A real R30x stores vendor templates ("char files") of a fixed size (512 B on R307/AS608,
768 B on R503). The simulated chip stores a matcher_cy compact template
(``Template.to_bytes()``, 18 B + 8 B per minutia) zero-padded to that size, keeping the
best-quality minutiae that fit (61 on a 512 B char file, 93 on 768 B), so UpChar/DownChar
round-trip and Match/Search score with ``match_score``. Chip scores are
``round(10000 * match_score)``; the match threshold follows the module's security level
(1 -> FMR 1e-2, 3 -> 1e-3 (the default), 5 -> 1e-4; 2 and 4 halfway).

matcher_cy is imported when an engine is made, never at import time. Cost: one
``extract`` per Img2Tz (tens to hundreds of ms), one ``match_score`` per library entry
in Search. Thread-safe (templates are immutable).
"""

from __future__ import annotations

import struct

import numpy as np

#: Compact template: header bytes before the records and the CRC after them.
_TEMPLATE_HEADER_BYTES = 14
_TEMPLATE_CRC_BYTES = 4
_TEMPLATE_RECORD_BYTES = 8
#: Offset of the little-endian u16 minutiae count in the compact header.
_TEMPLATE_COUNT_OFFSET = 12
#: Fewer minutiae than this in a capture: the chip answers FEATURE_FAIL (0x07).
CHIP_MIN_MINUTIAE = 8
#: Chip score = round(match_score * CHIP_SCORE_SCALE), 0..10000 (fits the 16-bit field and
#: resolves the matcher's thresholds, which lie at a few hundredths).
CHIP_SCORE_SCALE = 10000


class FeatureError(Exception):
    """Img2Tz could not make a template; ``messy`` True for IMAGE_MESSY, else FEATURE_FAIL."""

    def __init__(self, message: str, *, messy: bool) -> None:
        super().__init__(message)
        self.messy = messy


class MatcherEngine:
    """Extract and match for a chip with ``char_size_bytes`` char files and ``dpi`` images."""

    def __init__(self, *, char_size_bytes: int, dpi: int) -> None:
        from matcher_cy import Template, extract, match_score, params

        self._template_cls = Template
        self._extract = extract
        self._match_score = match_score
        self._thresholds = {
            1: params.THRESHOLD_FMR_1E2,
            2: (params.THRESHOLD_FMR_1E2 + params.THRESHOLD_FMR_1E3) / 2,
            3: params.THRESHOLD_FMR_1E3,
            4: (params.THRESHOLD_FMR_1E3 + params.THRESHOLD_FMR_1E4) / 2,
            5: params.THRESHOLD_FMR_1E4,
        }
        self.char_size_bytes = char_size_bytes
        self.dpi = dpi
        self.max_minutiae = (
            char_size_bytes - _TEMPLATE_HEADER_BYTES - _TEMPLATE_CRC_BYTES
        ) // _TEMPLATE_RECORD_BYTES

    def extract(self, image: np.ndarray) -> bytes:
        """A padded char file from a uint8 image; FeatureError when the image will not do."""
        try:
            template = self._extract(image, dpi=self.dpi)
        except ValueError as error:
            raise FeatureError(f"extraction failed: {error}", messy=True) from None
        if len(template) < CHIP_MIN_MINUTIAE:
            raise FeatureError(f"only {len(template)} minutiae", messy=False)
        if len(template) > self.max_minutiae:
            minutiae = template.minutiae
            keep = np.argsort(-minutiae["quality"].astype(np.int32), kind="stable")
            template = self._template_cls(
                np.sort(minutiae[keep[: self.max_minutiae]], order=("y", "x")),
                width=template.width,
                height=template.height,
                dpi=template.dpi,
                quality=template.quality,
            )
        data = template.to_bytes()
        return data + bytes(self.char_size_bytes - len(data))

    def parse(self, char: bytes) -> object:
        """The template inside a char file; ValueError (TemplateFormatError) if it holds none."""
        if len(char) < _TEMPLATE_HEADER_BYTES:
            raise ValueError(f"char file of {len(char)} bytes holds no template")
        (count,) = struct.unpack_from("<H", char, _TEMPLATE_COUNT_OFFSET)
        size = _TEMPLATE_HEADER_BYTES + count * _TEMPLATE_RECORD_BYTES + _TEMPLATE_CRC_BYTES
        if size > len(char):
            raise ValueError(f"char file of {len(char)} bytes is too short for {count} minutiae")
        return self._template_cls.from_bytes(char[:size])

    def minutiae_count(self, char: bytes) -> int:
        """Minutiae in a char file (ValueError if it holds no template)."""
        return len(self.parse(char))  # type: ignore[arg-type]

    def score(self, a: bytes, b: bytes) -> int:
        """Chip score of two char files (0..65535); ValueError if either holds no template."""
        value = self._match_score(self.parse(a), self.parse(b))
        return int(min(65535, max(0, round(value * CHIP_SCORE_SCALE))))

    def threshold(self, security_level: int) -> int:
        """Smallest chip score that counts as a match at ``security_level`` (1..5)."""
        return int(round(self._thresholds[security_level] * CHIP_SCORE_SCALE))
