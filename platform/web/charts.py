"""Charts as inline SVG, drawn on the server: no JavaScript library, no CDN.

Each function takes plain numbers and returns SVG markup (``markupsafe.Markup``) with a
``<title>`` per mark, so hovering a bar shows its value and screen readers can read it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from markupsafe import Markup, escape

PALETTE = ("#2b6cb0", "#dd6b20", "#38a169", "#d53f8c", "#805ad5", "#319795", "#d69e2e", "#718096")


def _fmt(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def bar_chart(
    items: Sequence[tuple[str, float]],
    *,
    width: int = 420,
    bar_height: int = 22,
    label_width: int = 150,
    colour: str = PALETTE[0],
    title: str = "",
    empty: str = "no data",
) -> Markup:
    """Horizontal bars, one per ``(label, value)``, longest bar = largest value.

    Raises:
        ValueError: a value is negative or not finite.
    """
    for label, value in items:
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"bar {label!r}: value {value!r} must be a finite number >= 0")
    gap = 6
    height = max(1, len(items)) * (bar_height + gap) + gap
    top = max((v for _, v in items), default=0) or 1
    span = width - label_width - 50
    parts = [
        f'<svg class="chart bar-chart" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" aria-label="{escape(title)}">'
    ]
    if not items:
        parts.append(f'<text x="8" y="{height - 8}" class="empty">{escape(empty)}</text>')
    for i, (label, value) in enumerate(items):
        y = gap + i * (bar_height + gap)
        w = span * value / top
        parts.append(
            f'<g class="bar" data-label="{escape(label)}" data-value="{_fmt(value)}">'
            f"<title>{escape(label)}: {_fmt(value)}</title>"
            f'<text x="{label_width - 6}" y="{y + bar_height * 0.7:.1f}" text-anchor="end">'
            f"{escape(label)}</text>"
            f'<rect x="{label_width}" y="{y}" width="{w:.1f}" height="{bar_height}" '
            f'fill="{colour}" rx="3"/>'
            f'<text x="{label_width + w + 5:.1f}" y="{y + bar_height * 0.7:.1f}">{_fmt(value)}'
            f"</text></g>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def donut_chart(items: Sequence[tuple[str, float]], *, size: int = 180, title: str = "") -> Markup:
    """A ring split by share, with a legend; the total sits in the middle."""
    for label, value in items:
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"slice {label!r}: value {value!r} must be a finite number >= 0")
    total = sum(v for _, v in items)
    r, stroke = size / 2 - 14, 24
    c = size / 2
    circumference = 2 * math.pi * r
    legend_w = 170
    rows = max(len(items), 1)
    height = max(size, rows * 20 + 10)
    parts = [
        f'<svg class="chart donut-chart" role="img" viewBox="0 0 {size + legend_w} {height}" '
        f'width="{size + legend_w}" height="{height}" aria-label="{escape(title)}">',
        f'<circle cx="{c}" cy="{c}" r="{r:.1f}" fill="none" stroke="#e2e8f0" '
        f'stroke-width="{stroke}"/>',
    ]
    offset = 0.0
    for i, (label, value) in enumerate(items):
        colour = PALETTE[i % len(PALETTE)]
        if total > 0 and value > 0:
            length = circumference * value / total
            parts.append(
                f'<circle class="slice" cx="{c}" cy="{c}" r="{r:.1f}" fill="none" '
                f'stroke="{colour}" stroke-width="{stroke}" '
                f'stroke-dasharray="{length:.2f} {circumference - length:.2f}" '
                f'stroke-dashoffset="{-offset:.2f}" transform="rotate(-90 {c} {c})" '
                f'data-label="{escape(label)}" data-value="{_fmt(value)}">'
                f"<title>{escape(label)}: {_fmt(value)}</title></circle>"
            )
            offset += length
        y = 14 + i * 20
        parts.append(
            f'<rect x="{size + 6}" y="{y - 10}" width="12" height="12" fill="{colour}"/>'
            f'<text x="{size + 24}" y="{y}">{escape(label)} ({_fmt(value)})</text>'
        )
    parts.append(
        f'<text x="{c}" y="{c + 7}" text-anchor="middle" class="total">{_fmt(total)}</text></svg>'
    )
    return Markup("".join(parts))


def column_chart(
    items: Sequence[tuple[str, float]],
    *,
    width: int = 720,
    height: int = 180,
    colour: str = PALETTE[0],
    title: str = "",
    label_every: int = 1,
) -> Markup:
    """Vertical columns over a category axis (e.g. cases per day of a month)."""
    for label, value in items:
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"column {label!r}: value {value!r} must be a finite number >= 0")
    if label_every < 1:
        raise ValueError("label_every must be >= 1")
    bottom, left = 22, 30
    plot_h = height - bottom - 10
    top = max((v for _, v in items), default=0) or 1
    n = max(len(items), 1)
    slot = (width - left - 16) / n  # room for the last label
    parts = [
        f'<svg class="chart column-chart" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" aria-label="{escape(title)}">',
        f'<line x1="{left}" y1="{height - bottom}" x2="{width}" y2="{height - bottom}" '
        f'stroke="#a0aec0"/>',
        f'<text x="{left - 4}" y="16" text-anchor="end" class="axis">{_fmt(top)}</text>',
        f'<text x="{left - 4}" y="{height - bottom}" text-anchor="end" class="axis">0</text>',
    ]
    # every label_every-th column, and always the last (today): the newest day is the one the
    # screen is read for; a label too close before it gives way
    last = len(items) - 1
    labelled = {i for i in range(len(items)) if i % label_every == 0}
    labelled = {i for i in labelled if i == last or last - i >= (label_every + 1) // 2} | {last}
    for i, (label, value) in enumerate(items):
        h = plot_h * value / top
        x = left + i * slot + slot * 0.15
        parts.append(
            f'<g class="column" data-label="{escape(label)}" data-value="{_fmt(value)}">'
            f"<title>{escape(label)}: {_fmt(value)}</title>"
            f'<rect x="{x:.1f}" y="{height - bottom - h:.1f}" width="{slot * 0.7:.1f}" '
            f'height="{h:.1f}" fill="{colour}"/></g>'
        )
        if i in labelled:
            parts.append(
                f'<text x="{x + slot * 0.35:.1f}" y="{height - 6}" text-anchor="middle" '
                f'class="axis">{escape(label)}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))
