"""What a bank's CSV file is written in: its encoding and its delimiter, detected per file.

Supported encodings: UTF-8, UTF-8 with BOM, GBK/GB18030 (Chinese), cp1250 (Central European)
and cp1252 (Western European). Detection reads the head of the file: a BOM decides; text that
decodes as UTF-8 is UTF-8; otherwise each remaining candidate is decoded and judged by how
plausible its non-ASCII characters are (charset-normalizer breaks ties between cp1250 and
cp1252). The difficult case is text that decodes as GBK by accident: GBK pairs almost any two
bytes of 0x81-0xFE with a following byte, so Latin text with accents (``Dvořák``, ``Józef``)
is often valid GBK, read as rare ideographs glued to Latin letters. Such a decode is refused
with the encoding it most likely is, whether GBK was detected or asked for.

Delimiters: comma, semicolon, tab and pipe, told apart on the header line.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass
from pathlib import Path

from charset_normalizer import from_bytes

DETECT_BYTES = 4 << 20
GB = "gb18030"  # a superset of GBK (and GB2312): reads every GBK file
EUROPEAN = ("cp1250", "cp1252")
SUPPORTED = ("utf-8", "utf-8-sig", GB, *EUROPEAN)
ENCODING_NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 with BOM",
    GB: "GBK/GB18030",
    "cp1250": "cp1250 (Central European)",
    "cp1252": "cp1252 (Western European)",
}
# Share of a decode's non-ASCII characters that must look like real text to accept it.
PLAUSIBLE = 0.9

DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


class EncodingProblem(ValueError):
    """The file's encoding cannot be used; the message names the file and what to do."""


@dataclass(frozen=True)
class Detected:
    """The encoding a file is read with, and a note for the load's warnings (or None)."""

    encoding: str
    note: str | None = None


def normalise(encoding: str) -> str:
    """A canonical codec name: ``GBK``/``gb2312`` -> ``gb18030``, ``UTF8`` -> ``utf-8``, ...

    Raises
    ------
    EncodingProblem
        If Python knows no such codec.
    """
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise EncodingProblem(f"unknown encoding {encoding!r} (supported: {', '.join(SUPPORTED)})") from None
    if name in ("gbk", "gb2312", "gb18030", "hz"):
        return GB
    if name == "utf-8" and encoding.lower().replace("_", "-") in ("utf-8-sig", "utf8-sig"):
        return "utf-8-sig"
    return {"windows-1250": "cp1250", "windows-1252": "cp1252", "latin-1": "cp1252"}.get(name, name)


def _decode(head: bytes, encoding: str) -> str | None:
    """``head`` decoded (a character cut at the end of the sample is not an error), or None."""
    try:
        return codecs.getincrementaldecoder(encoding)().decode(head, final=False)
    except UnicodeDecodeError:
        return None


def _nearly(head: bytes, encoding: str) -> bool:
    """Whether ``head`` is plausible text in ``encoding`` but for a few bad bytes (two, or 1% of
    its non-ASCII characters, and at least 20 good ones to judge by)."""
    text = head.decode(encoding, errors="replace")
    bad = text.count("\ufffd")
    good = sum(1 for ch in text if ord(ch) > 127) - bad
    if bad == 0 or good < 20 or bad > max(2, good / 100):
        return False
    clean = text.replace("\ufffd", "")
    return encoding != GB or gb_plausibility(clean) >= PLAUSIBLE


def _is_cjk(ch: str) -> bool:
    o = ord(ch)
    return 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0x3000 <= o <= 0x303F or 0xFF00 <= o <= 0xFFEF


def _in_gb2312(ch: str) -> bool:
    try:
        ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def gb_plausibility(text: str) -> float:
    """Share of the non-ASCII characters of ``text`` that read as Chinese text: ideographs or
    CJK punctuation, either common (GB2312) or standing apart from Latin letters. Latin text
    decoded as GBK by accident gives rare ideographs glued to Latin letters, or private-use
    characters. 1.0 without non-ASCII characters."""
    total = good = 0
    for i, ch in enumerate(text):
        if ord(ch) < 128:
            continue
        total += 1
        if not _is_cjk(ch) and ch not in "·—“”‘’…":
            continue
        glued = any(0 <= j < len(text) and text[j].isascii() and text[j].isalpha() for j in (i - 1, i + 1))
        if _in_gb2312(ch) or not glued:
            good += 1
    return good / total if total else 1.0


def latin_plausibility(text: str) -> float:
    """Share of the non-ASCII characters of ``text`` that are letters inside words (``ł`` in
    ``Łódź``), as accented Latin text has them; symbols (``£``, ``¤``) and control characters
    count against. 1.0 without non-ASCII characters."""
    total = good = 0
    for i, ch in enumerate(text):
        if ord(ch) < 128:
            continue
        total += 1
        neighbours = [text[j] for j in (i - 1, i + 1) if 0 <= j < len(text)]
        if ch.isalpha() and not _is_cjk(ch) and any(n.isalpha() for n in neighbours):
            good += 1
    return good / total if total else 1.0


