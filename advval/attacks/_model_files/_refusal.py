"""The messages for a model file that is refused because loading it could run its code."""

from __future__ import annotations

from pathlib import Path

#: message fragment: why pickles are refused
PICKLE_RISK = (
    "unpickling runs any code the file contains, so a model file from someone else can "
    "take over this machine"
)
#: message fragment: how to load a refused file anyway
TRUST_HINT = "Load it only if you trust the file (--trust-model, or trust=True)"


def refusal(path: Path, member: str, reason: str) -> ValueError:
    """The error for a member of a model archive that could run code when loaded.

    Parameters
    ----------
    path : Path
        The model file.
    member : str
        The member of the archive, as the archive names it below its top folder.
    reason : str
        What the member is or does, completing "its member '...' ...".

    Returns
    -------
    ValueError

    Examples
    --------
    >>> print(refusal(Path("net.pt2"), "data/weights/weight_0", "is a pickle"))
    refusing to load 'net.pt2': its member 'data/weights/weight_0' is a pickle. Load it only if
    you trust the file (--trust-model, or trust=True)
    """
    return ValueError(f"refusing to load '{path}': its member '{member}' {reason}. {TRUST_HINT}")


def pickle_refusal(path: Path, member: str, what: str) -> ValueError:
    """The error for a pickled member: ``what`` says what it holds.

    Examples
    --------
    >>> str(pickle_refusal(Path("m.pt2"), "data/weights/weight_0", "the weight 'w'"))[:72]
    "refusing to load 'm.pt2': its member 'data/weights/weight_0' is a pickle"
    """
    return refusal(path, member, f"is a pickle ({what}), and {PICKLE_RISK}")
