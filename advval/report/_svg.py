"""Inline SVG charts for the HTML report, drawn from already-summarised report data.

Each function returns an SVG fragment as a ``str`` in which every data-derived string (a
column name, a category) has been escaped with :func:`html.escape` (names and categories
first pass through :func:`~advval.report._markdown.display_name`, so ``""`` or a name with
a newline stays visible and distinct); the HTML renderer
marks the fragment safe only after that. No external references: no ``xmlns`` URL (inline
SVG in HTML does not need one), no fonts, no images. Sizes are bounded by the number of
bins and features drawn, never by the number of rows.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence

from .._dates import format_instant
from ..results import Distribution, FeatureDrift, RocCurve
from ._importance import importance_floor, shown_importance
from ._markdown import display_name

TRAIN_COLOR = "#2563eb"
TEST_COLOR = "#ea580c"
DRIFT_COLOR = "#dc2626"
STABLE_COLOR = "#64748b"
LEAK_COLOR = "#d97706"
AXIS_COLOR = "#94a3b8"
GRID_COLOR = "#e2e8f0"
TEXT_COLOR = "#334155"
HEAT_COLOR = "#1d4ed8"

#: categories drawn in one categorical chart
MAX_CATEGORIES = 24
#: characters of a label drawn before it is cut with an ellipsis (the rest is in a tooltip)
MAX_LABEL_CHARS = 26
#: characters of a label kept in tooltips and accessible names
MAX_TOOLTIP_CHARS = 200


def _esc(text: object) -> str:
    """Escape for SVG text and attributes, cut to ``MAX_TOOLTIP_CHARS`` (size stays bounded)."""
    return html.escape(_clip(str(text), MAX_TOOLTIP_CHARS), quote=True)


def _clip(text: str, limit: int = MAX_LABEL_CHARS) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _finite(x: float | None, default: float = 0.0) -> float:
    if x is None:
        return default
    try:
        value = float(x)
    except (TypeError, ValueError):
        return default
    return value if math.isfinite(value) else default


def _c(x: float) -> str:
    """A coordinate, two decimals, no trailing zeros."""
    return f"{x:.2f}".rstrip("0").rstrip(".")


def _tick_text(x: float) -> str:
    """Axis label: ``1,343`` for large values, 3 significant digits otherwise."""
    if 1e3 <= abs(x) < 1e9:
        return f"{x:,.0f}"
    return f"{x:.3g}"


def _percent(x: float) -> str:
    """``"40%"``, ``"5%"``, ``"0.15%"``: whole percents from 10%, two digits below."""
    return f"{100 * x:.0f}%" if x >= 0.1 else f"{100 * x:.2g}%"


def nice_ticks(upper: float, n: int = 4) -> list[float]:
    """Round tick values from 0 to at least ``upper``.

    Examples
    --------
    >>> nice_ticks(0.37)
    [0.0, 0.1, 0.2, 0.3, 0.4]
    >>> nice_ticks(0.0)
    [0.0, 1.0]
    """
    upper = _finite(upper)
    if upper <= 0:
        return [0.0, 1.0]
    raw = upper / n
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    count = math.ceil(upper / step - 1e-9)
    return [float(f"{i * step:.10g}") for i in range(count + 1)]


def _open(width: int, height: int, label: str) -> list[str]:
    return [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{_esc(label)}" font-family="inherit" font-size="11" '
        f'fill="{TEXT_COLOR}">',
        f"<title>{_esc(label)}</title>",
    ]


def _legend(x: float, y: float) -> list[str]:
    out = []
    for i, (name, color) in enumerate((("train", TRAIN_COLOR), ("test", TEST_COLOR))):
        dx = x + i * 60
        out.append(
            f'<rect x="{_c(dx)}" y="{_c(y - 8)}" width="10" height="10" rx="2" '
            f'fill="{color}" fill-opacity="0.7"/>'
        )
        out.append(f'<text x="{_c(dx + 14)}" y="{_c(y + 1)}">{name}</text>')
    return out


def roc_chart(roc: RocCurve, auc: float, *, width: int = 360, height: int = 320) -> str:
    """ROC curve of the domain classifier against the chance diagonal.

    Parameters
    ----------
    roc : RocCurve
        False and true positive rates ("test" is the positive class).
    auc : float
        Area under the curve, written on the chart.
    width, height : int
        Size in CSS pixels.

    Returns
    -------
    str
        An ``<svg>`` element.

    Examples
    --------
    >>> svg = roc_chart(RocCurve(fpr=(0.0, 0.2, 1.0), tpr=(0.0, 0.7, 1.0)), 0.75)
    >>> svg.startswith("<svg") and "AUC 0.750" in svg
    True
    """
    left, right, top, bottom = 46, 14, 12, 40
    pw, ph = width - left - right, height - top - bottom

    def sx(v: float) -> float:
        return left + pw * min(max(_finite(v), 0.0), 1.0)

    def sy(v: float) -> float:
        return top + ph * (1.0 - min(max(_finite(v), 0.0), 1.0))

    out = _open(width, height, f"ROC curve of the domain classifier, AUC {_finite(auc):.3f}")
    for t in (0.0, 0.25, 0.5, 0.75, 1.0):
        out.append(
            f'<line x1="{_c(sx(t))}" y1="{_c(sy(0))}" x2="{_c(sx(t))}" y2="{_c(sy(1))}" '
            f'stroke="{GRID_COLOR}"/>'
        )
        out.append(
            f'<line x1="{_c(sx(0))}" y1="{_c(sy(t))}" x2="{_c(sx(1))}" y2="{_c(sy(t))}" '
            f'stroke="{GRID_COLOR}"/>'
        )
        out.append(f'<text x="{_c(sx(t))}" y="{_c(sy(0) + 15)}" text-anchor="middle">{t:g}</text>')
        out.append(f'<text x="{_c(sx(0) - 6)}" y="{_c(sy(t) + 4)}" text-anchor="end">{t:g}</text>')
    out.append(
        f'<line x1="{_c(sx(0))}" y1="{_c(sy(0))}" x2="{_c(sx(1))}" y2="{_c(sy(1))}" '
        f'stroke="{AXIS_COLOR}" stroke-dasharray="4 4"/>'
    )
    points = [(sx(f), sy(t)) for f, t in zip(roc.fpr, roc.tpr, strict=True)]
    if points:
        line = " ".join(f"{_c(x)},{_c(y)}" for x, y in points)
        area = f"{_c(points[0][0])},{_c(sy(0))} {line} {_c(points[-1][0])},{_c(sy(0))}"
        out.append(f'<polygon points="{area}" fill="{TEST_COLOR}" fill-opacity="0.08"/>')
        out.append(
            f'<polyline points="{line}" fill="none" stroke="{TEST_COLOR}" stroke-width="2" '
            f'stroke-linejoin="round"/>'
        )
    out.append(
        f'<text x="{_c(sx(0.96))}" y="{_c(sy(0.06))}" text-anchor="end" font-size="13" '
        f'font-weight="600">AUC {_finite(auc):.3f}</text>'
    )
    out.append(
        f'<text x="{_c(left + pw / 2)}" y="{height - 6}" text-anchor="middle">'
        "False positive rate (train rows scored as test)</text>"
    )
    out.append(
        f'<text transform="translate(12 {_c(top + ph / 2)}) rotate(-90)" '
        'text-anchor="middle">True positive rate</text>'
    )
    out.append("</svg>")
    return "\n".join(out)


def _numeric_positions(dist: Distribution) -> list[tuple[float, float]]:
    """Bin extents in [0, 1] plot units: by the edges when usable, else evenly spaced."""
    n = len(dist.labels)
    edges = [float(e) for e in dist.edges]
    if len(edges) == n + 1 and all(math.isfinite(e) for e in edges) and edges[-1] > edges[0]:
        lo, hi = edges[0], edges[-1]
        return [(_fraction(edges[i], lo, hi), _fraction(edges[i + 1], lo, hi)) for i in range(n)]
    return [(i / n, (i + 1) / n) for i in range(n)]


def _fraction(value: float, lo: float, hi: float) -> float:
    """Where ``value`` lies between ``lo < hi``, in [0, 1], without overflow.

    The differences are taken on halved values: ``hi - lo`` overflows to infinity for
    edges near +/-1e308, their halves' difference never does (and halving is exact
    for every other float, so ordinary charts are unchanged).

    Examples
    --------
    >>> _fraction(0.0, -1.7e308, 1.7e308), _fraction(3.0, 2.0, 6.0)
    (0.5, 0.25)
    """
    span = hi / 2.0 - lo / 2.0
    if not span > 0.0:
        return 0.0
    return min(max((value / 2.0 - lo / 2.0) / span, 0.0), 1.0)


def _between(lo: float, hi: float, frac: float) -> float:
    """The value at ``frac`` of the way from ``lo`` to ``hi``, without overflow.

    Examples
    --------
    >>> _between(-1.7e308, 1.7e308, 0.5), _between(2.0, 6.0, 0.25)
    (0.0, 3.0)
    """
    return 2.0 * (lo / 2.0 + frac * (hi / 2.0 - lo / 2.0))


def distribution_chart(
    dist: Distribution, *, width: int = 360, height: int = 220, title: str | None = None
) -> str:
    """Train and test proportions per bin: overlaid histograms or grouped bars.

    Parameters
    ----------
    dist : Distribution
        Numeric and datetime distributions are drawn as overlaid histograms on their bin
        edges (datetime edges labelled as dates), categorical ones as grouped bars (at
        most ``MAX_CATEGORIES`` categories). When the distribution knows the shares of
        values unseen on the other side, a strip above the plot shows, for each side, the
        rows whose value the other side has, never has, or that are missing (``height``
        grows by ``STRIP_HEIGHT``). The ``"(other)"`` and ``"(missing)"`` bars do not set
        the scale when they would flatten the levels: they are cut at the top, their
        shares written in their label.
    width, height : int
        Size in CSS pixels.
    title : str, optional
        Accessible label; defaults to the distribution's name.

    Returns
    -------
    str
        An ``<svg>`` element; every label is escaped.

    Examples
    --------
    >>> d = Distribution("<b>", "categorical", ("a", "b"), (), (0.5, 0.5), (0.2, 0.8))
    >>> "&lt;b&gt;" in distribution_chart(d) and "<b>" not in distribution_chart(d)
    True
    """
    name = display_name(dist.name)
    label = title if title is not None else f"Distribution of {name}: train vs test"
    if dist.measure:
        label += f" ({dist.measure})"
    categorical = dist.kind not in ("numeric", "datetime")
    n_labels = min(len(dist.labels), MAX_CATEGORIES) if categorical else len(dist.labels)
    labels = [display_name(v) for v in dist.labels[:n_labels]]
    train = [max(_finite(v), 0.0) for v in dist.train[:n_labels]]
    test = [max(_finite(v), 0.0) for v in dist.test[:n_labels]]
    has_strip = dist.unseen_train is not None and dist.unseen_test is not None
    strip = STRIP_HEIGHT if has_strip else 0
    height += strip
    rotate = categorical and n_labels > 6
    left, right, top = (56 if rotate else 44), 10, 22 + strip
    bottom = 74 if rotate else 30
    pw, ph = width - left - right, height - top - bottom
    buckets = {i for i, v in enumerate(dist.labels[:n_labels]) if v in BUCKET_LABELS}
    ymax = nice_ticks(_bar_scale(train, test, buckets if categorical else set()), 3)[-1]
    ticks = nice_ticks(ymax, 3)

    def sy(v: float) -> float:
        return top + ph * (1.0 - min(v, ymax) / ymax)

    out = _open(width, height, label)
    if has_strip:
        out.extend(_unseen_strip(dist, left, pw))
    for t in ticks:
        out.append(
            f'<line x1="{left}" y1="{_c(sy(t))}" x2="{left + pw}" y2="{_c(sy(t))}" '
            f'stroke="{GRID_COLOR}"/>'
        )
        out.append(
            f'<text x="{left - 5}" y="{_c(sy(t) + 4)}" text-anchor="end">{_percent(t)}</text>'
        )
    if not has_strip:  # the strip's rows name the sides in their colours
        out.extend(_legend(left + pw - 110, 12))
    if not labels:
        out.append(f'<text x="{_c(left + pw / 2)}" y="{_c(top + ph / 2)}" text-anchor="middle">'
                   "no data</text>")
    elif categorical:
        slot = pw / n_labels
        bar = max(min(slot * 0.38, 28.0), 1.0)
        for i, name in enumerate(labels):
            x0 = left + i * slot + slot / 2
            for side, (values, color) in enumerate(((train, TRAIN_COLOR), (test, TEST_COLOR))):
                v = values[i] if i < len(values) else 0.0
                x = x0 - bar + side * bar
                out.append(
                    f'<rect x="{_c(x)}" y="{_c(sy(v))}" width="{_c(bar)}" '
                    f'height="{_c(sy(0) - sy(v))}" fill="{color}" fill-opacity="0.8">'
                    f"<title>{_esc(name)} ({'train' if side == 0 else 'test'}): "
                    f"{100 * v:.1f}%</title></rect>"
                )
                if v > ymax:  # a bucket bar cut at the top: a white break across it
                    y_cut = sy(ymax) + 7
                    out.append(
                        f'<path d="M{_c(x)} {_c(y_cut + 2)}L{_c(x + bar)} {_c(y_cut - 2)}" '
                        f'stroke="#ffffff" stroke-width="2.5"/>'
                    )
            limit = 14 if rotate else MAX_LABEL_CHARS
            if i in buckets and max(train[i], test[i]) > ymax:  # its shares in its label
                name = f"{name} {_percent(train[i])}/{_percent(test[i])}"
                limit = max(limit, 20)
            text = _esc(_clip(name, limit))
            if rotate:
                out.append(
                    f'<text transform="translate({_c(x0 + 3)} {_c(sy(0) + 10)}) rotate(-40)" '
                    f'text-anchor="end"><title>{_esc(name)}</title>{text}</text>'
                )
            else:
                out.append(
                    f'<text x="{_c(x0)}" y="{_c(sy(0) + 15)}" text-anchor="middle">'
                    f"<title>{_esc(name)}</title>{text}</text>"
                )
    else:
        spans = _numeric_positions(dist)
        for shares, color, which in ((train, TRAIN_COLOR, "train"), (test, TEST_COLOR, "test")):
            for i, (a, b) in enumerate(spans):
                v = shares[i] if i < len(shares) else 0.0
                if v <= 0:
                    continue
                out.append(
                    f'<rect x="{_c(left + a * pw)}" y="{_c(sy(v))}" '
                    f'width="{_c(max((b - a) * pw - 0.5, 0.5))}" height="{_c(sy(0) - sy(v))}" '
                    f'fill="{color}" fill-opacity="0.45"><title>{_esc(labels[i])} ({which}): '
                    f"{100 * v:.1f}%</title></rect>"
                )
        edges = [e for e in dist.edges if math.isfinite(_finite(e, math.nan))]
        if len(edges) == len(labels) + 1:
            lo, hi = edges[0], edges[-1]
            for frac in (0.0, 0.5, 1.0):
                value = _between(lo, hi, frac)
                anchor = {0.0: "start", 0.5: "middle", 1.0: "end"}[frac]
                tick = (
                    format_instant(value, 2.0 * (hi / 2.0 - lo / 2.0))
                    if dist.kind == "datetime"
                    else _tick_text(value)
                )
                out.append(
                    f'<text x="{_c(left + frac * pw)}" y="{_c(sy(0) + 15)}" '
                    f'text-anchor="{anchor}">{_esc(tick)}</text>'
                )
        else:
            out.append(
                f'<text x="{left}" y="{_c(sy(0) + 15)}">{_esc(_clip(labels[0], 18))}</text>'
            )
            out.append(
                f'<text x="{left + pw}" y="{_c(sy(0) + 15)}" text-anchor="end">'
                f"{_esc(_clip(labels[-1], 18))}</text>"
            )
    out.append(
        f'<line x1="{left}" y1="{_c(sy(0))}" x2="{left + pw}" y2="{_c(sy(0))}" '
        f'stroke="{AXIS_COLOR}"/>'
    )
    out.append("</svg>")
    return "\n".join(out)


#: labels of the bars that gather rows rather than show one level
BUCKET_LABELS = ("(other)", "(missing)")
#: pixels the unseen-values strip adds above a categorical plot
STRIP_HEIGHT = 40


def _bar_scale(train: list[float], test: list[float], buckets: set[int]) -> float:
    """The share the y axis must reach: the buckets count only when they do not dwarf the rest.

    A bucket ("(other)", "(missing)") taller than twice the tallest level would squash
    the levels, which are the point of the plot; it is then cut at the top instead.

    Examples
    --------
    >>> _bar_scale([0.01, 0.97], [0.02, 0.96], {1}), _bar_scale([0.4, 0.5], [0.3, 0.6], {1})
    (0.02, 0.6)
    """
    pairs = list(zip(train, test, strict=False))
    levels = [max(pair) for i, pair in enumerate(pairs) if i not in buckets]
    rest = [max(pair) for i, pair in enumerate(pairs) if i in buckets]
    top_level, top_bucket = max(levels + [0.0]), max(rest + [0.0])
    if top_level > 0 and top_bucket > 2 * top_level:
        return top_level
    return max(top_level, top_bucket)


#: width of the text at the right end of each row of the unseen-values strip
_STRIP_TEXT = 96


def _unseen_strip(dist: Distribution, left: float, width: float) -> list[str]:
    """Two rows: each side's rows whose value the other side has / never has / missing."""
    out = []
    bar_width = width - _STRIP_TEXT
    rows = (
        ("train", TRAIN_COLOR, _finite(dist.unseen_train), dist.train, "test"),
        ("test", TEST_COLOR, _finite(dist.unseen_test), dist.test, "train"),
    )
    for k, (side, color, unseen, shares, other) in enumerate(rows):
        y = 6 + k * 15
        unseen = min(max(unseen, 0.0), 1.0)  # of the rows with a value
        missing = min(_bucket_share(dist, shares, "(missing)"), 1.0)
        present = 1.0 - missing
        segments = (
            (present * (1.0 - unseen), color, "0.2", f"a value also in {other}"),
            (present * unseen, color, "0.85", f"a value never in {other}"),
            (missing, AXIS_COLOR, "0.5", "no value (missing)"),
        )
        out.append(f'<text x="{_c(left - 5)}" y="{_c(y + 9)}" text-anchor="end">{side}</text>')
        x = left
        for share, fill, opacity, what in segments:
            if share <= 0:
                continue
            out.append(
                f'<rect x="{_c(x)}" y="{y}" width="{_c(share * bar_width)}" height="11" '
                f'fill="{fill}" fill-opacity="{opacity}" stroke="{fill}" stroke-width="0.5">'
                f"<title>{side} rows with {what}: {100 * share:.1f}%</title></rect>"
            )
            x += share * bar_width
        out.append(
            f'<text x="{_c(left + bar_width + 6)}" y="{_c(y + 9)}" font-size="10">'
            f"{_percent(unseen)} not in {other}</text>"
        )
    return out


