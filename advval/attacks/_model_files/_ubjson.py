"""A strict reader of UBJSON (Universal Binary JSON), the format of XGBoost's ``.ubj`` models.

Only what a well-formed document needs is accepted: objects, arrays (plain, counted, and
counted arrays of one numeric type, read as NumPy arrays in one step), strings, whole
numbers, floats, ``true`` / ``false`` / ``null``. Every size is checked against the bytes
left before anything is allocated, nesting is bounded, duplicate keys, trailing bytes and
no-op or high-precision markers are refused, and at most :data:`MAX_VALUES` values are
read one by one: a hostile file gives a :class:`UBJSONError`
naming the byte offset, never a huge allocation, a deep recursion or a hang.
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: deepest nesting of objects and arrays accepted
MAX_DEPTH = 64
#: most values read one by one (each becomes a Python object; numeric typed arrays, one
#: NumPy array each, count once): a file of tiny values cannot take 50 bytes per byte
MAX_VALUES = 5_000_000

_INTS = {
    ord("i"): (">i1", 1),
    ord("U"): (">u1", 1),
    ord("I"): (">i2", 2),
    ord("l"): (">i4", 4),
    ord("L"): (">i8", 8),
}
_FLOATS = {ord("d"): (">f4", 4), ord("D"): (">f8", 8)}
_NUMBERS = _INTS | _FLOATS


class UBJSONError(ValueError):
    """A byte string that is not a well-formed UBJSON document."""


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = memoryview(data)
        self.pos = 0
        self.values = 0

    def fail(self, what: str) -> UBJSONError:
        return UBJSONError(f"malformed UBJSON at byte {self.pos}: {what}")

    def take(self, n: int) -> memoryview:
        if n < 0 or n > len(self.data) - self.pos:
            raise self.fail(f"{n} bytes wanted, {len(self.data) - self.pos} left")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def marker(self) -> int:
        return int(self.take(1)[0])

    def number(self, marker: int) -> int | float:
        fmt, size = _NUMBERS[marker]
        value = np.frombuffer(self.take(size), dtype=fmt)[0]
        return float(value) if marker in _FLOATS else int(value)

    def length(self, marker: int | None = None) -> int:
        marker = self.marker() if marker is None else marker
        if marker not in _INTS:
            raise self.fail(f"a length must be a whole number, got marker {chr(marker)!r}")
        n = self.number(marker)
        if not isinstance(n, int) or n < 0:
            raise self.fail(f"negative length {n}")
        return n

    def text(self) -> str:
        raw = self.take(self.length())
        try:
            return bytes(raw).decode("utf-8")
        except UnicodeDecodeError:
            raise self.fail("a string is not UTF-8") from None

    def value(self, depth: int, marker: int | None = None) -> Any:
        if depth > MAX_DEPTH:
            raise self.fail(f"nesting deeper than {MAX_DEPTH}")
        self.values += 1
        if self.values > MAX_VALUES:
            raise self.fail(f"more than {MAX_VALUES} values")
        marker = self.marker() if marker is None else marker
        if marker in _NUMBERS:
            return self.number(marker)
        if marker == ord("S"):
            return self.text()
        if marker == ord("C"):
            return bytes(self.take(1)).decode("latin-1")
        if marker == ord("T"):
            return True
        if marker == ord("F"):
            return False
        if marker == ord("Z"):
            return None
        if marker == ord("["):
            return self.array(depth + 1)
        if marker == ord("{"):
            return self.object(depth + 1)
        raise self.fail(f"unexpected marker {chr(marker)!r}")

    def header(self) -> tuple[int | None, int | None]:
        """The optional ``$type`` and ``#count`` of a container."""
        kind = None
        if self.pos < len(self.data) and self.data[self.pos] == ord("$"):
            self.pos += 1
            kind = self.marker()
            if kind not in _NUMBERS:
                raise self.fail("only numeric typed containers are read")
            if self.pos >= len(self.data) or self.data[self.pos] != ord("#"):
                raise self.fail("a typed container needs a count")
        count = None
        if self.pos < len(self.data) and self.data[self.pos] == ord("#"):
            self.pos += 1
            count = self.length()
        return kind, count

    def array(self, depth: int) -> Any:
        kind, count = self.header()
        if kind is not None and count is not None:
            fmt, size = _NUMBERS[kind]
            if count > (len(self.data) - self.pos) // size:
                raise self.fail(f"an array of {count} numbers is longer than the file")
            out = np.frombuffer(self.take(count * size), dtype=fmt)
            return out.astype(out.dtype.newbyteorder("="))
        if count is not None:
            if count > len(self.data) - self.pos:
                raise self.fail(f"an array of {count} items is longer than the file")
            return [self.value(depth) for _ in range(count)]
        items: list[Any] = []
        while True:
            marker = self.marker()
            if marker == ord("]"):
                return items
            items.append(self.value(depth, marker))

    def object(self, depth: int) -> dict[str, Any]:
        kind, count = self.header()
        if kind is not None:
            raise self.fail("typed objects are not read")
        out: dict[str, Any] = {}
        while True:
            if count is not None and len(out) == count:
                return out
            if count is None and self.pos < len(self.data) and self.data[self.pos] == ord("}"):
                self.pos += 1
                return out
            key = self.text()
            if key in out:
                raise self.fail(f"the key {key!r} appears twice")
            out[key] = self.value(depth)


def loads(data: bytes) -> Any:
    """Parse one UBJSON document; numeric typed arrays come back as NumPy arrays.

    Raises
    ------
    UBJSONError
        A ``ValueError`` with the byte offset of the first problem.

    Examples
    --------
    >>> loads(b"{i\\x01aSi\\x02hi}")
    {'a': 'hi'}
    >>> loads(b"[$l#i\\x02\\x00\\x00\\x00\\x01\\x00\\x00\\x00\\x02").tolist()
    [1, 2]
    """
    reader = _Reader(bytes(data))
    value = reader.value(0)
    if reader.pos != len(reader.data):
        raise reader.fail(f"{len(reader.data) - reader.pos} bytes after the document")
    return value
