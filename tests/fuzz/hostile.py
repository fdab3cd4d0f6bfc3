"""Hostile and malformed inputs, built from fixed seeds: frames, CSV bytes, Parquet, npz, rules.

Everything here is a pure function of its name: the same call gives the same bytes on every
machine, so a failing case can be rebuilt and named. Nothing is written outside the folder a
caller passes.

Examples
--------
>>> train, test = FRAMES["col-pipe"]()
>>> list(train.columns), len(train), len(test)
(['a|b', '|', 'c'], 40, 40)
>>> CSV_BYTES["empty"]()
b''
"""

from __future__ import annotations

import io
import json
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

#: rows per side of the small frames (a few dozen: the point is the shape, not the size)
ROWS = 40

Pair = tuple[pd.DataFrame, pd.DataFrame]


def base_pair(n: int = ROWS) -> Pair:
    """Two samples of one distribution: numeric ``a``, integer ``b``, text ``c`` (no drift)."""
    frames = []
    for seed in (0, 1):
        rng = np.random.default_rng(seed)
        frames.append(pd.DataFrame({
            "a": rng.normal(size=n).round(4),
            "b": rng.integers(0, 5, n),
            "c": rng.choice(["x", "y", "z"], n),
        }))
    return frames[0], frames[1]


def _renamed(names: list[str]) -> Callable[[], Pair]:
    """The base pair with its columns named ``names`` (a fourth column when four are given)."""

    def make() -> Pair:
        train, test = base_pair()
        if len(names) == 4:
            for frame, seed in ((train, 2), (test, 3)):
                frame["d"] = np.random.default_rng(seed).normal(size=len(frame)).round(3)
        return train.set_axis(names, axis=1), test.set_axis(names, axis=1)

    return make


def _with(column: str, make_values: Callable[[np.random.Generator, int], Any]) -> Callable[
        [], Pair]:
    """The base pair plus one column whose values ``make_values(rng, n)`` draws."""

    def make() -> Pair:
        train, test = base_pair()
        for frame, seed in ((train, 10), (test, 11)):
            frame[column] = make_values(np.random.default_rng(seed), len(frame))
        return train, test

    return make


def _replace_a(make_values: Callable[[np.random.Generator, int], Any]) -> Callable[[], Pair]:
    """The base pair with column ``a`` replaced by ``make_values(rng, n)``."""

    def make() -> Pair:
        train, test = base_pair()
        for frame, seed in ((train, 20), (test, 21)):
            frame["a"] = make_values(np.random.default_rng(seed), len(frame))
        return train, test

    return make


def _datetime_and_year() -> Pair:
    """A datetime column ``t`` next to a user column ``t.year`` (a derived name collides)."""
    train, test = base_pair()
    for frame, start in ((train, "2020-01-01"), (test, "2020-03-01")):
        frame["t"] = pd.date_range(start, periods=len(frame), freq="D").astype(str)
        frame["t.year"] = np.arange(len(frame)) % 7
    return train, test


def _rows(n: int) -> Callable[[], Pair]:
    def make() -> Pair:
        train, test = base_pair()
        return train.head(n), test.head(n)

    return make


def _all_missing() -> Pair:
    train, test = base_pair()
    return (pd.DataFrame(np.nan, index=train.index, columns=["a", "b"]),
            pd.DataFrame(np.nan, index=test.index, columns=["a", "b"]))


def _all_constant() -> Pair:
    train, test = base_pair()
    for frame in (train, test):
        frame["a"], frame["b"], frame["c"] = 1.5, 3, "k"
    return train, test


def _separable() -> Pair:
    """TEST's ``a`` is ten standard deviations away: drift any test must flag."""
    train, test = base_pair()
    test["a"] = test["a"] + 10.0
    return train, test


def _nan_everywhere() -> Pair:
    train, test = base_pair()
    for frame, seed in ((train, 30), (test, 31)):
        mask = np.random.default_rng(seed).random(frame.shape) < 0.3
        for j, column in enumerate(frame.columns):
            frame[column] = frame[column].where(~mask[:, j])
    return train, test


def _identical() -> Pair:
    train, _ = base_pair()
    return train, train.copy()


def _many_levels() -> Pair:
    """5,000 rows, a text column with 5,000 distinct levels (size is the point here)."""
    frames = []
    for seed in (40, 41):
        rng = np.random.default_rng(seed)
        n = 5000
        frames.append(pd.DataFrame({
            "a": rng.normal(size=n).round(3),
            "level": [f"L{seed}-{i:05d}" for i in rng.permutation(n)],
        }))
    return frames[0], frames[1]


