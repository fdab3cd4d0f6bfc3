"""Which character separates the fields of a delimited text file.

Kaggle and spreadsheet exports are not all comma-separated: European exports use ``;``,
database dumps ``|`` or a tab. Read with the wrong delimiter, such a file becomes one
column, and a drift check of one wrong column passes silently. So the delimiter is
sniffed from the first lines (``--sep auto``, the default), and a file that still parses
to a single column although its header holds a likely delimiter is an error naming the
``--sep`` to pass.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import lzma
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: delimiters tried by the sniffer, in order of preference on a tie
CANDIDATES = (",", ";", "\t", "|")
#: lines read to sniff the delimiter
SNIFF_LINES = 20
#: bytes read at most to get those lines
SNIFF_BYTES = 1 << 20
#: suffixes of tab-separated files (tab is their default delimiter)
TSV_SUFFIXES = (".tsv", ".tsv.gz", ".tsv.bz2", ".tsv.xz", ".tsv.zip", ".tab")


def describe(sep: str) -> str:
    """How a delimiter is written on the command line.

    Examples
    --------
    >>> describe("\\t"), describe(";")
    ("'\\\\t'", "';'")
    """
    return "'\\t'" if sep == "\t" else repr(sep)


def parse_sep(text: str) -> str:
    """The ``--sep`` value: one character; ``\\t`` or ``tab`` for a tab; ``auto`` kept.

    Examples
    --------
    >>> parse_sep("\\\\t"), parse_sep(";"), parse_sep("auto")
    ('\\t', ';', 'auto')
    """
    if text in ("auto", "\t"):
        return text
    if text.lower() in ("\\t", "tab"):
        return "\t"
    if len(text) != 1 or text in "\r\n\"":
        raise ValueError(
            f"{text!r} is not one character: give the delimiter itself (',', ';', '|'), "
            "'\\t' for a tab, or auto"
        )
    return text


#: compressed text files pandas reads, by suffix, and how to open them
_DECOMPRESSORS: dict[str, Callable[..., Any]] = {
    ".gz": gzip.open,
    ".bz2": bz2.open,
    ".xz": lzma.open,
}


def head_lines(path: Path) -> list[str]:
    """The first lines of a (possibly compressed) text file, decoded leniently.

    Empty when the file cannot be opened this way (the reader reports that).
    """
    name = path.name.lower()
    opener = next((f for suffix, f in _DECOMPRESSORS.items() if name.endswith(suffix)), None)
    try:
        if opener is not None:
            with opener(path, "rb") as stream:
                raw = stream.read(SNIFF_BYTES)
        elif name.endswith(".zip"):
            with zipfile.ZipFile(path) as archive:
                members = archive.namelist()
                if not members:
                    return []
                with archive.open(members[0]) as member:
                    raw = member.read(SNIFF_BYTES)
        elif name.endswith(".zst"):
            return []
        else:
            with open(path, "rb") as handle:
                raw = handle.read(SNIFF_BYTES)
    except (OSError, EOFError, ValueError, zipfile.BadZipFile, lzma.LZMAError):
        return []
    text = raw.decode("utf-8", errors="replace").lstrip("\ufeff")
    return text.splitlines()[:SNIFF_LINES]


def sniff(lines: list[str], default: str = ",") -> str:
    """The delimiter that splits every sampled line into the same number (>= 2) of fields.

    Among such delimiters the one giving the most fields wins (ties: ``CANDIDATES``
    order); with none, ``default``. The last line may be cut short by the sample size,
    so it is left out when there are others.

    Examples
    --------
    >>> sniff(["a;b;c", "1;2,5;3", "4;5;6"])
    ';'
    >>> sniff(["a,b", "1,2"]), sniff(["just one column", "x"])
    (',', ',')
    """
    sample = lines[:-1] if len(lines) > 2 else lines
    sample = [line for line in sample if line.strip()]
    if not sample:
        return default
    best, best_fields = default, 1
    for candidate in CANDIDATES:
        counts = _field_counts(sample, candidate)
        if len(counts) == 1:
            fields = counts.pop()
            if fields > best_fields:
                best, best_fields = candidate, fields
    return best


def _field_counts(lines: list[str], delimiter: str) -> set[int]:
    """How many fields each line has under ``delimiter`` (empty when it cannot be parsed,
    e.g. a field longer than the csv module's limit)."""
    try:
        return {len(row) for row in csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter)}
    except csv.Error:
        return set()


def header_fields(line: str, delimiter: str) -> int:
    """Fields of a header line under ``delimiter`` (0 when it cannot be parsed).

    Examples
    --------
    >>> header_fields("a;b;c", ";"), header_fields("a;b;c", ",")
    (3, 1)
    """
    counts = _field_counts([line], delimiter)
    return counts.pop() if len(counts) == 1 else 0


def likely_delimiter(header: str) -> str | None:
    """A candidate delimiter (not a comma) found in a header that parsed as one column.

    Examples
    --------
    >>> likely_delimiter("id;age;city"), likely_delimiter("plain name")
    (';', None)
    """
    found = [(header.count(c), c) for c in CANDIDATES[1:] if c in header]
    return max(found)[1] if found else None


def default_sep(path: Path) -> str:
    """The delimiter a file's suffix implies: a tab for ``.tsv``, else a comma."""
    return "\t" if path.name.lower().endswith(TSV_SUFFIXES) else ","