# Letters frequent in the languages each code page serves: where cp1250 and cp1252 read the
# same bytes as different letters (Ĺ or Å), the one that reads more of its own common letters wins.
COMMON_LETTERS = {
    "cp1250": set("ąćęłńśźżčďěňřšťůžőűĄĆĘŁŃŚŹŻČĎĚŇŘŠŤŮŽŐŰ"),
    "cp1252": set("àâãåèìïñòõøùûÿœæçéêëîôöüßäÀÂÃÅÈÌÏÑÒÕØÙÛŸŒÆÇÉÊËÎÔÖÜÄšžŠŽ"),
}


def _best_latin(head: bytes, decoded: dict[str, str]) -> tuple[str, float] | None:
    scored = {enc: latin_plausibility(text) for enc, text in decoded.items() if enc in EUROPEAN}
    if not scored:
        return None
    top = max(scored.values())
    tied = [enc for enc, score in scored.items() if score == top]
    if len(tied) > 1:
        common = {enc: sum(ch in COMMON_LETTERS[enc] for ch in decoded[enc]) for enc in tied}
        most = max(common.values())
        tied = [enc for enc in tied if common[enc] == most]
    if len(tied) > 1:  # charset-normalizer's language coherence decides between equals
        ranked = [m.encoding for m in from_bytes(head, cp_isolation=tied)]
        tied.sort(key=lambda enc: ranked.index(enc) if enc in ranked else len(ranked))
    return tied[0], top


def _head(path: Path) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(DETECT_BYTES)


def detect_encoding(path: Path) -> Detected:
    """The encoding ``path`` is written in (one of :data:`SUPPORTED`).

    Raises
    ------
    EncodingProblem
        If the file decodes in none of them, or only implausibly.
    """
    head = _head(path)
    if head.startswith(codecs.BOM_UTF8):
        return Detected("utf-8-sig")
    if b"\x00" in head:  # valid UTF-8, but no CSV text has NUL characters: UTF-16 or binary
        raise EncodingProblem(
            "the file has NUL bytes (UTF-16, or not text at all), which is not supported: save it as "
            f"UTF-8 or GBK, or give its encoding with --encoding {path.name}=ENCODING"
        )
    if _decode(head, "utf-8") is not None:
        return Detected("utf-8")
    # A UTF-8 or GBK file with a stray bad byte is still that file: read it so, and let the
    # reader report the byte with its row and column (rather than guess a code page).
    for enc in ("utf-8", GB):
        if _nearly(head, enc):
            return Detected(enc)
    decoded = {enc: text for enc in (GB, *EUROPEAN) if (text := _decode(head, enc)) is not None}
    gb = decoded.get(GB)
    if gb is not None and gb_plausibility(gb) >= PLAUSIBLE:
        return Detected(GB)
    latin = _best_latin(head, decoded)
    if latin is not None and latin[1] >= PLAUSIBLE:
        note = None
        if gb is not None:
            note = (
                f"{path.name}: read as {ENCODING_NAMES[latin[0]]}; it also decodes as GBK, but only by "
                "accident (rare characters inside Latin words)"
            )
        return Detected(latin[0], note)
    if gb is not None and latin is not None:
        raise EncodingProblem(
            f"the encoding cannot be told: the text decodes as GBK only by accident, and as "
            f"{ENCODING_NAMES[latin[0]]} it reads implausibly; give it with --encoding {path.name}=ENCODING"
        )
    raise EncodingProblem(
        f"the file is in none of the supported encodings ({', '.join(SUPPORTED)}); "
        f"give it with --encoding {path.name}=ENCODING"
    )


def check_encoding(path: Path, encoding: str) -> str:
    """Check an encoding asked for ``path``: its canonical name, if the text is plausible in it.

    Raises
    ------
    EncodingProblem
        If GBK was asked for a file that decodes as GBK only by accident (naming the likely
        encoding), or the name is unknown.
    """
    enc = normalise(encoding)
    if enc != GB:
        return enc
    head = _head(path)
    text = _decode(head, GB)
    if text is None or gb_plausibility(text) >= PLAUSIBLE:
        return enc  # an undecodable byte is reported with its row and column while reading
    decoded = {e: t for e in EUROPEAN if (t := _decode(head, e)) is not None}
    latin = _best_latin(head, decoded)
    likely = ENCODING_NAMES[latin[0]] if latin else "not GBK"
    raise EncodingProblem(
        f"the text decodes as GBK only by accident (rare characters inside Latin words); it is likely "
        f"{likely}: give --encoding {path.name}={latin[0] if latin else 'ENCODING'}"
    )


def detect_delimiter(header: str, expected: tuple[str, ...] = ()) -> str:
    """The delimiter of a header line: the candidate whose split names most ``expected``
    columns, then the one that splits it into most fields; a comma if none splits it."""

    def fields(delim: str) -> list[str]:
        return [f.strip() for f in next(csv.reader(io.StringIO(header), delimiter=delim), [])]

    found = {d: fields(d) for d in DELIMITERS}
    wanted = set(expected)
    best = max(DELIMITERS, key=lambda d: (len(wanted & set(found[d])), len(found[d]), d == ","))
    return best if len(found[best]) > 1 or not expected else ","


def looks_delimited(header: str) -> str | None:
    """The name of the delimiter a header line seems to use (most fields), or None."""
    counts = {d: len(next(csv.reader(io.StringIO(header), delimiter=d), [])) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return DELIMITERS[best] if counts[best] > 1 else None
