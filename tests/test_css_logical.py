"""One stylesheet serves English (left to right) and Urdu (right to left): every rule in static/css
uses logical properties (margin-inline-start, padding-inline-end, inset-inline-start, border-inline-*,
text-align: start/end), so nothing sticks to the left or right edge in either direction."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

CSS = Path(__file__).resolve().parents[1] / "static" / "css"

#: a property whose name says left or right: margin-left, padding-right, border-left-color, left, ...
PHYSICAL_NAME = re.compile(
    r"^(?:(?:margin|padding|border|scroll-margin|scroll-padding)-(?:left|right)(?:-.+)?"
    r"|left|right|border-(?:top|bottom)-(?:left|right)-radius)$"
)
#: properties whose value may name a side
SIDE_VALUES = {"float", "clear", "text-align", "text-align-last", "caption-side", "resize"}
#: shorthands whose four values go top, right, bottom, left (border-radius: corners, same order)
FOUR_SIDES = {
    "margin",
    "padding",
    "inset",
    "border-width",
    "border-style",
    "border-color",
    "scroll-margin",
    "scroll-padding",
}


def declarations(css: str):
    """(line, property, value) of every declaration, at any depth of @media nesting."""
    text = re.sub(r"/\*.*?\*/", lambda m: re.sub(r"[^\n]", " ", m.group()), css, flags=re.S)
    for block in re.finditer(r"\{([^{}]*)\}", text):
        for match in re.finditer(r"([^;:\s][^;:]*):([^;]*)", block.group(1)):
            line = text.count("\n", 0, block.start(1) + match.start()) + 1
            yield line, match.group(1).strip().lower(), " ".join(match.group(2).split()).lower()


def _values(value: str) -> list[str]:
    return re.sub(r"!important", "", value).split()


def physical(name: str, value: str) -> str | None:
    """Why this declaration is tied to a physical side, or None."""
    if PHYSICAL_NAME.match(name):
        return f"{name} is physical: use its -inline-start/-inline-end (or inset-inline-*) form"
    if name in SIDE_VALUES and re.search(r"\b(?:left|right)\b", value):
        return f"{name}: {value}: use start/end (inline-start/inline-end for float)"
    parts = _values(value)
    if name in FOUR_SIDES and len(parts) == 4 and parts[1] != parts[3]:
        return (
            f"{name}: {value}: right and left differ; set the inline sides with -inline-start/-end"
        )
    if name == "border-radius":
        corners = _values(value.partition("/")[0])
        a, b, c, d = {1: [0, 0, 0, 0], 2: [0, 1, 0, 1], 3: [0, 1, 2, 1]}.get(
            len(corners), [0, 1, 2, 3]
        )
        tl, tr, br, bl = (corners[i] for i in (a, b, c, d))
        if tl != tr or br != bl:
            return f"border-radius: {value}: left and right corners differ; use border-start-start-radius"
    if name in {"background-position", "transform-origin", "object-position"} and re.search(
        r"\b(?:left|right)\b", value
    ):
        return f"{name}: {value}: names a side"
    if name == "direction" or (name == "unicode-bidi" and "override" in value):
        return f"{name}: {value}: direction comes from <html dir>, not from the stylesheet"
    return None


def stylesheets() -> list[Path]:
    return sorted(CSS.glob("*.css"))


def test_there_are_stylesheets():
    assert {p.name for p in stylesheets()} >= {"site.css", "urdu.css"}


@pytest.mark.parametrize("path", stylesheets(), ids=lambda p: p.name)
def test_the_stylesheet_uses_logical_properties_only(path: Path):
    problems = [
        f"{path.name}:{line}: {why}"
        for line, name, value in declarations(path.read_text(encoding="utf-8"))
        if (why := physical(name, value))
    ]
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize(
    "css",
    [
        "a { margin-left: 1rem }",
        "a { padding-right: 0 }",
        ".x { border-left: 4px solid red; }",
        ".x { border-right-color: red }",
        ".skip { position: absolute; left: -999px }",
        "@media (min-width: 40rem) { .x { right: 0; } }",
        "td { text-align: left }",
        ".n { text-align: right !important }",
        "img { float: left }",
        "p { clear: right }",
        ".x { margin: 0 1rem 0 2rem }",
        ".x { padding: 1px 2px 3px 4px }",
        ".x { border-radius: 4px 0 0 4px }",
        ".x { border-radius: 4px 0 }",
        ".x { border-top-left-radius: 4px }",
        ".x { background-position: left top }",
        "p { direction: rtl }",
    ],
)
def test_a_physical_declaration_is_found(css):
    assert [why for _, name, value in declarations(css) if (why := physical(name, value))]


@pytest.mark.parametrize(
    "css",
    [
        "a:focus-visible, .x:hover { margin-inline-start: 1rem; padding: 0 1rem; margin: 0 auto }",
        ".x { padding: .5rem 1rem 2rem; border-radius: .4rem; inset-inline-start: 0 }",
        ".x { text-align: start; float: inline-start; border-inline-end: 2px solid; top: 0 }",
        ".x { margin: 1px 2px 3px 2px; border-top: 1px solid; border-radius: 1px 1px 2px 2px }",
        ".x { border-radius: 50% / 10%; border-radius: 3px 3px 3px }",
        "/* margin-left: 1rem */ .x { color: red }",
    ],
)
def test_a_logical_declaration_passes(css):
    assert [why for _, name, value in declarations(css) if (why := physical(name, value))] == []


def test_lines_are_reported_where_the_declaration_is():
    css = "a {\n  color: red;\n  margin-left: 1rem;\n}\n"
    assert [line for line, name, _ in declarations(css) if name == "margin-left"] == [3]