def _wide() -> Pair:
    """300 numeric columns, 40 rows: wider than it is long."""
    frames = []
    for seed in (50, 51):
        values = np.random.default_rng(seed).normal(size=(ROWS, 300)).round(3)
        frames.append(pd.DataFrame(values, columns=[f"f{j}" for j in range(300)]))
    return frames[0], frames[1]


#: frame recipes: name -> () -> (train, test); each is one hostile shape of a table
FRAMES: dict[str, Callable[[], Pair]] = {
    "base": base_pair,
    # column names that are legal in pandas and common in real files
    "col-empty-header": _renamed(["", "b", "c"]),
    "col-quotes": _renamed(['say "hi"', "it's", "c"]),
    "col-comma": _renamed(["a,b", "c,d", "e"]),
    "col-brackets": _renamed(["x[0]", "y]", "[z"]),
    "col-braces": _renamed(["{a}", "}", "{"]),
    "col-colon": _renamed(["a:b", ":", "c::d"]),
    "col-newline": _renamed(["line\nbreak", "two\nline\nbreaks", "c"]),
    "col-pipe": _renamed(["a|b", "|", "c"]),
    "col-formula": _renamed(["=cmd|' /C calc'!A0", "+1", "-2", "@SUM(A1)"]),
    "col-unicode": _renamed(["naïve", "日本語", "😀", "\u202eRTL"]),
    "col-10k-chars": _renamed(["x" * 10_000, "b", "c"]),
    "col-json-special": _renamed(['{"a": 1}', "back\\slash", "tab\there"]),
    "col-html": _renamed(["<script>alert(1)</script>", "&amp;", "c"]),
    "col-numbers": _renamed(["0", "1", "2"]),
    "col-whitespace": _renamed([" ", "  ", "c"]),
    "col-strip-duplicates": _renamed(["a", "a ", " a"]),
    "col-pandas-reserved": _renamed(["index", "level_0", "__index_level_0__"]),
    "col-datetime-and-year": _datetime_and_year,
    # values
    "val-near-max-float": _replace_a(lambda rng, n: rng.choice([1.7e308, -1.7e308, 1e308], n)),
    "val-inf": _replace_a(lambda rng, n: np.where(rng.random(n) < 0.3, np.inf, rng.normal(
        size=n))),
    "val-minus-inf": _replace_a(lambda rng, n: np.where(rng.random(n) < 0.3, -np.inf,
                                                         rng.normal(size=n))),
    "val-nan-everywhere": _nan_everywhere,
    "val-all-missing-column": _with("empty", lambda rng, n: np.full(n, np.nan)),
    "val-all-missing": _all_missing,
    "val-constant-column": _with("k", lambda rng, n: np.full(n, 7.0)),
    "val-all-constant": _all_constant,
    "val-single-row": _rows(1),
    "val-two-rows": _rows(2),
    "val-mixed-types": _with("mixed", lambda rng, n: [
        (1.5 if i % 3 == 0 else "text" if i % 3 == 1 else 7) for i in range(n)]),
    "val-many-levels": _many_levels,
    "val-date-strings": _with("when", lambda rng, n: [
        f"2021-{1 + i % 12:02d}-{1 + i % 28:02d}" for i in rng.permutation(n)]),
    "val-free-text": _with("note", lambda rng, n: [
        f"customer {i} said: the {w} was late, again; call back?" for i, w in
        zip(rng.permutation(n), rng.choice(["parcel", "order", "bus"], n), strict=True)]),
    "val-bools": _with("flag", lambda rng, n: rng.random(n) < 0.5),
    "val-huge-ints": _with("big", lambda rng, n: [2**70 + int(i) for i in rng.integers(0, 9,
                                                                                          n)]),
    "val-denormals": _replace_a(lambda rng, n: rng.choice([1e-310, -1e-310, 5e-324, 0.0], n)),
    "val-negative-zero": _replace_a(lambda rng, n: rng.choice([-0.0, 0.0], n)),
    "val-long-strings": _with("long", lambda rng, n: [
        str(v) * 1000 for v in rng.integers(0, 4, n)]),
    "val-mixed-timezones": _with("ts", lambda rng, n: [
        "2021-01-01T00:00:00+05:00" if i % 2 else "2021-01-01 00:00:00Z" for i in range(n)]),
    "val-percent-strings": _with("rate", lambda rng, n: [f"{v}%" for v in rng.integers(0, 99,
                                                                                         n)]),
    "val-row-ids": _with("row_id", lambda rng, n: rng.permutation(10 * n)[:n]),
    "val-identical-samples": _identical,
    "val-separable": _separable,
    "val-wide": _wide,
}


