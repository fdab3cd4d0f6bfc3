"""Image robustness results (``advval.image.evaluate_robustness``) as JSON, Markdown, HTML, SVG.

The result is an :class:`~advval.image.ImageRobustnessReport`: a
:class:`~advval.attacks.evaluate.RobustnessReport` (worst case per image over the attacks,
the accuracy-vs-eps curve, the sanity flags) plus a few worst-case adversarial examples
and the evaluation settings. The renderers only format it. The JSON document is
``report.to_dict()`` with the robustness report's conventions (sorted keys, floats rounded
to 6 significant digits, wall times left out unless asked), so the same inputs and seed
give the same bytes. The HTML page extends the shared base page (one self-contained file,
a Content-Security-Policy that allows inline CSS and ``data:`` images only): the examples
are PNG files inside ``<img src="data:...">``, the curve is inline SVG.

Nothing here imports torch: the pictures are drawn by :mod:`advval.report._png` (NumPy);
a report exists only once torch has run. :func:`render_image_pictures` gives the picture
files of a report (``triplets.png`` and ``curve.svg``), which the command line writes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..results._json import json_text
from ._markdown import format_count, format_fixed, format_number, md_escape
from ._png import encode_png, noise_factor, patch_png, png_data_uri, triplet_grid, triplet_row
from ._robustness import _attack_lines, _curve_lines, _setting_text, flag_lines
from ._robustness_html import NORM_LABELS, _context, _curves, summary_line

if TYPE_CHECKING:
    from ..results import ImageRobustnessReport, RobustnessReport

#: examples drawn on the HTML page (the size stays bounded whatever the evaluation kept)
HTML_MAX_EXAMPLES = 16
#: characters of a setting's value shown on the page
HTML_MAX_SETTING_CHARS = 300
#: what eps is measured in for images
UNITS = "pixel units"
#: the namespace a standalone SVG file needs (the inline charts go without it)
SVG_NAMESPACE = "http://www.w3.org/2000/svg"


def render_image_json(report: ImageRobustnessReport, *, timings: bool = False) -> str:
    """Render an image robustness report as a deterministic JSON document.

    Parameters
    ----------
    report : ImageRobustnessReport
    timings : bool, default=False
        Include each attack's wall time (``seconds``), which differs between runs.

    Returns
    -------
    str
        ``report.to_dict()`` (``kind`` ``"image_robustness"``: the robustness document,
        the examples' labels and predictions without pixels, the settings) with floats
        rounded to 6 significant digits (NaN and infinity as ``null``), keys sorted,
        indented by 2 spaces.

    See Also
    --------
    render_image_markdown, render_image_html
    """
    return json_text(report.to_dict(timings=timings))


def image_summary_line(report: ImageRobustnessReport) -> str:
    """One line for the command line: the robustness summary, ``image`` in front.

    ``image robustness: clean accuracy 0.950, robust accuracy 0.420 (L∞ eps 0.1, worst
    case over 4 attacks); worst attack APGD-CE 0.430``
    """
    return "image " + summary_line(report.robustness)


def _pixel_units(lines: list[str]) -> list[str]:
    """The robustness tables' notes with the budgets in pixels, not column units."""
    return [line.replace("in standard units", f"in {UNITS}") for line in lines]


def _example_lines(report: ImageRobustnessReport) -> list[str]:
    examples = report.examples
    if examples is None or len(examples.labels) == 0:
        return ["### Examples", "", "No adversarial example was kept (no image was fooled, or "
                "the evaluation was asked for none).", ""]
    lines = [
        "### Worst-case examples",
        "",
        f"{len(examples.labels)} images attacked by {md_escape(examples.attack)} "
        f"({NORM_LABELS.get(examples.norm, examples.norm)}, eps "
        f"{format_number(examples.eps, 4)}); the HTML report and `--png-dir` show them as "
        "original | adversarial | amplified noise.",
        "",
        f"| # | true label | clean prediction | adversarial prediction | perturbation "
        f"({NORM_LABELS.get(examples.norm, examples.norm)}) |",
        "| ---: | ---: | ---: | ---: | ---: |",
    ]
    for i, (label, clean, adversarial, size) in enumerate(
        zip(examples.labels, examples.clean_predictions, examples.adversarial_predictions,
            examples.perturbation_norms(), strict=True),
        start=1,
    ):
        mark = " (fooled)" if adversarial != label and clean == label else ""
        lines.append(
            f"| {i} | {int(label)} | {int(clean)} | {int(adversarial)}{mark} "
            f"| {format_number(size, 4)} |"
        )
    lines.append("")
    return lines


def render_image_markdown(report: ImageRobustnessReport, *, timings: bool = True) -> str:
    """Render an image robustness report as Markdown (a pull-request comment).

    Parameters
    ----------
    report : ImageRobustnessReport
    timings : bool, default=True
        Show each attack's wall time (leave it out for text that must not change
        between runs).

    Returns
    -------
    str
        A heading with clean and robust accuracy, the sanity flags, a table of the
        attacks, the accuracy-vs-eps table, the worst-case examples' labels and
        predictions, and the settings. Every name is escaped; no pixels.

    See Also
    --------
    render_image_json, render_image_html
    """
    robustness = report.robustness
    n = len(robustness.attacks)
    lines = [
        f"## advval image robustness: robust accuracy {format_fixed(robustness.robust_accuracy)}"
        f" (clean {format_fixed(robustness.clean_accuracy)})",
        "",
        f"{format_count(robustness.n_samples)} images · {format_count(robustness.n_correct)} "
        f"classified correctly and attacked · worst case per image over {n} "
        f"attack{'s' if n != 1 else ''} · budgets in {UNITS}",
        "",
    ]
    lines.extend(flag_lines(robustness.flags))
    lines.extend(_pixel_units(_attack_lines(robustness, timings)))
    lines.extend(_curve_lines(robustness))
    lines.extend(_example_lines(report))
    lines.append("<details><summary>attack settings</summary>")
    lines.append("")
    for a in robustness.attacks:
        items = ", ".join(f"{k}={_setting_text(v)}" for k, v in a.settings.items())
        lines.append(f"- **{md_escape(a.name)}**: {md_escape(items)}")
    lines.extend(["", "</details>", ""])
    settings = ", ".join(
        f"{md_escape(k)}={md_escape(_setting_text(v))}" for k, v in report.settings.items()
    )
    lines.append(
        f"<sub>settings: {settings}; advval {md_escape(robustness.advval_version)}</sub>"
    )
    return "\n".join(lines) + "\n"


def curve_charts(robustness: RobustnessReport) -> list[dict[str, Any]]:
    """The accuracy-vs-eps charts (one per norm, eps in pixel units) and their tables."""
    return _curves(robustness, units=UNITS)


def render_image_curve_svg(report: ImageRobustnessReport) -> str:
    """The accuracy-vs-eps curve as a standalone SVG file (``--png-dir``'s ``curve.svg``).

    Parameters
    ----------
    report : ImageRobustnessReport

    Returns
    -------
    str
        An SVG document: the robustness report's curve chart (worst case, each attack,
        clean accuracy) for the first norm of the curve, eps in pixel units.

    Raises
    ------
    ValueError
        When the report has no curve point (only minimum-norm attacks without eps ran).
    """
    charts = curve_charts(report.robustness)
    if not charts:
        raise ValueError(
            "render_image_curve_svg needs a report with an accuracy-vs-eps curve; this one "
            "has no curve point (only minimum-norm attacks without eps ran)."
        )
    svg = str(charts[0]["svg"]).replace("<svg ", f'<svg xmlns="{SVG_NAMESPACE}" ', 1)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + svg + "\n"


def render_image_pictures(report: ImageRobustnessReport) -> dict[str, bytes]:
    """The picture files of an image robustness report, by file name.

    Parameters
    ----------
    report : ImageRobustnessReport

    Returns
    -------
    dict of str to bytes
        ``"triplets.png"`` when the report kept examples: every example as one row of
        original | adversarial | amplified noise (:func:`advval.report._png.triplet_grid`),
        as a PNG file; ``"curve.svg"`` when the report has an accuracy-vs-eps curve
        (:func:`render_image_curve_svg`, UTF-8). Empty when it has neither.

    See Also
    --------
    render_image_html : the page, with the first examples as inline pictures.
    """
    made = {}
    examples = report.examples
    if examples is not None and len(examples.labels) > 0:
        made["triplets.png"] = encode_png(triplet_grid(examples))
    if curve_charts(report.robustness):
        made["curve.svg"] = render_image_curve_svg(report).encode("utf-8")
    return made


def _example_context(report: ImageRobustnessReport, amplify: float | None) -> dict[str, Any]:
    """The examples as rows of labels and predictions with a data: URI picture each."""
    examples = report.examples
    if examples is None or len(examples.labels) == 0:
        return {"rows": [], "more": 0}
    shown = min(len(examples.labels), HTML_MAX_EXAMPLES)
    sizes = examples.perturbation_norms()
    rows = []
    for i in range(shown):
        original, adversarial = examples.original[i], examples.adversarial[i]
        pixels = triplet_row(original, adversarial, bounds=examples.bounds, amplify=amplify)
        factor = (
            noise_factor(original, adversarial, bounds=examples.bounds)
            if amplify is None
            else amplify
        )
        label = int(examples.labels[i])
        clean = int(examples.clean_predictions[i])
        predicted = int(examples.adversarial_predictions[i])
        rows.append({
            "index": i + 1,
            "label": label,
            "clean": clean,
            "adversarial": predicted,
            "fooled": clean == label and predicted != label,
            "src": png_data_uri(encode_png(pixels)),
            "width": pixels.shape[1],
            "height": pixels.shape[0],
            "factor": format_number(factor, 3),
            "size": format_number(sizes[i], 4),
        })
    low, high = examples.bounds
    return {
        "rows": rows,
        "more": len(examples.labels) - shown,
        "attack": examples.attack,
        "norm": NORM_LABELS.get(examples.norm, examples.norm),
        "eps": format_number(examples.eps, 4),
        "bounds": f"[{format_number(low, 4)}, {format_number(high, 4)}]",
        "amplified": amplify is None,
    }


def _patch_context(patch: Any, bounds: Any) -> dict[str, Any] | None:
    if patch is None:
        return None
    return {"src": png_data_uri(patch_png(patch, bounds)), "shape": "x".join(
        str(int(s)) for s in getattr(patch, "shape", ()))}


def render_image_html(
    report: ImageRobustnessReport, *, patch: Any = None, amplify: float | None = None
) -> str:
    """Render an image robustness report as one self-contained HTML page.

    Parameters
    ----------
    report : ImageRobustnessReport
        The result of :func:`advval.image.evaluate_robustness`.
    patch : ndarray or tensor of shape (C, h, w), optional
        A trained adversarial patch (``AdversarialPatch(...).patch_``) in the report's
        bounds, shown as a picture. Not modified.
    amplify : float, optional
        Noise amplification of the example pictures (see
        :func:`advval.report._png.triplet_row`); default: per example, the factor that
        makes its largest pixel change reach black or white.

    Returns
    -------
    str
        A complete HTML document: the headline (clean versus robust accuracy, worst case
        per image over the attacks), the sanity flags above everything else, the attacks
        table, the accuracy-vs-eps curve (inline SVG) with its table, the worst-case
        examples (original | adversarial | amplified noise as PNG ``data:`` images, with
        true label and predictions), the patch when given, and the settings. Every
        data-derived string is escaped; at most ``HTML_MAX_EXAMPLES`` pictures.

    See Also
    --------
    render_image_json, render_image_markdown, advval.report.write_report
    """
    from ._html import render_page

    return render_page(
        "image.html.j2", image_context(report, patch=patch, amplify=amplify),
        svg_keys=("features_svg",),
    )


def image_context(
    report: ImageRobustnessReport, *, patch: Any = None, amplify: float | None = None
) -> dict[str, Any]:
    """The template's variables (see :func:`render_image_html`), the SVG marked safe.

    The page and the notebook fragment (:mod:`advval.report._notebook`) render it.
    """
    from markupsafe import Markup

    robustness = report.robustness
    context = _context(robustness)
    context["curves"] = curve_charts(robustness)
    for chart in context["curves"]:  # escaped by _svg, like the other charts
        chart["svg"] = Markup(chart["svg"])
    context["summary"] = image_summary_line(report).removeprefix("image robustness: ")
    context["examples"] = _example_context(report, amplify)
    bounds = report.examples.bounds if report.examples is not None else report.settings.get(
        "bounds", (0.0, 1.0))
    context["patch"] = _patch_context(patch, bounds)
    context["settings"] = [
        (str(k), _clip(_setting_text(v))) for k, v in report.settings.items()
    ] + [("advval version", str(robustness.advval_version))]
    return context


def _clip(text: str) -> str:
    from ._html import clip

    return clip(text, HTML_MAX_SETTING_CHARS)
