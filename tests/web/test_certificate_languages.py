"""The certificate's PDF in English, Urdu or both (``?lang=``, by default the page's language), the
links that offer the three, and Open Badges documents that stay English whoever asks."""

from __future__ import annotations

import io
import json

import pypdf
import pytest

from lms.certificates import codes
from lms.extensions import db
from lms.models.users import User
from tests.catalogues import app_config, urdu_translations  # noqa: F401 - fixtures
from tests.conftest import soup
from tests.factories import make_certificate
from tests.pdftext import missing_urdu
from tests.web.test_signed_credentials import independently_verified, schema_errors

#: ?lang= -> (the file's name after the serial, Content-Language, the PDF's /Lang)
VERSIONS = {"en": ("", "en", "en"), "ur": ("-ur", "ur", "ur"), "both": ("-en-ur", "en, ur", "en")}


@pytest.fixture
def owned(learner, login_as):
    learner.full_name = "آمنہ خان"
    db.session.commit()
    certificate = make_certificate(learner)
    login_as(learner)
    return certificate


def speaks(user, locale: str) -> None:
    db.session.get(User, user.id).locale = locale
    db.session.commit()


def pdf_text(response) -> str:
    return pypdf.PdfReader(io.BytesIO(response.get_data())).pages[0].extract_text()


@pytest.mark.parametrize("lang", VERSIONS)
def test_each_version_downloads_with_its_name_and_language(client, owned, lang):
    response = client.get(f"/certificates/{owned.id}.pdf", query_string={"lang": lang})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    suffix, content_language, pdf_lang = VERSIONS[lang]
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="{owned.serial}{suffix}.pdf"'
    )
    assert response.headers["Content-Language"] == content_language
    reader = pypdf.PdfReader(io.BytesIO(response.get_data()))
    assert reader.trailer["/Root"]["/Lang"] == pdf_lang
    text = " ".join(reader.pages[0].extract_text().split())
    assert ("This certifies that" in text) == (lang != "ur")
    assert (missing_urdu(text, "تصدیق کی جاتی ہے کہ") == "") == (lang != "en")
    assert owned.serial in text


def test_the_urdu_side_prints_the_course_title_from_its_content(client, owned):
    text = pdf_text(client.get(f"/certificates/{owned.id}.pdf?lang=ur"))
    assert missing_urdu(text, "ڈیمو کورس") == ""  # course.yaml translations.ur.title
    assert "Demo Course" not in text


def test_without_lang_the_pdf_is_in_the_pages_language(client, owned, learner):
    response = client.get(f"/certificates/{owned.id}.pdf")
    assert response.headers["Content-Language"] == "en"
    speaks(learner, "ur")
    response = client.get(f"/certificates/{owned.id}.pdf")
    assert response.headers["Content-Language"] == "ur"
    assert f'filename="{owned.serial}-ur.pdf"' in response.headers["Content-Disposition"]


@pytest.mark.parametrize(
    "query",
    ["lang=fr", "lang=UR", "lang=", "lang=ur%00", "lang=en,ur", "lang=ur&lang=en", "lang=%ff"],
)
def test_a_bad_language_is_a_clear_400(client, owned, query):
    response = client.get(f"/certificates/{owned.id}.pdf?{query}")
    assert response.status_code == 400
    assert "lang=both (English and Urdu on one page)" in soup(response).get_text()


def test_the_400_is_in_the_pages_language(client, owned, learner):
    speaks(learner, "ur")
    response = client.get(f"/certificates/{owned.id}.pdf?lang=fr")
    assert response.status_code == 400
    assert "سرٹیفکیٹ کی زبان منتخب کریں" in soup(response).get_text()


def downloads(page) -> list[tuple[str, str | None, str | None, str]]:
    return [
        (a["href"], a.get("hreflang"), a.get("lang"), a.get_text(strip=True))
        for a in page.select("a[type='application/pdf']")
    ]


@pytest.mark.parametrize(
    ("locale", "both"), [("en", "English and Urdu"), ("ur", "انگریزی اور اردو")]
)
def test_my_certificates_offers_the_three_versions(client, owned, learner, locale, both):
    speaks(learner, locale)
    base = f"/certificates/{owned.id}.pdf?lang="
    assert downloads(soup(client.get("/certificates"))) == [
        (base + "en", "en", "en", "English"),
        (base + "ur", "ur", "ur", "اردو"),
        (base + "both", None, None, both),
    ]


def test_the_admin_certificate_page_offers_them_too(client, admin, login_as, learner):
    certificate = make_certificate(learner)
    login_as(admin)
    page = soup(client.get(f"/admin/certificates/{certificate.id}"))
    assert [href for href, *_ in downloads(page)] == [
        f"/certificates/{certificate.id}.pdf?lang={lang}" for lang in ("en", "ur", "both")
    ]
    for href, *_ in downloads(page):
        assert client.get(href).status_code == 200


# --- Open Badges: English whoever asks ----------------------------------------------------------
def test_the_credential_is_the_same_in_an_urdu_session(client, owned, learner):
    english = client.get(f"/certificates/{owned.id}.credential.json").get_data()
    speaks(learner, "ur")
    assert client.get(f"/certificates/{owned.id}.credential.json").get_data() == english
    _, signed = independently_verified(client, client.get(f"/certificates/{owned.id}.jwt").text)
    assert signed == json.loads(english)
    achievement = signed["credentialSubject"]["achievement"]
    assert achievement["description"].startswith("Completion of Demo Course: 0.5 hours")
    assert achievement["criteria"]["narrative"].startswith("Complete all 2 modules of Demo Course")
    assert signed["description"].startswith(f"Serial {owned.serial}. Verify at ")


def test_the_hosted_assertion_and_badge_are_english_whoever_asks(client, owned):
    grouped = codes.grouped(owned.code)
    asked = {
        locale: (client.get(f"/verify/{grouped}.json", headers={"Accept-Language": locale}),
                 client.get("/badges/demo.json", headers={"Accept-Language": locale}))
        for locale in ("en", "ur")
    }  # fmt: skip
    client.get("/logout")
    assert [r.get_data() for r in asked["ur"]] == [r.get_data() for r in asked["en"]]
    assertion, badge = (r.get_json() for r in asked["ur"])
    assert assertion["narrative"] == (
        f"آمنہ خان completed 0.5 hours of training and passed every module quiz of Demo Course. "
        f"Serial {owned.serial}."
    )
    assert badge["criteria"]["narrative"].startswith("Complete all 2 modules of Demo Course")


def test_a_language_map_would_break_the_open_badges_schema(client, owned):
    """Why the credential carries no Urdu: OB 3.0's schema wants ``name`` to be one string."""
    _, body = independently_verified(client, client.get(f"/certificates/{owned.id}.jwt").text)
    assert schema_errors(body) == []
    body["credentialSubject"]["achievement"]["name"] = [
        {"@value": "Demo Certificate of Completion", "@language": "en"},
        {"@value": "سندِ تکمیل", "@language": "ur"},
    ]
    assert schema_errors(body)