# ----------------------------------------------------------------------------- CSV bytes


def _csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode("utf-8")


def _base_csv() -> bytes:
    return _csv(base_pair()[0])


def _ragged_long() -> bytes:
    lines = _base_csv().decode().splitlines()
    lines[5] += ",surplus,fields"
    return ("\n".join(lines) + "\n").encode()


def _ragged_short() -> bytes:
    lines = _base_csv().decode().splitlines()
    lines[7] = lines[7].split(",")[0]
    return ("\n".join(lines) + "\n").encode()


def _separated(separator: str) -> Callable[[], bytes]:
    return lambda: base_pair()[0].to_csv(index=False, sep=separator).encode()


def _huge_field() -> bytes:
    """One 5 MB cell (size is the point): a text column whose first value is enormous."""
    frame = base_pair()[0]
    frame["blob"] = "v"
    frame.loc[0, "blob"] = "Z" * 5_000_000
    return _csv(frame)


def _nul_bytes() -> bytes:
    data = bytearray(_base_csv())
    for position in range(30, len(data), 97):
        data[position] = 0
    return bytes(data)


def _mixed_encodings() -> bytes:
    frame = base_pair()[0]
    frame["city"] = ["Zürich" if i % 2 else "Köln" for i in range(len(frame))]
    text = _csv(frame)
    return text.replace("Köln".encode(), "Köln".encode("latin-1"))  # half UTF-8, half latin-1


def _garbage(n: int = 4096, seed: int = 60) -> bytes:
    return np.random.default_rng(seed).integers(0, 256, n, dtype=np.uint8).tobytes()


def _gzip_csv() -> bytes:
    import gzip

    return gzip.compress(_base_csv(), mtime=0)


def _embedded_newlines() -> bytes:
    frame = base_pair()[0]
    frame["c"] = [f"line one\nline two {i}" if i % 4 == 0 else v for i, v in
                  enumerate(frame["c"])]
    return _csv(frame)


def wide_csv(columns: int) -> bytes:
    """A CSV file of ``columns`` numeric columns and a few dozen rows."""
    values = np.random.default_rng(61).normal(size=(ROWS, columns)).round(2)
    return _csv(pd.DataFrame(values, columns=[f"w{j}" for j in range(columns)]))


#: byte-level CSV files: name -> () -> bytes (what a file on disk holds, beyond pandas' view)
CSV_BYTES: dict[str, Callable[[], bytes]] = {
    "empty": lambda: b"",
    "header-only": lambda: b"a,b,c\n",
    "bom-header-only": lambda: b"\xef\xbb\xbfa,b,c\n",
    "bom": lambda: b"\xef\xbb\xbf" + _base_csv(),
    "ragged-long-row": _ragged_long,
    "ragged-short-row": _ragged_short,
    "semicolon-separated": _separated(";"),
    "tab-separated": _separated("\t"),
    "binary-garbage": _garbage,
    "huge-field": _huge_field,
    "nul-bytes": _nul_bytes,
    "mixed-encodings": _mixed_encodings,
    "utf16": lambda: _base_csv().decode().encode("utf-16"),
    "duplicate-headers": lambda: _base_csv().replace(b"a,b,c", b"a,a,b", 1),
    "crlf": lambda: _base_csv().replace(b"\n", b"\r\n"),
    "quoted-newlines": _embedded_newlines,
    "unterminated-quote": lambda: _base_csv() + b'"never closed,1,x\n',
    "blank-lines-only": lambda: b"\n\n   \n\n",
    "quoted-numbers": lambda: _base_csv().replace(b",", b'","').replace(b"\n", b'"\n'),
}
#: CSV files that only make sense with a suffix of their own: name -> (suffix, () -> bytes)
CSV_SUFFIXED: dict[str, tuple[str, Callable[[], bytes]]] = {
    "gzip": (".csv.gz", _gzip_csv),
    "gzip-corrupt": (".csv.gz", lambda: _gzip_csv()[:40] + _garbage(200)),
    "txt-suffix": (".txt", _base_csv),
    "no-suffix": ("", _base_csv),
}


