"""Urdu pages in Chromium at 360 pixels: the Nastaliq web font loads (and only on Urdu pages), lines
are tall enough for it, nothing leaves the screen, and arrows point the way the page reads.

The interface strings may still be English; the lesson, quiz and learners' names here are Urdu (a
copy of the test course with Urdu text), so Nastaliq is drawn. Screenshots of the lesson, the quiz,
its review and the progress matrix go to test-results/ (``urdu-*.png``) for a person to look at.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from tests.conftest import GOOD_CONTENT
from tests.e2e.test_every_page import OFF_SCREEN
from tests.factories import make_cohort, make_user

RESULTS = Path(__file__).resolve().parents[2] / "test-results"
PHONE = {"width": 360, "height": 740}

LESSON = """---
title: بچوں کے تحفظ میں خوش آمدید
minutes: 12
objectives:
  - یہ جاننا کہ بچہ اپنی بات بتائے تو پہلے کیا کرنا ہے
---

بچوں کے تحفظ کی ذمہ داری ہم سب کی ہے۔ جب کوئی بچہ آپ کو اپنی بات بتائے تو غور سے سنیں، اس پر یقین
کریں اور اسے بتائیں کہ اس نے بتا کر اچھا کیا۔ اپنے افسر کو اسی دن اطلاع دیں۔

## پہلا حصہ

