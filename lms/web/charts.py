"""Charts as SVG drawn on the server: horizontal bars and a monthly line. No script, no library.

Each chart is an ``<svg role="img">`` with a ``<title>`` and a ``<desc>`` (its text alternative:
every value in words), and the page puts a table with the same values beside it. A value hidden by
small-cell suppression draws no bar and is labelled "< 5". Text is escaped (a district or an
organisation's name is typed by people). Sizes are in the viewBox, so a chart scales to the screen.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup

WIDTH = 640
BAR = 22
GAP = 8
LABEL = 210  #: room for the labels on the start side
TICK = 11


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None  #: None: hidden (fewer than 5 people) or no value
    text: str  #: the value as shown ("1,234", "< 5", "72%")
    series: int = 0  #: colour 0 or 1 (the pre-test and the post-test side by side)


def _tag(template: str, **values) -> Markup:
    """An SVG element: ``template`` is this module's own markup; every value is escaped."""
    return Markup(template).format(**values)  # noqa: S704 - templates are literals of this module


def _svg(title: str, desc: str, height: int, body: list[Markup], rtl: bool) -> Markup:
    return _tag(
        '<svg class="chart" role="img" viewBox="0 0 {width} {height}" '
        'preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg"{direction}>'
        "<title>{title}</title><desc>{desc}</desc>{body}</svg>",
        width=WIDTH, height=height, title=title, desc=desc, body=Markup("").join(body),
        direction=Markup(' direction="rtl"') if rtl else "",
    )  # fmt: skip


def bars(
    title: str, items: list[Bar], *, rtl: bool = False, maximum: float | None = None
) -> Markup:
    """Horizontal bars, one row per item (two series share a row's label when given in pairs)."""
    top = max((b.value for b in items if b.value is not None), default=0) or 1
    top = maximum or top
    rows = []
    y = GAP
    room = WIDTH - LABEL - 70
    previous = None
    for item in items:
        if item.label != previous:
            if previous is not None:
                y += GAP
            label_x = WIDTH - 4 if rtl else LABEL - 8
            anchor = "end" if not rtl else "start"
            label_text = item.label if len(item.label) <= 32 else item.label[:31] + "…"
            rows.append(_tag(
                '<text x="{x}" y="{y:.0f}" text-anchor="{anchor}" font-size="{size}" '
                'class="label">{text}</text>',
                x=label_x, y=y + BAR * 0.7, anchor=anchor, size=TICK + 2, text=label_text,
            ))  # fmt: skip
        previous = item.label
        width = 0 if item.value is None else max(1.0, room * item.value / top)
        x = (WIDTH - LABEL - width) if rtl else LABEL
        if width:
            rows.append(_tag(
                '<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{h}" class="bar series-{s}"/>',
                x=x, y=y, w=width, h=BAR, s=item.series,
            ))  # fmt: skip
        rows.append(_tag(
            '<text x="{x:.1f}" y="{y:.0f}" font-size="{size}" text-anchor="{anchor}" '
            'class="value">{text}</text>',
            x=(x - 6) if rtl else (x + width + 6), y=y + BAR * 0.7, size=TICK + 2,
            anchor="end" if rtl else "start", text=item.text,
        ))  # fmt: skip
        y += BAR + 2
    desc = "; ".join(f"{b.label}: {b.text}" for b in items) or "—"
    return _svg(title, desc, y + GAP, rows, rtl)


def line(
    title: str, months: list[str], series: list[tuple[str, list[float | None], list[str]]],
    *, rtl: bool = False,
) -> Markup:  # fmt: skip
    """A line per series over the months (oldest first; drawn right to left in Urdu pages)."""
    height, left, bottom, top_pad = 260, 48, 40, 16
    plot_w, plot_h = WIDTH - left - 16, height - bottom - top_pad
    peak = max((v for _, values, _ in series for v in values if v is not None), default=0) or 1
    n = max(len(months), 1)

    def x_of(i: int) -> float:
        step = plot_w / max(n - 1, 1)
        x = left + (i * step if n > 1 else plot_w / 2)
        return WIDTH - x + left - 16 if rtl else x

    def y_of(v: float) -> float:
        return top_pad + plot_h - plot_h * v / peak

    body = [
        _tag('<line x1="{x1}" y1="{y}" x2="{x2}" y2="{y}" class="axis"/>',
             x1=left, x2=left + plot_w, y=top_pad + plot_h),
        _tag('<text x="4" y="{y}" font-size="{size}" class="tick">{text}</text>',
             y=top_pad + 4, size=TICK, text=int(peak)),
        _tag('<text x="4" y="{y}" font-size="{size}" class="tick">0</text>',
             y=top_pad + plot_h, size=TICK),
    ]  # fmt: skip
    every = max(1, n // 8)
    for i, month in enumerate(months):
        if i % every == 0 or i == n - 1:
            body.append(_tag(
                '<text x="{x:.1f}" y="{y}" font-size="{size}" text-anchor="middle" '
                'class="tick">{text}</text>', x=x_of(i), y=height - 18, size=TICK, text=month,
            ))  # fmt: skip
    for index, (name, values, _) in enumerate(series):
        points = [(x_of(i), y_of(v)) for i, v in enumerate(values) if v is not None]
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            body.append(_tag('<polyline points="{p}" class="line series-{i}" fill="none"/>',
                             p=path, i=index))  # fmt: skip
        for x, y in points:
            body.append(_tag('<circle cx="{x:.1f}" cy="{y:.1f}" r="3" class="dot series-{i}"/>',
                             x=x, y=y, i=index))  # fmt: skip
        body.append(_tag(
            '<text x="{x}" y="{y}" font-size="{size}" class="legend series-{i}">■ {text}</text>',
            x=left + 8 + index * 200, y=height - 2, size=TICK + 1, i=index, text=name,
        ))  # fmt: skip
    desc = "; ".join(
        f"{name}: " + ", ".join(f"{m} {t}" for m, t in zip(months, texts, strict=True))
        for name, _, texts in series
    )
    return _svg(title, desc or "—", height, body, rtl)