def _bucket_share(dist: Distribution, shares: tuple[float, ...], bucket: str) -> float:
    for label, share in zip(dist.labels, shares, strict=False):
        if label == bucket:
            return max(_finite(share), 0.0)
    return 0.0


def importance_scale(features: Sequence[FeatureDrift]) -> float:
    """The largest value the importance chart's axis must reach: leak-like columns ignored.

    The largest importance plus spread among the columns that are not leak-like (among
    all of them when every drawn column is leak-like, or the others are all zero), so a
    leak's bar cannot flatten the others into slivers.

    Examples
    --------
    >>> leak = FeatureDrift("row", "numeric", 9.0, 0.1, 1.0, 0.0, "ks", True, True)
    >>> age = FeatureDrift("age", "numeric", 0.3, 0.05, 0.2, 1e-4, "ks", True, False)
    >>> importance_scale([leak, age]), importance_scale([leak])
    (0.35, 9.1)
    """

    def reach(f: FeatureDrift) -> float:
        return _finite(f.importance) + max(_finite(f.importance_std), 0.0)

    plain = [reach(f) for f in features if not f.leak]
    if plain and max(plain) > 0:
        return max(plain)
    return max([reach(f) for f in features] + [0.0])


def off_scale(features: Sequence[FeatureDrift]) -> list[str]:
    """Names of the leak-like columns whose bar :func:`importance_chart` cuts at its end.

    Examples
    --------
    >>> leak = FeatureDrift("row", "numeric", 9.0, 0.1, 1.0, 0.0, "ks", True, True)
    >>> age = FeatureDrift("age", "numeric", 0.3, 0.05, 0.2, 1e-4, "ks", True, False)
    >>> off_scale([leak, age]), off_scale([age])
    (['row'], [])
    """
    xmax = nice_ticks(importance_scale(features), 5)[-1]
    return [f.name for f in features if f.leak and _finite(f.importance) > xmax]


