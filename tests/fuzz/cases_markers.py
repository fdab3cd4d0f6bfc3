"""Crafted model files: no code from a file runs unless the user says ``--trust-model``.

For every crafted file (``model_files.crafted``) there is a *control* (a careless loader
opens it and the marker appears: the payload is live), a run of ``advval attack`` and of
``load_model`` (refused: exit 2 / ValueError, and no marker), for torch formats a run of
``advval image evaluate``, and for pickles a run with ``--trust-model`` (the marker appears:
the check can see execution).
"""

from __future__ import annotations

from . import model_files
from .corpus import Case, Content, api_case, cli_case, shared

#: the commands' cheap settings (few rows and queries): loading is the point here
ATTACK = ["--target", "y", "--ignore", "c", "--quiet", "--format", "json", "--max-rows", "10",
          "--max-queries", "10"]
IMAGE = ["--quiet", "--format", "json", "--attack", "pgd", "--steps", "2", "--max-images", "4",
         "--eps", "0.03"]


#: the documented outcome without trust, by ``Crafted.either``
WHY = {False: "a file that could run code is refused without --trust-model",
       True: "the payload is never read: the model loads without it, or the file is refused"}


def _content(file: model_files.Crafted, case_id: str) -> Content:
    return lambda layout: file.build(layout, layout.marker(case_id))


def cases() -> list[Case]:
    """The marker cases of every crafted file."""
    found: list[Case] = []
    for name, file in model_files.crafted("mlp.pt2").items():
        control = f"marker-{name}-control"
        found.append(api_case(
            control, "naive_load", {"path": file.filename, "kind": file.naive}, expect="any",
            why="the payload is live: a careless loader runs it",
            files={file.filename: _content(file, control)}, shared=("mlp.pt2",), marker=True,
            marker_expected=True))
        refused = f"marker-{name}-attack"
        found.append(cli_case(
            refused, "attack", [file.filename, shared("data.csv"), *ATTACK],
            expect=(0, 2) if file.either else 2, why=WHY[file.either], names=file.refused,
            files={file.filename: _content(file, refused)}, shared=("mlp.pt2",), marker=True))
        loaded = f"marker-{name}-load-model"
        found.append(api_case(
            loaded, "load_model", {"path": file.filename},
            expect=("ok", "ValueError") if file.either else "ValueError", why=WHY[file.either],
            names=file.refused, files={file.filename: _content(file, loaded)},
            shared=("mlp.pt2",), marker=True))
        if file.trust:
            trusted = f"marker-{name}-attack-trusted"
            found.append(cli_case(
                trusted, "attack", [file.filename, shared("data.csv"), *ATTACK,
                                    "--trust-model"], expect=2,
                why="--trust-model loads the pickle (the payload runs: the control); what it "
                    "holds is no model",
                names="MODEL|model", files={file.filename: _content(file, trusted)},
                marker=True, marker_expected=True))
    for name, file in model_files.crafted("cnn.pt2").items():
        if not file.image:
            continue
        image = f"marker-{name}-image"
        found.append(cli_case(
            image, "image", [file.filename, shared("images.npz"), *IMAGE],
            expect=(0, 2) if file.either else 2, why=WHY[file.either], names=file.refused,
            files={file.filename: _content(file, image)},
            shared=("cnn.pt2",), marker=True))
    return found