[اگلا سبق](02-next-steps.md) اور [مشق](../02-practice/01-try-it.md#doing) پڑھیں۔

!!! case "کیس: آمنہ، 12 سال، لاہور"
    آمنہ اسکول کے بعد تھانے کے باہر کھڑی ہے اور ڈری ہوئی ہے۔ وہ کہتی ہے کہ اسے گھر نہیں جانا۔

    1. آپ سب سے پہلے کیا کریں گے؟

!!! activity "مشق"
    اپنے ساتھی کے ساتھ مل کر اس بات چیت کی مشق کریں۔

| جرم | سزا |
|---|---|
| معمولی جرم | 3 سال تک |
| سنگین جرم | 7 سال سے زیادہ |

## دوسرا حصہ

نابالغ ملزم کو ضمانت کا حق ہے۔[^1]

[^1]: جووینائل جسٹس سسٹم ایکٹ 2018، دفعہ 2۔

!!! keypoints
    - بچے کی بات سنیں، یقین کریں، اطلاع دیں۔
"""

QUIZ = """questions:
  - id: q-single
    type: single
    case: |
      آمنہ، 12 سال، آپ کو کچھ بتاتی ہے۔
    prompt: آپ سب سے پہلے کیا کریں گے؟
    choices:
      - text: غور سے سنیں
        correct: true
        feedback: درست۔
      - text: بات نظر انداز کریں
        correct: false
        feedback: نہیں۔
      - text: ڈانٹیں
        correct: false
        feedback: نہیں۔
  - id: q-multiple
    type: multiple
    prompt: کون سی علامات ہیں؟
    choices:
      - {text: چوٹ کے نشان, correct: true, feedback: جی ہاں۔}
      - {text: بھوک, correct: true, feedback: جی ہاں۔}
      - {text: مسکرانا, correct: false, feedback: نہیں۔}
  - id: q-tf
    type: true_false
    prompt: 18 سال سے کم عمر کا ہر فرد بچہ ہے۔
    answer: true
    feedback_true: درست۔
    feedback_false: نہیں، 18 سال سے کم۔
  - id: q-short
    type: short_answer
    prompt: ہیلپ لائن کا نمبر کیا ہے؟
    answers: ["1099"]
    feedback: نمبر 1099 ہے۔
  - id: q-match
    type: matching
    prompt: جوڑ ملائیں۔
    pairs:
      - {left: معمولی جرم, right: 3 سال تک}
      - {left: بڑا جرم, right: 3 سے 7 سال تک}
      - {left: سنگین جرم, right: 7 سال سے زیادہ}
    feedback: دفعہ 2 دیکھیں۔
"""


@pytest.fixture
def app_config(tmp_path) -> dict:
    content = tmp_path / "content"
    shutil.copytree(GOOD_CONTENT, content)
    for translation in content.rglob("*.ur.*"):
        translation.unlink()  # the originals below are Urdu themselves, with more to draw
    (content / "courses/demo/01-basics/01-welcome.md").write_text(LESSON, encoding="utf-8")
    (content / "quizzes/demo/01-basics.yaml").write_text(QUIZ, encoding="utf-8")
    return {"LMS_CONTENT_DIR": str(content)}


def _browser_page(browser: Browser, live_server: str, app, user, lang: str) -> Page:
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = f"{user.id}.{user.session_version}"
    client.get("/dashboard")
    context = browser.new_context(viewport=PHONE, locale="ur-PK")
    cookie = client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    context.add_cookies(
        [
            {"name": "session", "value": cookie.value, "url": live_server},
            {"name": "lms_lang", "value": lang, "url": live_server},
        ]
    )
    return context.new_page()


def _fonts_fetched(page: Page, url: str) -> list[str]:
    fetched: list[str] = []
    page.on("requestfinished", lambda r: fetched.append(r.url) if ".woff2" in r.url else None)
    page.goto(url)
    page.evaluate("document.fonts.ready.then(() => true)")
    page.wait_for_load_state("networkidle")
    return fetched


#: elements whose line box is less than 1.8 times their font size, among those with Urdu text
SHORT_LINES = r"""() => {
  const found = [];
  const text = "p, li, h1, h2, td, th, label, legend, dd, summary, .button";
  for (const el of document.querySelectorAll(text.split(", ").map(s => "main " + s).join(", "))) {
    if (!/[\u0600-\u06ff]/.test(el.textContent)) continue;
    const style = getComputedStyle(el), size = parseFloat(style.fontSize);
    const line = style.lineHeight === "normal" ? 0 : parseFloat(style.lineHeight);
    const what = `${el.tagName.toLowerCase()} ${line}/${size}: ${el.textContent.trim().slice(0, 30)}`;
    if (line < 1.8 * size) found.push(what);
  }
  return found;
}"""

NASTALIQ_LOADED = """() => [...document.fonts].filter(f => f.family.replace(/"/g, "") === "Urdu Nastaliq")
    .map(f => f.status)"""


def _check(page: Page, name: str) -> None:
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / f"urdu-{name}.png"), full_page=True)
    assert page.get_attribute("html", "dir") == "rtl"
    assert page.evaluate(NASTALIQ_LOADED) == ["loaded"], name
    assert page.evaluate(SHORT_LINES) == [], name
    assert page.evaluate(OFF_SCREEN) == [], name
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 1, f"{name}: {overflow}px wider than the screen"


def test_an_urdu_lesson_draws_nastaliq_and_an_english_one_fetches_no_font(
    app, live_server: str, browser: Browser
):
    learner = make_user(full_name="فاطمہ بی بی")
    make_cohort(make_user(role="instructor"), [learner])
    url = live_server + "/courses/demo/01-basics/welcome"
    english = _browser_page(browser, live_server, app, learner, "en")
    assert _fonts_fetched(english, url) == []
    english.context.close()
    page = _browser_page(browser, live_server, app, learner, "ur")
    fetched = _fonts_fetched(page, url)
    # once, from its fingerprinted address (none where the machine has Noto Nastaliq Urdu itself:
    # urdu.css tries local() first); _check then sees that it loaded
    assert len(fetched) <= 1
    assert all(re.search(r"/static/fonts/.+\.woff2\?v=\w+$", url) for url in fetched)
    _check(page, "lesson")
    # the next-lesson arrow points the way the page reads: to the left, where the next link sits
    pager = page.locator("nav.pager a[rel=next]").bounding_box()
    assert pager["x"] < 180
    crumbs = page.locator("nav.crumbs a")
    first, second = crumbs.nth(0).bounding_box(), crumbs.nth(1).bounding_box()
    assert first["x"] > second["x"], "breadcrumbs read from the right in Urdu"
    page.context.close()


def test_the_urdu_quiz_and_its_review(app, live_server: str, browser: Browser):
    learner = make_user(full_name="محمد عارف")
    make_cohort(make_user(role="instructor"), [learner])
    page = _browser_page(browser, live_server, app, learner, "ur")
    page.goto(live_server + "/courses/demo/01-basics/quiz")
    page.locator("form[action$='/quiz/start'] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/quiz/attempts/\d+"))
    page.evaluate("document.fonts.ready.then(() => true)")
    _check(page, "quiz")
    page.get_by_label("غور سے سنیں").check()
    page.locator("form.quiz button[value=submit]").click()
    page.wait_for_load_state("networkidle")
    page.evaluate("document.fonts.ready.then(() => true)")
    _check(page, "quiz-after-submit")
    page.context.close()


def test_the_progress_matrix_in_urdu(app, live_server: str, browser: Browser):
    instructor = make_user(role="instructor", full_name="استاد نعیم")
    learners = [
        make_user(full_name=name)
        for name in ("فاطمہ بی بی", "محمد عارف خان", "Ayesha Khan", "سب انسپکٹر غلام رسول")
    ]
    cohort = make_cohort(instructor, learners, name="لاہور پولیس، گروپ 1")
    page = _browser_page(browser, live_server, app, instructor, "ur")
    page.goto(f"{live_server}/teach/cohorts/{cohort.id}/matrix")
    page.evaluate("document.fonts.ready.then(() => true)")
    _check(page, "matrix")
    page.context.close()