# -------------------------------------------------------------------------------- Parquet


def _parquet(table_or_frame: object) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = (table_or_frame if isinstance(table_or_frame, pa.Table)
             else pa.Table.from_pandas(table_or_frame, preserve_index=False))
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def _nested(kind: str) -> Callable[[], bytes]:
    def make() -> bytes:
        import pyarrow as pa

        frame = base_pair()[0]
        n = len(frame)
        if kind == "struct":
            column = pa.array([{"x": float(i), "y": str(i)} for i in range(n)])
        elif kind == "list":
            column = pa.array([[float(i), float(i + 1)] for i in range(n)])
        else:
            column = pa.array([[("k", float(i))] for i in range(n)],
                              type=pa.map_(pa.string(), pa.float64()))
        table = pa.Table.from_pandas(frame, preserve_index=False).append_column("nested", column)
        return _parquet(table)

    return make


def _parquet_typed(kind: str) -> Callable[[], bytes]:
    def make() -> bytes:
        import decimal

        frame = base_pair()[0]
        n = len(frame)
        if kind == "decimal":
            frame["price"] = pd.Series([decimal.Decimal(f"{i}.25") for i in range(n)],
                                       dtype=object)
        elif kind == "binary":
            frame["raw"] = [bytes([i % 256, 0, 255]) for i in range(n)]
        elif kind == "tz-timestamp":
            frame["when"] = pd.date_range("2021-01-01", periods=n, freq="h", tz="Europe/Paris")
        elif kind == "duration":
            frame["took"] = pd.to_timedelta(np.arange(n), unit="s")
        elif kind == "nullable-int":
            frame["count"] = pd.array([None if i % 5 == 0 else i for i in range(n)],
                                      dtype="Int64")
        elif kind == "categorical":
            frame["c"] = frame["c"].astype("category")
        return _parquet(frame)

    return make


#: Parquet files: name -> () -> bytes
PARQUET_BYTES: dict[str, Callable[[], bytes]] = {
    "valid": lambda: _parquet(base_pair()[0]),
    "nested-struct": _nested("struct"),
    "nested-list": _nested("list"),
    "nested-map": _nested("map"),
    "zero-rows": lambda: _parquet(base_pair()[0].head(0)),
    "garbage": _garbage,
    "truncated": lambda: _parquet(base_pair()[0])[:300],
    "csv-named-parquet": _base_csv,
    "decimal": _parquet_typed("decimal"),
    "binary-column": _parquet_typed("binary"),
    "tz-timestamp": _parquet_typed("tz-timestamp"),
    "duration": _parquet_typed("duration"),
    "nullable-int": _parquet_typed("nullable-int"),
    "categorical": _parquet_typed("categorical"),
}


# ---------------------------------------------------------------------------------- npz


