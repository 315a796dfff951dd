"""Server-side SVG charts: no JavaScript, no CDN, works on the intranet and prints.

Two shapes cover the statistics page: horizontal bars (one value per labelled row: categories,
departments, units) and grouped columns (a few series over months). Every text is escaped (labels come
from users: category and unit names); every bar carries a <title> with its label and value and may link
to the list behind it. Colours come from CSS classes (``chart-s0`` …) so the stylesheet owns them; the
``fill`` attributes are only a fallback for a chart saved on its own. Each chart has <title> and <desc>;
the page shows the same numbers in a table as well.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from markupsafe import Markup, escape

PALETTE = ("#2f6fb0", "#3f9b5b", "#d08a1c", "#c0392b", "#7d5ba6")
FONT = 12
_ids = itertools.count(1)


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    href: str = ""
    text: str = ""  # the value as printed (default: the number)


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[float, ...]
    hrefs: tuple[str, ...] = ()


def _num(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _nice_max(value: float) -> float:
    """A round upper end for the axis: 1, 2, 5 × 10ⁿ at or above ``value``."""
    if value <= 0:
        return 1
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _text_width(text: str) -> int:
    """Rough width in pixels: CJK characters are square, others about half."""
    return sum(FONT if ord(ch) > 0x2E80 else FONT * 0.6 for ch in text)


def _linked(href: str, inner: str) -> str:
    return f'<a href="{escape(href)}">{inner}</a>' if href else inner


def _open(width: int, height: int, title: str, desc: str, css: str) -> tuple[str, str]:
    n = next(_ids)
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {css}" viewBox="0 0 {width} {height}" '
            f'width="{width}" height="{height}" role="img" aria-labelledby="chart{n}-t chart{n}-d" '
            f'font-size="{FONT}">'
            f'<title id="chart{n}-t">{escape(title)}</title><desc id="chart{n}-d">{escape(desc)}</desc>')
    return head, "</svg>"


def bar_chart(title: str, bars: list[Bar], *, desc: str = "", width: int = 560, label_chars: int = 14,
              unit: str = "件") -> Markup:
    """Horizontal bars, one per row, longest first as given."""
    if not bars:
        return Markup("")
    labels = [_shorten(bar.label, label_chars) for bar in bars]
    label_width = int(min(max(_text_width(label) for label in labels), label_chars * FONT)) + 8
    value_width = 56
    row_height, top = 22, 6
    plot = width - label_width - value_width
    top_value = _nice_max(max(bar.value for bar in bars))
    height = top + row_height * len(bars) + 6
    head, tail = _open(width, height, title, desc or title, "chart-bars")
    parts = [head]
    for i, (bar, label) in enumerate(zip(bars, labels)):
        y = top + i * row_height
        length = max(0.0, plot * bar.value / top_value)
        shown = bar.text or f"{_num(bar.value)}"
        tip = f"<title>{escape(bar.label)}：{escape(shown)}{escape(unit) if not bar.text else ''}</title>"
        parts.append(f'<text x="{label_width - 6}" y="{y + 15}" text-anchor="end" class="chart-label">'
                     f'{escape(label)}</text>')
        rect = (f'<rect x="{label_width}" y="{y + 3}" width="{length:.1f}" height="{row_height - 7}" '
                f'class="chart-s0" fill="{PALETTE[0]}">{tip}</rect>')
        parts.append(_linked(bar.href, rect))
        parts.append(f'<text x="{label_width + length + 4:.1f}" y="{y + 15}" class="chart-value">'
                     f'{escape(shown)}</text>')
    parts.append(tail)
    return Markup("".join(parts))


def column_chart(title: str, labels: list[str], series: list[Series], *, desc: str = "", width: int = 720,
                 height: int = 260, unit: str = "件") -> Markup:
    """Grouped vertical columns: one group per label (e.g. a month), one column per series, a legend."""
    if not labels or not series:
        return Markup("")
    left, right, top, bottom = 40, 8, 26, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = _nice_max(max((v for s in series for v in s.values), default=0))
    group_w = plot_w / len(labels)
    column_w = max(2.0, min(18.0, (group_w - 6) / len(series)))
    head, tail = _open(width, height, title, desc or title, "chart-columns")
    parts = [head]
    # legend
    x = left
    for i, s in enumerate(series):
        parts.append(f'<rect x="{x}" y="6" width="10" height="10" class="chart-s{i}" fill="{PALETTE[i % 5]}"/>'
                     f'<text x="{x + 14}" y="15" class="chart-legend">{escape(s.name)}</text>')
        x += 14 + _text_width(s.name) + 16
    # axis and grid: 0, ½, max
    for fraction in (0, 0.5, 1):
        y = top + plot_h * (1 - fraction)
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" class="chart-grid" '
                     f'stroke="#ddd"/><text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" class="chart-axis">'
                     f'{_num(top_value * fraction)}</text>')
    every = max(1, len(labels) // 12)  # at most about twelve axis labels
    for g, label in enumerate(labels):
        gx = left + g * group_w + (group_w - column_w * len(series)) / 2
        for i, s in enumerate(series):
            value = s.values[g]
            h = plot_h * value / top_value
            rect = (f'<rect x="{gx + i * column_w:.1f}" y="{top + plot_h - h:.1f}" width="{column_w - 1:.1f}" '
                    f'height="{h:.1f}" class="chart-s{i}" fill="{PALETTE[i % 5]}">'
                    f'<title>{escape(label)} {escape(s.name)}：{_num(value)}{escape(unit)}</title></rect>')
            parts.append(_linked(s.hrefs[g] if g < len(s.hrefs) else "", rect))
        if g % every == 0:
            parts.append(f'<text x="{left + g * group_w + group_w / 2:.1f}" y="{height - bottom + 16}" '
                         f'text-anchor="middle" class="chart-axis">{escape(label)}</text>')
    parts.append(tail)
    return Markup("".join(parts))
