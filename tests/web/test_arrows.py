"""Arrows and chevrons point the way the page reads: in Urdu (right to left) "next" and "from A to
B" point left. Unicode mirrors the chevrons (› ‹) by the direction they are laid out in, so each sits
where the page's direction applies; an arrow it does not mirror (→) is translated (←) or flipped by
CSS (``[dir=rtl] .flip``)."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from lms.extensions import db
from lms.models.hours import WorkshopSession
from tests.conftest import soup
from tests.factories import enrol, make_cohort

ROOT = Path(__file__).resolve().parents[2]
ARROWS = re.compile(
    r"[\u2190-\u21ff\u27f0-\u27ff\u2900-\u297f\u2b00-\u2b2f\u25b6\u25c0\u25b8\u25c2]"
)


def choose(client, locale: str) -> None:
    assert client.post("/language", data={"lang": locale, "next": "/"}).status_code == 303


def test_no_template_or_stylesheet_has_an_arrow_unicode_leaves_unmirrored():
    """An arrow (→, ⇒, ▸...) in a template or stylesheet points the same way in both directions:
    each one found must be in a translation call (the Urdu catalogue reverses it) or flipped."""
    found = []
    for path in sorted(
        [*(ROOT / "templates").rglob("*.html"), *(ROOT / "static/css").glob("*.css")]
    ):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for char in ARROWS.findall(line):
                if not unicodedata.mirrored(char) and not re.search(r"_\(\"[^\"]*" + char, line):
                    found.append(f"{path.relative_to(ROOT)}:{number}: {char}")
    assert found == []


def test_the_workshop_change_log_points_from_the_old_mark_to_the_new_in_urdu(
    client, instructor, learner, login_as
):
    make_cohort(instructor, [learner])
    login_as(instructor)
    response = client.post("/teach/workshops/new", data={
        "module": "demo/01-basics", "held_on": "2026-03-05", "starts_at": "10:00", "minutes": "15",
        "place": "Quetta", "facilitator": "Inspector Rahim",
    })  # fmt: skip
    register = response.headers["Location"]
    client.post(f"{register}/learners", data={"emails": learner.email})
    client.post(f"{register}/marks", data={f"status-{learner.id}": "present"})
    client.post(f"{register}/marks", data={f"status-{learner.id}": "late",
                                           f"minutes-{learner.id}": "9"})  # fmt: skip
    assert db.session.query(WorkshopSession).count() == 1
    english = soup(client.get(register)).select_one("ul.changes li").get_text()
    assert "→" in english and "←" not in english
    choose(client, "ur")
    page = soup(client.get(register))
    assert page.html["dir"] == "rtl"
    urdu = page.select_one("ul.changes li").get_text()
    assert "←" in urdu and "→" not in urdu  # from the old mark (read first, on the right) leftwards


def test_the_lesson_pager_points_the_page_direction_whatever_the_titles(client, learner, login_as):
    """On an Urdu page "next" points left even when the next lesson's title is English: the title
    is isolated (<bdi>), the chevron laid out in the page's direction (Unicode mirrors it)."""
    enrol(learner, "demo")
    login_as(learner)
    choose(client, "ur")
    page = soup(client.get("/courses/demo/01-basics/welcome"))
    after = page.select_one("a[rel=next]")
    assert not after.has_attr("dir")  # the link takes the page's direction, and so does ›
    assert after.select_one("bdi").get_text() == "Next steps"
    assert after.get_text().endswith("›")
    before = soup(client.get("/courses/demo/01-basics/next-steps")).select_one("a[rel=prev]")
    assert not before.has_attr("dir") and before.get_text().startswith("‹")
    assert before.select_one("bdi").get_text() == "خوش آمدید"
