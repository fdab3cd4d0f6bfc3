"""The pictures of an image robustness evaluation, under their old import path.

The report layer renders every picture: PNG encoding and the picture layouts live in
:mod:`advval.report._png`. This module only re-exports them, so code that imported them
from here keeps working; ``advval.image.patch_png`` and ``advval.image.triplet_grid`` are
resolved on first use, so ``import advval.image`` does not import the report layer.
"""

from __future__ import annotations

from ..report._png import (
    DEFAULT_GAP,
    PNG_SIGNATURE,
    TARGET_SIZE,
    auto_scale,
    encode_png,
    noise_factor,
    patch_png,
    png_data_uri,
    to_uint8,
    triplet_grid,
    triplet_row,
)

__all__ = [
    "DEFAULT_GAP",
    "PNG_SIGNATURE",
    "TARGET_SIZE",
    "auto_scale",
    "encode_png",
    "noise_factor",
    "patch_png",
    "png_data_uri",
    "to_uint8",
    "triplet_grid",
    "triplet_row",
]
