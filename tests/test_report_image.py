"""The image robustness report: JSON, Markdown, self-contained HTML with PNG pictures, SVG."""

from __future__ import annotations

import base64
import dataclasses
import html
import io
import json
import math
import re

import numpy as np
import pytest

from advval.report import (
    render_image_curve_svg,
    render_image_html,
    render_image_json,
    render_image_markdown,
    render_image_pictures,
    write_report,
)
from advval.report._image import HTML_MAX_EXAMPLES
from advval.report._json import round_floats
from advval.report._markdown import format_number

torch = pytest.importorskip("torch")
Image = pytest.importorskip("PIL.Image")

from advval.attacks import PGD  # noqa: E402
from advval.attacks.evaluate import SanityFlag  # noqa: E402
from advval.image import evaluate_robustness  # noqa: E402
from advval.report._png import patch_png, triplet_row  # noqa: E402

XSS = "<script>alert(1)</script>"
DATA_URI = re.compile(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"')


@pytest.fixture(scope="module")
def report():
    """A real evaluation of a tiny CNN on 40 test digits: PGD at two budgets."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    order = np.random.default_rng(0).permutation(len(digits.target))
    X = torch.tensor(digits.images[order] / 16.0, dtype=torch.float32).unsqueeze(1)
    y = torch.tensor(digits.target[order])
    generator = torch.Generator().manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 6, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(6 * 16, 10),
    )
    with torch.no_grad():
        for param in model.parameters():
            fan_in = param.shape[1:].numel() if param.dim() > 1 else param.numel()
            param.uniform_(-1 / math.sqrt(fan_in), 1 / math.sqrt(fan_in), generator=generator)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
        for _ in range(50):
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(model(X[:1200]), y[:1200]).backward()
            optimizer.step()
        model.eval()
        return evaluate_robustness(
            model, (X[-40:], y[-40:]), attacks=[PGD(None, eps=0.2, steps=5)],
            eps=[0.05, 0.2], bounds=(0.0, 1.0), n_examples=4, random_state=0,
        )
    finally:
        torch.set_num_threads(threads)


def _pictures(page: str) -> list[np.ndarray]:
    """Every <img> of the page decoded by Pillow."""
    out = []
    for payload in DATA_URI.findall(page):
        with Image.open(io.BytesIO(base64.b64decode(payload))) as picture:
            out.append(np.asarray(picture))
    return out


def test_the_evaluation_fooled_some_images(report):
    robustness = report.robustness
    assert robustness.clean_accuracy >= 0.8
    assert robustness.robust_accuracy < robustness.clean_accuracy
    assert report.examples is not None and len(report.examples.labels) >= 1


# ------------------------------------------------------------------------------ JSON


def test_json_is_the_rounded_document_sorted_and_deterministic(report):
    text = render_image_json(report)
    doc = json.loads(text)
    assert doc == json.loads(json.dumps(round_floats(report.to_dict()), sort_keys=True))
    assert doc["kind"] == "image_robustness" and doc["schema_version"] == 1
    assert list(doc) == sorted(doc)
    assert "seconds" not in text and "seconds" in render_image_json(report, timings=True)
    assert render_image_json(report) == text
    assert len(text) < 20_000  # labels and predictions only: no pixel payload


# ------------------------------------------------------------------------------ Markdown


def test_markdown_tables_examples_and_pixel_units(report):
    text = render_image_markdown(report, timings=False)
    robustness = report.robustness
    assert text.startswith("## advval image robustness: robust accuracy "
                           f"{robustness.robust_accuracy:.3f} (clean "
                           f"{robustness.clean_accuracy:.3f})")
    assert "### Attacks" in text and "### Accuracy versus eps" in text
    assert "pixel units" in text and "standard units" not in text
    examples = report.examples
    sizes = examples.perturbation_norms()
    assert np.all(sizes <= examples.eps + 1e-6) and np.all(sizes > 0)
    for i, (label, clean, adv, size) in enumerate(zip(
            examples.labels, examples.clean_predictions, examples.adversarial_predictions,
            sizes, strict=True), start=1):
        assert re.search(rf"\| {i} \| {int(label)} \| {int(clean)} \| {int(adv)}( \(fooled\))?"
                         rf" \| {format_number(size, 4)} \|", text)
    assert " s |" not in text  # no timings
    assert render_image_markdown(report, timings=False) == text


def test_markdown_escapes_flag_messages(report):
    flagged = dataclasses.replace(
        report, robustness=dataclasses.replace(
            report.robustness, flags=(SanityFlag("zero_gradients", f"{XSS} | x", "PGD"),)))
    text = render_image_markdown(flagged)
    assert "**Sanity flag (zero_gradients):**" in text
    assert "\\| x" in text  # table-breaking pipe escaped


# ------------------------------------------------------------------------------ HTML


def test_page_is_self_contained_with_png_pictures_of_the_examples(report):
    page = render_image_html(report)
    assert page.startswith("<!DOCTYPE html>")
    assert "img-src data:" in page and "default-src &#39;none" in page
    assert "<script" not in page.lower()
    sources = re.findall(r'(?:src|href)="([^"]*)"', page)
    assert sources and all(s.startswith("data:image/png;base64,") for s in sources)
    examples = report.examples
    pictures = _pictures(page)
    assert len(pictures) == len(examples.labels)
    for i, picture in enumerate(pictures):  # exactly the triplet of that example
        expected = triplet_row(examples.original[i], examples.adversarial[i],
                               bounds=examples.bounds)
        np.testing.assert_array_equal(picture, expected)
    assert "Worst-case examples" in page and "Accuracy versus eps" in page
    assert page.count("<svg") == 1 and "pixel units" in page
    assert "standard units" not in page


def test_page_shows_labels_and_predictions_of_each_example(report):
    page = render_image_html(report)
    rows = re.findall(r'<tr>\s*<td class="num">(\d+)</td>\s*<td class="num">(\d+)</td>\s*'
                      r'<td class="num">(\d+)</td>\s*<td class="num">(\d+)', page)
    examples = report.examples
    assert rows == [
        (str(i), str(int(a)), str(int(b)), str(int(c)))
        for i, (a, b, c) in enumerate(zip(examples.labels, examples.clean_predictions,
                                          examples.adversarial_predictions, strict=True),
                                      start=1)
    ]
    fooled = sum(int(b == a and c != a) for a, b, c in zip(
        examples.labels, examples.clean_predictions, examples.adversarial_predictions,
        strict=True))
    assert page.count('badge drift">fooled<') == fooled


def test_flags_come_first_and_are_escaped(report):
    flagged = dataclasses.replace(
        report, robustness=dataclasses.replace(
            report.robustness, flags=(SanityFlag("blackbox_stronger", XSS, XSS),)))
    page = render_image_html(flagged)
    assert XSS not in page and html.escape(XSS, quote=False) in page
    assert page.index('id="flags"') < page.index('id="verdict"') < page.index('id="examples"')


def test_stated_amplification_and_the_patch(report):
    generator = torch.Generator().manual_seed(0)
    patch = torch.rand(1, 3, 3, generator=generator, requires_grad=True)
    page = render_image_html(report, patch=patch, amplify=4.0)
    pictures = _pictures(page)
    examples = report.examples
    np.testing.assert_array_equal(
        pictures[0], triplet_row(examples.original[0], examples.adversarial[0],
                                 bounds=examples.bounds, amplify=4.0))
    with Image.open(io.BytesIO(patch_png(patch, (0.0, 1.0)))) as expected:
        np.testing.assert_array_equal(pictures[-1], np.asarray(expected))
    assert "Adversarial patch" in page and "1x3x3" in page
    assert "amplified by the stated factor" in page and "&times;4" in page
    assert patch.grad is None and patch.requires_grad


def test_no_examples_and_many_examples(report):
    none = render_image_html(dataclasses.replace(report, examples=None))
    assert "No adversarial example was kept" in none and "data:image/png" not in none
    assert "No adversarial example was kept" in render_image_markdown(
        dataclasses.replace(report, examples=None))
    examples = report.examples
    k = HTML_MAX_EXAMPLES + 3
    many = dataclasses.replace(examples, **{
        field: np.resize(getattr(examples, field), (k, *getattr(examples, field).shape[1:]))
        for field in ("original", "adversarial", "labels", "clean_predictions",
                      "adversarial_predictions")
    })
    page = render_image_html(dataclasses.replace(report, examples=many))
    assert len(_pictures(page)) == HTML_MAX_EXAMPLES
    assert f"{HTML_MAX_EXAMPLES} of {k} images" in page


def test_renderers_leave_the_report_as_found(report):
    before = {f: getattr(report.examples, f).copy() for f in ("original", "adversarial")}
    render_image_html(report)
    render_image_markdown(report)
    for field, value in before.items():
        np.testing.assert_array_equal(getattr(report.examples, field), value)


# ------------------------------------------------------------------------------ SVG, writer


def test_curve_svg_is_a_standalone_file(report):
    svg = render_image_curve_svg(report)
    assert svg.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3')
    assert "eps (L∞, pixel units)" in svg
    assert svg.count("<circle") == 2 * 2  # worst case and PGD at two budgets
    no_curve = dataclasses.replace(
        report, robustness=dataclasses.replace(report.robustness, curve=()))
    with pytest.raises(ValueError, match="render_image_curve_svg needs a report with an "
                                         "accuracy-vs-eps curve"):
        render_image_curve_svg(no_curve)


def test_picture_files_are_the_triplets_png_and_the_curve_svg(report):
    files = render_image_pictures(report)
    assert sorted(files) == ["curve.svg", "triplets.png"]
    assert files["curve.svg"] == render_image_curve_svg(report).encode("utf-8")
    with Image.open(io.BytesIO(files["triplets.png"])) as picture:
        grid = np.asarray(picture)
    examples = report.examples
    rows = [triplet_row(x, x_adv, bounds=examples.bounds)
            for x, x_adv in zip(examples.original, examples.adversarial, strict=True)]
    height, gap = rows[0].shape[0], 4  # the default white gap between rows
    assert grid.shape == (len(rows) * height + (len(rows) - 1) * gap, rows[0].shape[1])
    for i, row in enumerate(rows):  # one example per row, exactly its triplet
        np.testing.assert_array_equal(grid[i * (height + gap): i * (height + gap) + height], row)
        if i:
            assert (grid[i * (height + gap) - gap: i * (height + gap)] == 255).all()
    assert render_image_pictures(report) == files  # the same bytes again
    bare = dataclasses.replace(
        report, examples=None,
        robustness=dataclasses.replace(report.robustness, curve=()))
    assert render_image_pictures(bare) == {}
    only_curve = render_image_pictures(dataclasses.replace(report, examples=None))
    assert list(only_curve) == ["curve.svg"]


def test_the_image_package_names_its_pictures_without_importing_the_report_layer():
    import subprocess
    import sys

    import advval.image
    import advval.image._pictures as old_path
    from advval.report import _png

    assert advval.image.patch_png is _png.patch_png is old_path.patch_png
    assert advval.image.triplet_grid is _png.triplet_grid
    with pytest.raises(AttributeError, match="has no attribute 'encode_png'"):
        advval.image.encode_png  # noqa: B018
    code = ("import sys, advval.image; "
            "print(sorted(m for m in sys.modules if m.startswith('advval.report')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("fmt", ["html", "json", "markdown"])
def test_write_report_sends_image_reports_to_their_renderers(report, fmt, tmp_path):
    sink = io.StringIO()
    write_report(report, sink, format=fmt)
    expected = {"html": render_image_html(report), "json": render_image_json(report),
                "markdown": render_image_markdown(report)}[fmt]
    if fmt == "markdown":  # wall times differ between two renderings
        strip = re.compile(r" \d+\.\d\d s \|")
        assert strip.sub("", sink.getvalue()) == strip.sub("", expected)
    else:
        assert sink.getvalue().rstrip("\n") == expected.rstrip("\n")
    write_report(report, tmp_path / "report", format=fmt)
    assert (tmp_path / "report").read_text(encoding="utf-8").endswith("\n")