def importance_chart(
    features: Sequence[FeatureDrift], *, width: int = 720, absent: Mapping[str, str] | None = None
) -> str:
    """Horizontal bars of feature importance with error bars of ± one fold spread.

    Parameters
    ----------
    features : sequence of FeatureDrift
        Drawn in the given order (the caller passes the top features).
    width : int
        Width in CSS pixels; the height follows the number of features.
    absent : mapping of str to str, optional
        Column -> what its tooltip says instead of its statistic and p-value
        (``"missing in every test row"``, :func:`~._absent.absent_sides`).

    Returns
    -------
    str
        An ``<svg>`` element. Bars are red for drifting features, amber for leaks, grey
        otherwise. The axis is scaled by the columns that are not leak-like
        (:func:`importance_scale`); a leak-like column's bar that exceeds it is cut at
        the axis' end, marked with a break and its value written on it.

    Examples
    --------
    >>> f = FeatureDrift("age", "numeric", 0.3, 0.05, 0.2, 1e-4, "ks", True, False)
    >>> "age" in importance_chart([f])
    True
    """
    row, left, right, top, bottom = 24, 190, 24, 8, 36
    height = top + bottom + row * max(len(features), 1)
    pw = width - left - right
    ticks = nice_ticks(importance_scale(features), 5)
    xmax = ticks[-1]
    cut = set(off_scale(features))
    floor = importance_floor(features)

    def sx(v: float) -> float:
        return left + pw * min(max(_finite(v), 0.0), xmax) / xmax

    out = _open(width, height, "Feature importance (mean |SHAP|) with spread across folds")
    y_axis = top + row * max(len(features), 1)
    for t in ticks:
        out.append(
            f'<line x1="{_c(sx(t))}" y1="{top}" x2="{_c(sx(t))}" y2="{y_axis}" '
            f'stroke="{GRID_COLOR}"/>'
        )
        out.append(
            f'<text x="{_c(sx(t))}" y="{y_axis + 15}" text-anchor="middle">'
            f"{_esc(_tick_text(t))}</text>"
        )
    for i, f in enumerate(features):
        y = top + i * row
        color = LEAK_COLOR if f.leak else DRIFT_COLOR if f.drift else STABLE_COLOR
        imp, std = _finite(f.importance), max(_finite(f.importance_std), 0.0)
        status = "leak" if f.leak else "drift" if f.drift else "no drift"
        name = display_name(f.name)
        shown, spread = shown_importance(imp, floor), shown_importance(std, floor)
        tip = (
            f"{_esc(name)}: importance {shown:.3g} ± {spread:.3g}, "
            + (
                absent[f.name]
                if absent and f.name in absent
                else f"statistic {_finite(f.statistic):.3f}, "
                f"adjusted p {_finite(f.p_value, 1.0):.3g}"
            )
            + f" ({status}{', off the scale' if f.name in cut else ''})"
        )
        out.append(f"<g><title>{tip}</title>")
        out.append(
            f'<text x="{left - 8}" y="{_c(y + row / 2 + 4)}" text-anchor="end">'
            f"{_esc(_clip(name))}</text>"
        )
        out.append(
            f'<rect x="{left}" y="{_c(y + 5)}" width="{_c(max(sx(imp) - left, 0.0))}" '
            f'height="{row - 10}" rx="2" fill="{color}" fill-opacity="0.8"/>'
        )
        if f.name in cut:
            out.extend(_cut_mark(sx(xmax), y + 5, row - 10, f"{imp:.3g} (leak)"))
        elif std > 0:
            x1, x2, ym = sx(imp - std), sx(imp + std), y + row / 2
            out.append(
                f'<path d="M{_c(x1)} {_c(ym)}H{_c(x2)}M{_c(x1)} {_c(ym - 4)}V{_c(ym + 4)}'
                f'M{_c(x2)} {_c(ym - 4)}V{_c(ym + 4)}" stroke="#0f172a" stroke-width="1.2" '
                'fill="none"/>'
            )
        out.append("</g>")
    out.append(
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{y_axis}" stroke="{AXIS_COLOR}"/>'
    )
    caption = "mean |SHAP| (log-odds of test), error bar: ± std across folds"
    if cut:
        caption += "; leak-like bars cut at the end"
    out.append(
        f'<text x="{_c(left + pw / 2)}" y="{height - 4}" text-anchor="middle">{caption}</text>'
    )
    out.append("</svg>")
    return "\n".join(out)


