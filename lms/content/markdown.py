"""Front matter and Markdown rendering for lessons: a fixed extension list, rendered once at start-up.

Links to other lessons are written as relative links to their ``.md`` files (so they also work when
the repository is browsed); the renderer rewrites them to site URLs and reports any that point nowhere.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath

import markdown
from markdown.extensions import Extension
from markdown.extensions.toc import slugify as toc_slugify
from markdown.treeprocessors import Treeprocessor

EXTENSIONS = ["toc", "tables", "admonition", "attr_list", "footnotes"]

#: Admonition blocks that lessons may use (content/STYLE.md), with the title shown when none is given.
BLOCKS = {
    "case": "Case",
    "activity": "Activity",
    "law": "The law",
    "warning": "Warning",
    "worksheet": "Worksheet",
    "keypoints": "Key points",
}
#: The blocks' default titles, the tables' label and the footnotes' way back, in each translation
#: language: a translated lesson is rendered once at start-up like any lesson, so the words around
#: its own come from here, not from the interface's catalogue.
LOCALIZED_TITLES = {
    "ur": {
        "case": "کیس",
        "activity": "سرگرمی",
        "law": "قانون",
        "warning": "انتباہ",
        "worksheet": "ورک شیٹ",
        "keypoints": "اہم نکات",
        "table": "جدول",
        "footnote_back": "متن میں حاشیہ %d پر واپس جائیں",
    },
}
BLOCK_RE = re.compile(r"^!!!\s*(\S+)(.*)$")
WORD_RE = re.compile(r"[^\W_][\w'’-]*")
FRONT_MATTER_RE = re.compile(r"\A---[ \t]*\n(.*?\n)?---[ \t]*\n", re.S)


@dataclass(frozen=True)
class FrontMatter:
    text: str  #: the YAML between the fences
    body: str
    body_line: int  #: 1-based line of the first body line in the file


def split_front_matter(source: str) -> FrontMatter | None:
    match = FRONT_MATTER_RE.match(source)
    if not match:
        return None
    yaml_text = match.group(1) or ""
    return FrontMatter(yaml_text, source[match.end() :], yaml_text.count("\n") + 3)


def count_words(text: str) -> int:
    return len(WORD_RE.findall(text))


class _TextOnly(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def plain_text(html: str) -> str:
    """Rendered HTML as one line of plain text (for places that show no markup: badge JSON)."""
    parser = _TextOnly()
    parser.feed(html)
    parser.close()
    return " ".join("".join(parser.parts).split())


@dataclass
class LinkReport:
    """What the renderer found while rewriting links of one document."""

    broken: list[str] = field(default_factory=list)


class _LessonTree(Treeprocessor):
    def __init__(
        self, md, resolve: Callable[[str], str | None], report: LinkReport, titles: dict[str, str]
    ):
        super().__init__(md)
        self.resolve = resolve
        self.report = report
        self.titles = {**BLOCKS, "table": "Table", **titles}

    def run(self, root: ET.Element) -> None:
        for a in root.iter("a"):
            href = a.get("href", "")
            if not href or href.startswith(("http://", "https://", "mailto:", "#")):
                continue
            if href.startswith("fnref") or a.get("class") in {"footnote-ref", "footnote-backref"}:
                continue
            url = self.resolve(href)
            if url is None:
                self.report.broken.append(href)
            else:
                a.set("href", url)
        for div in root.iter("div"):
            classes = (div.get("class") or "").split()
            if "admonition" not in classes:
                continue
            kind = next((c for c in classes if c in BLOCKS), None)
            title = div.find("p")
            if kind and title is not None and "admonition-title" in (title.get("class") or ""):
                if title.text and title.text.strip().casefold() == kind:
                    title.text = self.titles[kind]
                title.tag = "h3" if kind != "keypoints" else "h2"
            div.set("role", "note")
        for parent in list(root.iter()):
            for index, child in enumerate(list(parent)):
                if child.tag == "table":
                    wrap = ET.Element(
                        "div",
                        {
                            "class": "table-wrap",
                            "tabindex": "0",
                            "role": "region",
                            "aria-label": self.titles["table"],
                        },
                    )
                    parent.remove(child)
                    wrap.append(child)
                    parent.insert(index, wrap)


class _LessonExtension(Extension):
    def __init__(self, resolve, report, titles):
        super().__init__()
        self.resolve = resolve
        self.report = report
        self.titles = titles

    def extendMarkdown(self, md):  # noqa: N802 - the name comes from python-markdown
        tree = _LessonTree(md, self.resolve, self.report, self.titles)
        md.treeprocessors.register(tree, "lms_lesson", 1)


@dataclass(frozen=True)
class Rendered:
    html: str
    toc: tuple[tuple[str, str], ...]  #: (anchor id, heading text) of the ## sections
    broken_links: tuple[str, ...]
    #: every heading's anchor, in document order, before de-duplication (see ``render_lesson``)
    anchors: tuple[str, ...] = ()


class _Anchors:
    """The toc extension's ``slugify``: the n-th heading gets the n-th of ``given`` (a translation
    gets its original's anchors, so ``lesson#section`` links work in every language), or else the
    usual slug of its text; every anchor handed out is recorded."""

    def __init__(self, given: Sequence[str]):
        self.given = tuple(given)
        self.made: list[str] = []

    def __call__(self, text: str, separator: str) -> str:
        index = len(self.made)
        slug = self.given[index] if index < len(self.given) else toc_slugify(text, separator)
        self.made.append(slug)
        return slug


def render_lesson(
    body: str,
    resolve: Callable[[str], str | None],
    locale: str = "en",
    anchors: Sequence[str] = (),
) -> Rendered:
    """Render a lesson body; ``resolve(href)`` maps a relative link to a URL or ``None`` if broken.

    ``locale`` is the body's language (for the blocks' default titles); ``anchors`` are the heading
    ids to use in order (a translation passes its original's ``Rendered.anchors``)."""
    report = LinkReport()
    titles = LOCALIZED_TITLES.get(locale, {})
    slugs = _Anchors(anchors)
    md = markdown.Markdown(
        extensions=[*EXTENSIONS, _LessonExtension(resolve, report, titles)],
        extension_configs={
            "toc": {"toc_depth": "2-3", "slugify": slugs},
            "footnotes": {
                "BACKLINK_TEXT": "↩",
                "BACKLINK_TITLE": titles.get(
                    "footnote_back", "Jump back to footnote %d in the text"
                ),
            },
        },
        output_format="html",
    )
    html = md.convert(body)
    toc = tuple((t["id"], t["name"]) for t in md.toc_tokens if t["level"] == 2)
    if not toc:  # documents whose top level is ### still get a contents list
        toc = tuple((t["id"], t["name"]) for t in md.toc_tokens)
    return Rendered(html, toc, tuple(report.broken), tuple(slugs.made))


_INLINE_MD = markdown.Markdown(extensions=["tables", "attr_list"], output_format="html")


def render_fragment(text: str) -> str:
    """Markdown for short trusted fragments (quiz prompts and cases, course summaries)."""
    _INLINE_MD.reset()
    return _INLINE_MD.convert(text)


def lesson_link_resolver(source: Path, targets: dict[Path, str]) -> Callable[[str], str | None]:
    """Resolve ``other.md`` or ``../02-module/other.md#part`` against the lessons that exist."""

    def resolve(href: str) -> str | None:
        path, _, fragment = href.partition("#")
        if not path.endswith(".md") or PurePosixPath(path).is_absolute():
            return None
        target = (source.parent / path).resolve()
        url = targets.get(target)
        if url is None:
            return None
        return f"{url}#{fragment}" if fragment else url

    return resolve
