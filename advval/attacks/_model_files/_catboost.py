"""Checks of CatBoost model files (``.cbm`` binary and JSON) before CatBoost loads them.

CatBoost's loaders are C++. Its binary loader verifies the FlatBuffers core of a ``.cbm``
file, but what the core describes (indices, leaf counts) is trusted, so a crafted file
could make prediction read out of bounds. Neither file reaches CatBoost unchecked:

- a JSON model (``save_model(..., format="json")``; recognised by its content) is parsed
  here (UTF-8; NaN and infinite literals refused; nesting too deep for Python's parser is
  an error) and its whole structure is checked by
  :func:`advval.attacks.trees._catboost.ensemble_from_json`: every feature index, border
  (a float32 value), leaf count (``2**depth`` times the outputs) and number; only then is
  it given to CatBoost's JSON loader;
- a binary model (first bytes ``CBM1``, any suffix) must declare a core that fits in the
  file; it is first loaded in a separate process (a crash, a hang or an allocation past
  its address-space cap there cannot take this one down), which writes it back as JSON;
  that JSON gets the same strict check, and only then does this process load the bytes.

Models whose structure cannot be checked this way (CTR target statistics, text or
embedding features) are refused unless the file is trusted.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ._refusal import TRUST_HINT

#: the first bytes of a CatBoost binary model
CBM_MAGIC = b"CBM1"
#: seconds the separate process may take to load and convert a binary model
CHECK_TIMEOUT = 300.0
#: address space of the separate process: this much, plus 64 bytes per byte of the file
CHECK_MEMORY = 2 << 30

_CONVERT = """
import sys
import catboost
data = sys.stdin.buffer.read()
model = catboost.CatBoost()
model.load_model(blob=data)
model.save_model(sys.argv[1], format="json")
"""


def looks_like_catboost_json(head: bytes) -> bool:
    """Whether the first bytes of a file open a CatBoost JSON model.

    Examples
    --------
    >>> looks_like_catboost_json(b'{"features_info": {"float_features": []')
    True
    >>> looks_like_catboost_json(b'{"learner": {}}')
    False
    """
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not text.startswith(b"{"):
        return False
    body = text[1:].lstrip(b" \t\r\n")
    return body.startswith(
        (b'"features_info"', b'"model_info"', b'"oblivious_trees"', b'"scale_and_bias"')
    )


def check_catboost_json(data: bytes, path: Path) -> dict[str, Any]:
    """The parsed JSON model in ``data`` once its whole structure has been checked.

    Raises
    ------
    ValueError
        Naming the file and what is wrong (malformed JSON, a bad entry, or a model whose
        structure cannot be checked: CTR, text or embedding features, not a classifier).
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"cannot load the CatBoost model '{path}': not UTF-8 text (byte {exc.start})"
        ) from None
    try:
        doc = json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:
        raise ValueError(f"cannot load the CatBoost model '{path}': bad JSON ({exc})") from None
    check_catboost_doc(doc, path)
    return doc


def check_catboost_doc(doc: Any, path: Path) -> None:
    """Check a parsed CatBoost JSON model (see :func:`check_catboost_json`)."""
    from ..trees._catboost import ensemble_from_json

    try:
        ensemble_from_json(doc, source=f"'{path}'")
    except TypeError as exc:
        raise ValueError(
            f"refusing to load the CatBoost model '{path}' without trust: its structure "
            f"cannot be fully checked: {exc}. {TRUST_HINT}"
        ) from None


def check_catboost_binary(data: bytes, path: Path) -> None:
    """Check a ``.cbm`` file: its header, then a load in a separate process.

    Raises
    ------
    ValueError
        A bad header, a file CatBoost cannot load (or that crashes or hangs the separate
        process), or a model whose structure fails :func:`check_catboost_doc`.
    """
    if not data.startswith(CBM_MAGIC) or len(data) < 8:
        raise ValueError(f"cannot load the CatBoost model '{path}': no CatBoost header")
    core = int.from_bytes(data[4:8], "little")
    if core == 0 or core > len(data) - 8:
        raise ValueError(
            f"cannot load the CatBoost model '{path}': the header declares a {core}-byte "
            f"model in a {len(data)}-byte file (truncated or corrupt)"
        )
    with tempfile.TemporaryDirectory(prefix="advval-catboost-") as tmp:
        out = os.path.join(tmp, "model.json")
        try:
            done = subprocess.run(  # noqa: S603 - our own interpreter and code
                [sys.executable, "-c", _CONVERT, out],
                input=data,
                capture_output=True,
                timeout=CHECK_TIMEOUT,
                check=False,
                preexec_fn=_memory_limit(CHECK_MEMORY + 64 * len(data)),  # noqa: PLW1509
            )
        except subprocess.TimeoutExpired:
            raise ValueError(
                f"cannot load the CatBoost model '{path}': loading it took more than "
                f"{CHECK_TIMEOUT:.0f} s"
            ) from None
        if done.returncode != 0:
            raise ValueError(
                f"cannot load the CatBoost model '{path}': {_reason(done)}"
            )
        with open(out, "rb") as handle:
            converted = handle.read()
    check_catboost_json(converted, path)


def _memory_limit(limit: int) -> Callable[[], None] | None:
    """A function that caps the address space of the process it runs in (POSIX only):
    a file that makes CatBoost allocate without bound fails there, not here."""
    try:
        import resource
    except ImportError:  # Windows: the separate process still isolates crashes
        return None

    def cap() -> None:
        with contextlib.suppress(ValueError, OSError):  # a lower hard limit already holds
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return cap


def _reason(done: subprocess.CompletedProcess[bytes]) -> str:
    if done.returncode < 0:
        return f"CatBoost's loader crashed on it (signal {-done.returncode}): corrupt file"
    lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
    last = lines[-1] if lines else f"exit status {done.returncode}"
    return last.split("CatBoostError: ", 1)[-1][:300]


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number CatBoost writes")