def _npy_header_bytes(shape: tuple[int, ...], descr: str = "<f4") -> bytes:
    """A ``.npy`` version 1.0 header declaring ``shape`` with no data after it."""
    header = repr({"descr": descr, "fortran_order": False, "shape": shape}).encode("latin-1")
    header += b" " * ((64 - (10 + len(header) + 1) % 64) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header


def _npz_members(members: dict[str, bytes]) -> bytes:
    sink = io.BytesIO()
    with zipfile.ZipFile(sink, "w") as archive:
        for name, payload in members.items():
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            archive.writestr(info, payload)
    return sink.getvalue()


def _npy(array: np.ndarray) -> bytes:
    sink = io.BytesIO()
    np.save(sink, array, allow_pickle=True)
    return sink.getvalue()


def images(n: int = 12, seed: int = 70) -> tuple[np.ndarray, np.ndarray]:
    """``n`` random 8x8 grayscale images (N, 1, 8, 8) in [0, 1] and labels in 0..9."""
    rng = np.random.default_rng(seed)
    return rng.random((n, 1, 8, 8), dtype=np.float32), rng.integers(0, 10, n)


def _npz(**arrays: np.ndarray) -> bytes:
    return _npz_members({f"{k}.npy": _npy(v) for k, v in arrays.items()})


def _images_with(transform: Callable[[np.ndarray, np.ndarray], dict[str, np.ndarray]]
                 ) -> Callable[[], bytes]:
    return lambda: _npz(**transform(*images()))


def _nan_pixels(x: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
    x = x.copy()
    x[0, 0, 3, 3] = np.nan
    return {"x": x, "y": y}


def _inf_pixels(x: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
    x = x.copy()
    x[1, 0, 0, 0] = np.inf
    return {"x": x, "y": y}


#: image archives: name -> () -> bytes of an .npz file
NPZ_BYTES: dict[str, Callable[[], bytes]] = {
    "valid": _images_with(lambda x, y: {"x": x, "y": y}),
    "valid-uint8-nhwc": _images_with(lambda x, y: {
        "x": np.round(x.transpose(0, 2, 3, 1) * 255).astype(np.uint8), "y": y}),
    "valid-float64-nhw": _images_with(lambda x, y: {"images": x[:, 0].astype(np.float64),
                                                    "labels": y}),
    "terabyte-header": lambda: _npz_members({
        "x.npy": _npy_header_bytes((10**12, 1, 8, 8)), "y.npy": _npy(images()[1])}),
    "terabyte-labels": lambda: _npz_members({
        "x.npy": _npy(images()[0]), "y.npy": _npy_header_bytes((10**13,), "<i8")}),
    "negative-shape-header": lambda: _npz_members({
        "x.npy": _npy_header_bytes((-5, 1, 8, 8)), "y.npy": _npy(images()[1])}),
    "object-images": _images_with(lambda x, y: {"x": np.array([object()] * len(y)), "y": y}),
    "object-labels": _images_with(lambda x, y: {"x": x, "y": y.astype(object)}),
    "two-dimensional": _images_with(lambda x, y: {"x": x.reshape(len(y), -1), "y": y}),
    "five-dimensional": _images_with(lambda x, y: {"x": x[:, None], "y": y}),
    "ambiguous-channels": _images_with(lambda x, y: {"x": np.zeros((len(y), 3, 8, 3),
                                                                    np.float32), "y": y}),
    "two-channels": _images_with(lambda x, y: {"x": np.repeat(x, 2, axis=1), "y": y}),
    "nan-pixels": _images_with(_nan_pixels),
    "inf-pixels": _images_with(_inf_pixels),
    "negative-labels": _images_with(lambda x, y: {"x": x, "y": -1 - y}),
    "fractional-labels": _images_with(lambda x, y: {"x": x, "y": y + 0.5}),
    "nan-labels": _images_with(lambda x, y: {"x": x, "y": np.full(len(y), np.nan)}),
    "labels-beyond-model": _images_with(lambda x, y: {"x": x, "y": y + 1000}),
    "huge-labels": _images_with(lambda x, y: {"x": x, "y": np.full(len(y), 2**62)}),
    "label-count-mismatch": _images_with(lambda x, y: {"x": x, "y": y[:-3]}),
    "labels-2d": _images_with(lambda x, y: {"x": x, "y": y[:, None]}),
    "zero-images": _images_with(lambda x, y: {"x": x[:0], "y": y[:0]}),
    "uint16-pixels": _images_with(lambda x, y: {"x": (x * 60000).astype(np.uint16), "y": y}),
    "bool-pixels": _images_with(lambda x, y: {"x": x > 0.5, "y": y}),
    "complex-pixels": _images_with(lambda x, y: {"x": x.astype(np.complex64), "y": y}),
    "pixels-0-255-floats": _images_with(lambda x, y: {"x": x * 255, "y": y}),
    "missing-keys": _images_with(lambda x, y: {"pixels": x, "target": y}),
    "garbage": lambda: _garbage(2048, 71),
    "empty": lambda: b"",
    "npy-named-npz": lambda: _npy(images()[0]),
    "zip-of-text": lambda: _npz_members({"x.npy": b"hello", "y.npy": b"world"}),
    "truncated": lambda: _npz(x=images()[0], y=images()[1])[:700],
}


# ------------------------------------------------------------------------ constraints files


def _nested_json(depth: int) -> str:
    return '{"bounds": ' + "[" * depth + "]" * depth + "}"


def _nested_yaml(depth: int) -> str:
    return "immutable: " + "[" * depth + "]" * depth + "\n"


def _yaml_bomb(levels: int = 12) -> str:
    """The "billion laughs" of YAML: each anchor repeats the one before nine times."""
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        refs = ",".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    lines.append(f"immutable: *a{levels - 1}")
    return "\n".join(lines) + "\n"


def _yaml_bomb_in_known_key(levels: int = 12) -> str:
    """The same bomb defined inside the known key ``immutable`` (a list of nested lists)."""
    items = ['  - &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    items += [f"  - &a{i} [{','.join([f'*a{i - 1}'] * 9)}]" for i in range(1, levels)]
    return "immutable:\n" + "\n".join(items) + "\n"


#: constraints files for ``advval attack``: name -> (suffix, text or bytes)
CONSTRAINTS: dict[str, tuple[str, Callable[[], str | bytes]]] = {
    "valid": (".json", lambda: json.dumps({"immutable": ["b"], "bounds": {"a": [-3, 3]}})),
    "valid-yaml": (".yaml", lambda: "immutable: [b]\nbounds:\n  a: [-3, 3]\n"),
    "empty-json": (".json", lambda: ""),
    "comments-only-yaml": (".yml", lambda: "# nothing declared\n"),
    "deeply-nested-json": (".json", lambda: _nested_json(100_000)),
    "deeply-nested-yaml": (".yaml", lambda: _nested_yaml(20_000)),
    "yaml-anchor-bomb": (".yaml", _yaml_bomb),
    "yaml-anchor-bomb-in-key": (".yaml", _yaml_bomb_in_known_key),
    "yaml-python-tag": (".yaml", lambda: "immutable: !!python/object/apply:os.getcwd []\n"),
    "bounds-nan": (".json", lambda: '{"bounds": {"a": [NaN, NaN]}}'),
    "bounds-infinite-reversed": (".json", lambda: '{"bounds": {"a": [Infinity, -Infinity]}}'),
    "bounds-reversed": (".json", lambda: json.dumps({"bounds": {"a": [3, -3]}})),
    "bounds-text": (".json", lambda: json.dumps({"bounds": {"a": ["low", "high"]}})),
    "bounds-three-values": (".json", lambda: json.dumps({"bounds": {"a": [1, 2, 3]}})),
    "bounds-null": (".json", lambda: json.dumps({"bounds": {"a": [None, None]}})),
    "bounds-categorical": (".json", lambda: json.dumps({"bounds": {"c": [0, 1]}})),
    "bounds-huge": (".json", lambda: '{"bounds": {"a": [-1e308, 1e308]}}'),
    "unknown-key": (".json", lambda: json.dumps({"immutable": ["b"], "frozen": ["a"]})),
    "immutable-string": (".json", lambda: json.dumps({"immutable": "b"})),
    "immutable-number": (".json", lambda: json.dumps({"immutable": 5})),
    "immutable-unknown-column": (".json", lambda: json.dumps({"immutable": ["nope"]})),
    "immutable-target": (".json", lambda: json.dumps({"immutable": ["y"]})),
    "immutable-everything": (".json", lambda: json.dumps({"immutable": ["a", "b", "c"]})),
    "categorical-number": (".json", lambda: json.dumps({"categorical": 5})),
    "categorical-mapping-scalar": (".json", lambda: json.dumps({"categorical": {"c": "x"}})),
    "monotone-sideways": (".json", lambda: json.dumps({"monotone": {"a": "sideways"}})),
    "monotone-text-column": (".json", lambda: json.dumps({"monotone": {"c": "increase"}})),
    "one-hot-flat": (".json", lambda: json.dumps({"one_hot": ["a", "b"]})),
    "scale-unknown": (".json", lambda: json.dumps({"scale": "max"})),
    "distance-negative": (".json", lambda: json.dumps({"categorical_distance": -1})),
    "distance-nan": (".json", lambda: '{"categorical_distance": NaN}'),
    "distance-bool": (".json", lambda: json.dumps({"categorical_distance": True})),
    "top-level-list": (".json", lambda: json.dumps(["immutable", "b"])),
    "top-level-scalar": (".yaml", lambda: "42\n"),
    "invalid-json": (".json", lambda: '{"immutable": ["b",}'),
    "invalid-yaml": (".yaml", lambda: "immutable: [b\n\tbounds: {\n"),
    "invalid-utf8": (".json", lambda: b'{"immutable": ["\xff\xfe"]}'),
    "duplicate-keys": (".json", lambda: '{"immutable": ["a"], "immutable": ["b"]}'),
    "many-unknown-columns": (".json", lambda: json.dumps({"immutable": [f"c{i}" for i in
                                                                        range(200_000)]})),
    "txt-suffix": (".txt", lambda: json.dumps({"immutable": ["b"]})),
}


def write(path: Path, payload: str | bytes) -> Path:
    """Write ``payload`` (text as UTF-8) to ``path``, creating its folder; return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(payload.encode("utf-8") if isinstance(payload, str) else payload)
    return path