def _cut_mark(x_end: float, y: float, height: float, value: str) -> list[str]:
    """A bar cut at ``x_end``: a white double slash before its end and its value on it."""
    slash = (
        f"M{_c(x_end - 22)} {_c(y + height + 1)}L{_c(x_end - 16)} {_c(y - 1)}"
        f"M{_c(x_end - 16)} {_c(y + height + 1)}L{_c(x_end - 10)} {_c(y - 1)}"
    )
    return [
        f'<path d="{slash}" stroke="#ffffff" stroke-width="3" fill="none"/>',
        f'<text x="{_c(x_end - 28)}" y="{_c(y + height / 2 + 4)}" text-anchor="end" '
        f'fill="#ffffff" font-weight="600">{_esc(value)}</text>',
    ]


def dependency_heatmap(
    rows: Sequence[str],
    columns: Sequence[str],
    values: Sequence[Sequence[float]],
    *,
    row_scores: Sequence[float] = (),
) -> str:
    """Heatmap of the dependency matrix: which columns explain which.

    Parameters
    ----------
    rows : sequence of str
        The predicted columns (one row each), drawn top to bottom.
    columns : sequence of str
        The explaining columns, drawn left to right.
    values : sequence of sequence of float
        ``values[i][k]`` in [0, 1]: the share of row ``i``'s dependency score attributed
        to column ``k`` (the cell's colour intensity, on a fixed 0..1 scale). Cells below
        0.005 are not drawn, so the size stays bounded by ``len(rows) * len(columns)``.
    row_scores : sequence of float, optional
        Each row's dependency score, written at the right end of the row.

    Returns
    -------
    str
        An ``<svg>`` element; every label is clipped and escaped, full names (up to
        ``MAX_TOOLTIP_CHARS``) are in tooltips. The cell of a column with itself is grey.

    Examples
    --------
    >>> svg = dependency_heatmap(["<b>", "y"], ["y", "<b>"], [[0.9, 0.0], [0.0, 0.8]])
    >>> svg.startswith("<svg") and "&lt;b&gt;" in svg and "<b>" not in svg
    True
    """
    n_rows, n_cols = len(rows), len(columns)
    cell = max(12, min(28, 560 // max(n_cols, 1)))
    col_chars, left, right, top = 20, 180, 52, 128
    legend = 48
    width = left + cell * max(n_cols, 1) + right
    height = top + cell * max(n_rows, 1) + legend
    bottom = top + cell * n_rows
    out = _open(width, height, "Dependency matrix: which columns explain each column")
    out.append(
        f'<rect x="{left}" y="{top}" width="{cell * n_cols}" height="{cell * n_rows}" '
        f'fill="{GRID_COLOR}" fill-opacity="0.45"/>'
    )
    shown = {str(n): display_name(n) for n in (*rows, *columns)}
    for k, name in enumerate(columns):
        x = left + k * cell + cell / 2 + 4
        out.append(
            f'<text transform="translate({_c(x)} {top - 6}) rotate(-60)">'
            f"<title>{_esc(shown[name])}</title>{_esc(_clip(shown[name], col_chars))}</text>"
        )
    out.append(f'<text x="{left + cell * n_cols + 8}" y="{top - 6}">score</text>')
    out.append(f'<g fill="{HEAT_COLOR}">')
    for i, name in enumerate(rows):
        y = top + i * cell
        line = values[i] if i < len(values) else ()
        for k, other in enumerate(columns):
            x = left + k * cell
            if other == name:
                out.append(
                    f'<rect x="{x}" y="{y}" width="{cell - 1}" height="{cell - 1}" '
                    f'fill="{AXIS_COLOR}" fill-opacity="0.35"><title>itself</title></rect>'
                )
                continue
            v = min(max(_finite(line[k]) if k < len(line) else 0.0, 0.0), 1.0)
            if v < 0.005:
                continue
            out.append(
                f'<rect x="{x}" y="{y}" width="{cell - 1}" height="{cell - 1}" '
                f'fill-opacity="{max(v, 0.06):.2f}"><title>{_esc(_clip(shown[name], 40))} from '
                f"{_esc(_clip(shown[other], 40))}: {v:.2f}</title></rect>"
            )
    out.append("</g>")
    for i, name in enumerate(rows):
        baseline = top + i * cell + cell / 2 + 4
        out.append(
            f'<text x="{left - 6}" y="{_c(baseline)}" text-anchor="end">'
            f"<title>{_esc(shown[name])}</title>{_esc(_clip(shown[name]))}</text>"
        )
        if i < len(row_scores):
            out.append(
                f'<text x="{left + cell * n_cols + 8}" y="{_c(baseline)}">'
                f"{_finite(row_scores[i]):.2f}</text>"
            )
    y = bottom + 22
    out.append(f'<text x="{left}" y="{y + 9}" text-anchor="end" dx="-6">share of score</text>')
    for s, level in enumerate((0.0, 0.25, 0.5, 0.75, 1.0)):
        x = left + s * 52
        out.append(
            f'<rect x="{x}" y="{y}" width="14" height="12" fill="{HEAT_COLOR}" '
            f'fill-opacity="{level:.2f}" stroke="{AXIS_COLOR}" stroke-width="0.5"/>'
        )
        out.append(f'<text x="{x + 18}" y="{y + 10}">{level:g}</text>')
    out.append("</svg>")
    return "\n".join(out)


#: colours of the attacks' lines in the accuracy-vs-eps chart (the worst case is dark)
SERIES_COLORS = ("#2563eb", "#ea580c", "#16a34a", "#9333ea", "#0891b2", "#ca8a04", "#db2777",
                 "#64748b")
WORST_COLOR = "#0f172a"
#: attack lines drawn in one accuracy-vs-eps chart (the worst case is always drawn)
MAX_SERIES = len(SERIES_COLORS)


def accuracy_curve_chart(
    worst: Sequence[tuple[float, float]],
    attacks: Sequence[tuple[str, Sequence[tuple[float, float]]]] = (),
    *,
    clean: float | None = None,
    norm: str = "L∞",
    units: str = "standard units",
    width: int = 600,
    height: int = 300,
) -> str:
    """Accuracy versus perturbation budget: the worst case and each attack's own line.

    Parameters
    ----------
    worst : sequence of (eps, accuracy)
        Robust accuracy (worst case per sample over the attacks) at each budget, drawn as
        a thick dark line.
    attacks : sequence of (name, sequence of (eps, accuracy))
        Each attack's own robust accuracy, one coloured line each (the first
        ``MAX_SERIES``), named in the legend.
    clean : float, optional
        Clean accuracy, drawn as a dashed reference line.
    norm : str
        The norm's label for the x axis (``"L∞"``, ``"L2"``, ``"L0"``).
    units : str
        What eps is measured in, for the x axis (``"pixel units"`` for images).
    width, height : int
        Size in CSS pixels.

    Returns
    -------
    str
        An ``<svg>`` element; names are clipped and escaped, every point has a tooltip.
        Accuracy is drawn on a fixed 0..1 scale, eps from 0 to a round number above the
        largest budget.

    Examples
    --------
    >>> svg = accuracy_curve_chart([(0.1, 0.8), (0.3, 0.4)], [("<b>", [(0.1, 0.9), (0.3, 0.5)])],
    ...                            clean=0.95)
    >>> svg.startswith("<svg") and "&lt;b&gt;" in svg and "<b>" not in svg
    True
    """
    left, right, top, bottom = 46, 170, 14, 42
    pw, ph = width - left - right, height - top - bottom
    shown = list(attacks[:MAX_SERIES])
    budgets = [_finite(e) for e, _ in worst] + [_finite(e) for _, pts in shown for e, _ in pts]
    ticks = nice_ticks(max(budgets + [0.0]), 5)
    xmax = ticks[-1]

    def sx(v: float) -> float:
        return left + pw * min(max(_finite(v), 0.0), xmax) / xmax

    def sy(v: float) -> float:
        return top + ph * (1.0 - min(max(_finite(v), 0.0), 1.0))

    out = _open(width, height, f"Robust accuracy versus {norm} budget eps")
    for t in ticks:
        out.append(
            f'<line x1="{_c(sx(t))}" y1="{top}" x2="{_c(sx(t))}" y2="{_c(sy(0))}" '
            f'stroke="{GRID_COLOR}"/>'
        )
        out.append(
            f'<text x="{_c(sx(t))}" y="{_c(sy(0) + 15)}" text-anchor="middle">'
            f"{_esc(_tick_text(t))}</text>"
        )
    for a in (0.0, 0.25, 0.5, 0.75, 1.0):
        out.append(
            f'<line x1="{left}" y1="{_c(sy(a))}" x2="{left + pw}" y2="{_c(sy(a))}" '
            f'stroke="{GRID_COLOR}"/>'
        )
        out.append(f'<text x="{left - 6}" y="{_c(sy(a) + 4)}" text-anchor="end">{a:g}</text>')
    if clean is not None and math.isfinite(_finite(clean, math.nan)):
        out.append(
            f'<line x1="{left}" y1="{_c(sy(clean))}" x2="{left + pw}" y2="{_c(sy(clean))}" '
            f'stroke="{AXIS_COLOR}" stroke-width="1.5" stroke-dasharray="5 4">'
            f"<title>clean accuracy {_finite(clean):.3f}</title></line>"
        )
    series = [(str(name), pts, SERIES_COLORS[i], 1.5) for i, (name, pts) in enumerate(shown)]
    series.append(("worst case", worst, WORST_COLOR, 3.0))
    for name, points, color, stroke in series:
        xy = [(sx(e), sy(a), e, a) for e, a in sorted(points, key=lambda p: _finite(p[0]))]
        if len(xy) > 1:
            line = " ".join(f"{_c(x)},{_c(y)}" for x, y, _, _ in xy)
            out.append(
                f'<polyline points="{line}" fill="none" stroke="{color}" '
                f'stroke-width="{stroke:g}" stroke-linejoin="round"/>'
            )
        for x, y, e, a in xy:
            out.append(
                f'<circle cx="{_c(x)}" cy="{_c(y)}" r="{stroke + 1.5:g}" fill="{color}">'
                f"<title>{_esc(name)}: accuracy {_finite(a):.3f} at eps "
                f"{_esc(_tick_text(_finite(e)))}</title></circle>"
            )
    legend = [("worst case", WORST_COLOR, 3.0, "")]
    legend += [(name, color, stroke, "") for name, _, color, stroke in series[:-1]]
    if clean is not None:
        legend.append((f"clean {_finite(clean):.3f}", AXIS_COLOR, 1.5, ' stroke-dasharray="5 4"'))
    for i, (name, color, stroke, dash) in enumerate(legend):
        y = top + 8 + i * 18
        x = left + pw + 14
        out.append(
            f'<line x1="{x}" y1="{y}" x2="{x + 18}" y2="{y}" stroke="{color}" '
            f'stroke-width="{stroke:g}"{dash}/>'
        )
        out.append(
            f'<text x="{x + 24}" y="{y + 4}"><title>{_esc(name)}</title>'
            f"{_esc(_clip(name, 20))}</text>"
        )
    out.append(
        f'<line x1="{left}" y1="{_c(sy(0))}" x2="{left + pw}" y2="{_c(sy(0))}" '
        f'stroke="{AXIS_COLOR}"/>'
    )
    out.append(
        f'<text x="{_c(left + pw / 2)}" y="{height - 6}" text-anchor="middle">'
        f"eps ({_esc(norm)}, {_esc(units)})</text>"
    )
    out.append(
        f'<text transform="translate(12 {_c(top + ph / 2)}) rotate(-90)" '
        'text-anchor="middle">accuracy</text>'
    )
    out.append("</svg>")
    return "\n".join(out)


def share_bars(
    rows: Sequence[tuple[str, float, str]], *, title: str, axis: str, width: int = 720
) -> str:
    """Horizontal bars of shares in [0, 1], one per named row, with a tooltip each.

    Parameters
    ----------
    rows : sequence of (name, share, tooltip detail)
        Drawn top to bottom in the given order.
    title : str
        Accessible label of the chart.
    axis : str
        Caption of the x axis.
    width : int
        Width in CSS pixels; the height follows the number of rows.

    Returns
    -------
    str
        An ``<svg>`` element; names are clipped and escaped.

    Examples
    --------
    >>> svg = share_bars([("<b>", 0.5, "3 rows")], title="t", axis="share")
    >>> "&lt;b&gt;" in svg and "<b>" not in svg and "50%" in svg
    True
    """
    row, left, right, top, bottom = 24, 190, 56, 8, 36
    height = top + bottom + row * max(len(rows), 1)
    pw = width - left - right
    y_axis = top + row * max(len(rows), 1)

    def sx(v: float) -> float:
        return left + pw * min(max(_finite(v), 0.0), 1.0)

    out = _open(width, height, title)
    for t in (0.0, 0.25, 0.5, 0.75, 1.0):
        out.append(
            f'<line x1="{_c(sx(t))}" y1="{top}" x2="{_c(sx(t))}" y2="{y_axis}" '
            f'stroke="{GRID_COLOR}"/>'
        )
        out.append(
            f'<text x="{_c(sx(t))}" y="{y_axis + 15}" text-anchor="middle">{t:g}</text>'
        )
    for i, (name, share, detail) in enumerate(rows):
        y = top + i * row
        value = min(max(_finite(share), 0.0), 1.0)
        out.append(f"<g><title>{_esc(name)}: {100 * value:.1f}% ({_esc(detail)})</title>")
        out.append(
            f'<text x="{left - 8}" y="{_c(y + row / 2 + 4)}" text-anchor="end">'
            f"{_esc(_clip(name))}</text>"
        )
        out.append(
            f'<rect x="{left}" y="{_c(y + 5)}" width="{_c(max(sx(value) - left, 0.0))}" '
            f'height="{row - 10}" rx="2" fill="{TRAIN_COLOR}" fill-opacity="0.8"/>'
        )
        out.append(
            f'<text x="{_c(sx(value) + 6)}" y="{_c(y + row / 2 + 4)}">{_percent(value)}</text>'
        )
        out.append("</g>")
    out.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{y_axis}" stroke="{AXIS_COLOR}"/>')
    out.append(
        f'<text x="{_c(left + pw / 2)}" y="{height - 4}" text-anchor="middle">{_esc(axis)}</text>'
    )
    out.append("</svg>")
    return "\n".join(out)


#: size of a column's small plot in the table of every column (CSS pixels)
SMALL_WIDTH, SMALL_HEIGHT = 200, 60
#: bins of a small histogram (adjacent bins of the report's histogram are merged)
SMALL_BINS = 15
#: rows of a small categorical plot: one per level or bucket
SMALL_ROW = 12
#: characters of a level's name written in a small categorical plot
SMALL_LABEL_CHARS = 18


def small_distribution_chart(dist: Distribution) -> str:
    """A column's train and test shares as a small plot of about a kilobyte.

    The plot the table of every column opens on demand, so a report of thousands of
    columns stays a few megabytes: a histogram of at most ``SMALL_BINS`` bins (adjacent
    bins of ``dist`` merged) drawn as two outlines, with the range written under it; or,
    for categories, one row per level (``"(missing)"`` and ``"(other)"`` included) with a
    train bar, a test bar and both shares. No tooltips, no per-bin elements.

    Parameters
    ----------
    dist : Distribution

    Returns
    -------
    str
        An ``<svg>`` element; every label is escaped.

    Examples
    --------
    >>> d = Distribution("x", "categorical", ("<b>", "b"), (), (0.5, 0.5), (0.2, 0.8))
    >>> svg = small_distribution_chart(d)
    >>> "&lt;b&gt;" in svg and "<b>" not in svg and "50/20%" in svg
    True
    >>> h = Distribution("y", "numeric", ("0 to 1", "1 to 2"), (0.0, 1.0, 2.0), (1.0, 0.0),
    ...                  (0.5, 0.5))
    >>> len(small_distribution_chart(h)) < 1000
    True
    """
    if dist.kind in ("numeric", "datetime"):
        return _small_histogram(dist)
    return _small_bars(dist)


def _small_open(width: int, height: int, label: str) -> str:
    """The ``<svg>`` tag of a small plot; its colours and fonts are in the page's CSS
    (``svg.small``, classes ``tr``/``te`` for the sides), written once for every plot."""
    return (
        f'<svg class="small" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-label="{_esc(label)}">'
    )


def _merged(dist: Distribution) -> tuple[list[float], list[float], list[tuple[float, float]]]:
    """At most ``SMALL_BINS`` bins: train shares, test shares and extents in [0, 1]."""
    n = len(dist.labels)
    group = max(math.ceil(n / SMALL_BINS), 1)
    spans = _numeric_positions(dist) if n else []
    train, test, merged = [], [], []
    for start in range(0, n, group):
        stop = min(start + group, n)
        train.append(sum(max(_finite(v), 0.0) for v in dist.train[start:stop]))
        test.append(sum(max(_finite(v), 0.0) for v in dist.test[start:stop]))
        merged.append((spans[start][0], spans[stop - 1][1]))
    return train, test, merged


def _small_histogram(dist: Distribution) -> str:
    width, height, pad, bottom = SMALL_WIDTH, SMALL_HEIGHT, 3, 13
    pw, base = width - 2 * pad, height - bottom
    train, test, spans = _merged(dist)
    top = max(train + test + [0.0])
    label = "train vs test" + (f", {dist.measure}" if dist.measure else "")
    out = [_small_open(width, height, label)]
    if top <= 0:
        out.append(f'<text x="{width / 2:g}" y="{base / 2:g}" text-anchor="middle">no data</text>')
    for shares, side in ((train, "tr"), (test, "te")):
        if top <= 0:
            break
        steps = [f"M{_d(pad + spans[0][0] * pw)} {base}"] if spans else []
        for v, (_, b) in zip(shares, spans, strict=True):
            steps.append(f"V{_d(base - (base - 4) * v / top)}H{_d(pad + b * pw)}")
        out.append(f'<path class="h {side}" d="{"".join(steps)}V{base}Z"/>')
    out.append(f'<path class="ax" d="M{pad} {base}H{width - pad}"/>')
    edges = [_finite(e, math.nan) for e in dist.edges]
    if len(edges) >= 2 and all(math.isfinite(e) for e in (edges[0], edges[-1])):
        lo, hi = edges[0], edges[-1]
        span = 2.0 * (hi / 2.0 - lo / 2.0)
        ticks = [
            format_instant(v, span) if dist.kind == "datetime" else _tick_text(v)
            for v in (lo, hi)
        ]
        out.append(f'<text x="{pad}" y="{height - 2}">{_esc(ticks[0])}</text>')
        out.append(
            f'<text x="{width - pad}" y="{height - 2}" text-anchor="end">{_esc(ticks[1])}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def _small_bars(dist: Distribution) -> str:
    n = min(len(dist.labels), MAX_CATEGORIES)
    train = [max(_finite(v), 0.0) for v in dist.train[:n]]
    test = [max(_finite(v), 0.0) for v in dist.test[:n]]
    buckets = {i for i, v in enumerate(dist.labels[:n]) if v in BUCKET_LABELS}
    scale = _bar_scale(train, test, buckets) or 1.0
    width, left, right = SMALL_WIDTH, 90, 42
    height = SMALL_ROW * max(n, 1) + 2
    pw = width - left - right
    out = [_small_open(width, height, "train vs test")]
    if not n:
        out.append(f'<text x="{width / 2:g}" y="10" text-anchor="middle">no data</text>')
    bars: dict[str, list[str]] = {"tr": [], "te": []}
    labels: list[str] = []
    shares: list[str] = []
    for i in range(n):
        y = 1 + i * SMALL_ROW
        name = display_name(dist.labels[i])
        labels.append(f'<text y="{y + 9}">{_esc(_clip(name, SMALL_LABEL_CHARS))}</text>')
        for k, (values, side) in enumerate(((train, "tr"), (test, "te"))):
            length = pw * min(values[i] / scale, 1.0)
            if length > 0:
                bars[side].append(f"M{left} {y + 1 + 5 * k}h{_d(max(length, 0.5))}v4H{left}Z")
        shares.append(
            f'<text x="{width}" y="{y + 9}">'
            f"{_short_percent(train[i])}/{_short_percent(test[i])}%</text>"
        )
    out.extend(labels)
    if shares:
        out.append(f'<g text-anchor="end">{"".join(shares)}</g>')
    for side, parts in bars.items():
        if parts:
            out.append(f'<path class="b {side}" d="{"".join(parts)}"/>')
    out.append("</svg>")
    return "".join(out)


def _d(x: float) -> str:
    """A coordinate of a small plot: one decimal, no trailing zero."""
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _short_percent(x: float) -> str:
    """A share as a percentage without the sign: ``"40"``, ``"2.5"``, ``"0.04"``, ``"0"``."""
    value = 100 * x
    if value == 0 or value >= 10:
        return f"{value:.0f}"
    return f"{value:.2g}"
