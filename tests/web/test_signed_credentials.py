"""Open Badges 3.0 credentials: signed VC-JWTs, published keys, the status list, the verify page.

Signatures are checked here on a path of their own: the published JWK set fetched through the test
client, and ES256 verified with ``cryptography`` directly, never with the signing code's objects.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import re
from datetime import datetime, timedelta
from pathlib import Path

import jsonschema
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, utils

from lms.certificates import ob3
from lms.certificates.keys import new_key_set
from lms.config import ConfigError
from lms.extensions import db
from lms.models.users import User
from lms.services import certificates, completion
from tests.conftest import GOOD_CONTENT, soup
from tests.factories import NOW, make_certificate
from tests.services.test_certificates import ISSUER

SCHEMA = (
    Path(__file__).parents[1]
    / "data"
    / "ob3"
    / "ob_v3p0_achievementcredential_schema.3.0.3.constraints.json"
)
#: RFC 3339 date-time with its zone (what the schema's "date-time" format means)
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")
BASE = "http://127.0.0.1:5000"  # LMS_PUBLIC_URL in the tests


def b64d(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def independently_verified(client, token: str) -> tuple[dict, dict]:
    """(header, payload) of ``token`` if an ES256 signature by a published key covers it."""
    jwks = client.get("/badges/jwks.json").get_json()
    head, body, signature = token.split(".")
    header = json.loads(b64d(head))
    assert header["alg"] == "ES256" and header["typ"] == "vc+jwt"
    (jwk,) = [k for k in jwks["keys"] if k["kid"] == header["kid"]]
    assert "d" not in jwk  # public keys only
    public = ec.EllipticCurvePublicNumbers(
        int.from_bytes(b64d(jwk["x"]), "big"), int.from_bytes(b64d(jwk["y"]), "big"), ec.SECP256R1()
    ).public_key()
    raw = b64d(signature)
    der = utils.encode_dss_signature(
        int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
    )
    public.verify(der, f"{head}.{body}".encode(), ec.ECDSA(hashes.SHA256()))
    return header, json.loads(b64d(body))


def download(client, certificate) -> str:
    response = client.get(f"/certificates/{certificate.id}.jwt")
    assert response.status_code == 200
    assert response.mimetype == "application/vc+jwt"
    assert f'filename="{certificate.serial}.jwt"' in response.headers["Content-Disposition"]
    return response.get_data(as_text=True)


def text_of(response) -> str:
    return " ".join(soup(response).select_one("main").get_text(" ", strip=True).split())


def check(client, token: str, **kwargs):
    return client.post("/verify/credential", data={"credential": token, **kwargs})


def verdict_of(response) -> str:
    return soup(response).select_one(".verdict").get_text(" ", strip=True)


@pytest.fixture
def owned(client, learner, login_as):
    certificate = make_certificate(learner)
    login_as(learner)
    return certificate


def test_the_credential_verifies_with_the_published_keys_alone(client, owned, learner):
    header, body = independently_verified(client, download(client, owned))
    assert header["kid"] == client.get("/badges/jwks.json").get_json()["keys"][-1]["kid"]
    assert body["@context"] == [ob3.VC_CONTEXT, ob3.OB_CONTEXT]
    assert body["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert body["issuer"]["id"] == BASE + "/badges/issuer-v3.json"
    assert body["validFrom"] == NOW.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert "validUntil" not in body  # this certificate has no expiry
    subject = body["credentialSubject"]
    hashed = next(i for i in subject["identifier"] if i["hashed"])
    assert hashed["identityType"] == "emailAddress"
    assert hashed["identityHash"] == certificates.recipient_hash(learner.email, hashed["salt"])
    assert learner.email not in json.dumps(body)
    achievement = subject["achievement"]
    assert achievement["creditsAvailable"] == 0.5 and subject["creditsEarned"] == 0.5
    assert "Module 1: Basics" in achievement["criteria"]["narrative"]
    assert subject["result"][0]["value"] == "0.5"
    assert subject["result"][0]["resultDescription"] == achievement["resultDescription"][0]["id"]
    status = body["credentialStatus"]
    assert status["type"] == "BitstringStatusListEntry" and status["statusPurpose"] == "revocation"
    assert status["statusListIndex"] == str(owned.status_index)
    assert status["statusListCredential"] == BASE + "/badges/status/1"


def test_the_readable_download_is_the_signed_payload(client, owned):
    _, signed = independently_verified(client, download(client, owned))
    response = client.get(f"/certificates/{owned.id}.credential.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert json.loads(response.get_data()) == signed


def test_my_certificates_offers_both_downloads(client, owned):
    links = {a["href"] for a in soup(client.get("/certificates")).select("a[download]")}
    assert {f"/certificates/{owned.id}.jwt", f"/certificates/{owned.id}.credential.json"} <= links


def test_another_learners_credential_is_not_found(client, owned, make_user):
    other = make_certificate(make_user())
    assert client.get(f"/certificates/{other.id}.jwt").status_code == 404
    assert client.get(f"/certificates/{other.id}.credential.json").status_code == 404


def schema_validator() -> jsonschema.Draft201909Validator:
    """The Open Badges 3.0.3 schema, with ``date-time`` checked for real (jsonschema checks that
    format only when an optional package is installed; RFC 3339 with a zone is what it asks)."""
    formats = jsonschema.FormatChecker()

    @formats.checks("date-time", raises=ValueError)
    def rfc3339(value) -> bool:
        if not isinstance(value, str):
            return True  # the schema's "type" says what else is wrong
        if not RFC3339.fullmatch(value):
            raise ValueError(f"{value!r} is not an RFC 3339 date-time")
        datetime.fromisoformat(value.replace("Z", "+00:00"))
        return True

    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft201909Validator.check_schema(schema)
    return jsonschema.Draft201909Validator(schema, format_checker=formats)


def schema_errors(body: dict) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in schema_validator().iter_errors(body)]  # fmt: skip


def every_kind_issued(catalog, learner, make_user) -> dict:
    """One certificate of each kind the platform issues: without an expiry, with one (the demo
    course is valid for 2 years), and a renewal (generation 2, valid from the old one's end)."""
    from tests.services.test_expiry import OPENS, issued, quiz_at

    forever = make_certificate(make_user())
    expiring = issued(catalog, learner)
    at = OPENS + timedelta(days=10)
    quiz_at(learner, "01-basics", at)
    quiz_at(learner, "02-practice", at)
    renewed = completion.after_progress(db.session, catalog, ISSUER, learner.id, "demo", now=at)
    db.session.commit()
    assert renewed is not None and renewed.renews_id == expiring.id
    return {"no expiry": forever, "expiry": expiring, "renewed": renewed}


def test_every_credential_issued_is_valid_against_the_open_badges_3_0_3_schema(
    app, client, learner, make_user, login_as
):
    kinds = every_kind_issued(app.extensions["lms.catalog"], learner, make_user)
    seen = {}
    for kind, certificate in kinds.items():
        login_as(db.session.get(User, certificate.user_id))
        _, body = independently_verified(client, download(client, certificate))
        assert schema_errors(body) == [], kind
        seen[kind] = body
    assert "validUntil" not in seen["no expiry"]
    assert seen["expiry"]["validUntil"] == "2028-03-02T09:00:00Z"
    renewed = seen["renewed"]
    assert renewed["validFrom"] == "2028-01-12T09:00:00Z"  # valid from the renewal on
    assert renewed["validUntil"] == "2030-03-02T09:00:00Z"  # renewing early loses no time
    assert renewed["id"] != seen["expiry"]["id"]


@pytest.mark.parametrize(
    "breakage",
    [
        lambda b: b["credentialSubject"]["achievement"].pop("criteria"),
        lambda b: b.pop("validFrom"),
        lambda b: b.update(validFrom="2 March 2026"),
        lambda b: b.update({"@context": [ob3.VC_CONTEXT]}),
        lambda b: b.update({"@context": ["https://www.w3.org/2018/credentials/v1", ob3.OB_CONTEXT]}),
        lambda b: b.update(type=["VerifiableCredential"]),
        lambda b: b["credentialSubject"]["identifier"][0].update(email="x@example.org"),
    ],
    ids=["no criteria", "no validFrom", "bad date", "one context", "VC 1.1", "no OB type",
         "extra identity field"],
)  # fmt: skip
def test_the_schema_is_not_a_rubber_stamp(client, owned, breakage):
    _, body = independently_verified(client, download(client, owned))
    assert schema_errors(body) == []
    breakage(body)
    assert schema_errors(body)


def test_an_expiry_becomes_valid_until(app):
    certificate = make_certificate_like(expires_at=NOW + timedelta(days=3 * 365))
    site = ob3.Site(BASE, "Issuer", "issuer@example.org")
    body = ob3.credential(certificate, site, BASE + "/verify/X", BASE + "/courses/demo")
    assert body["validUntil"] == (NOW + timedelta(days=3 * 365)).strftime("%Y-%m-%dT%H:%M:%SZ")


def make_certificate_like(**extra):
    from types import SimpleNamespace

    return SimpleNamespace(
        course_slug="demo", code="ABCDEFGHJKMNPQRS", serial="DEMO-2026-000001", minutes=90,
        modules=["Module 1: Basics"], certificate_title="Demo Certificate", course_title="Demo",
        name="Amina Khan", issuer_name="Issuer", issued_at=NOW, recipient_hash="sha256$00",
        recipient_salt="00", status_index=7, **extra,
    )  # fmt: skip


# --- the verify page -----------------------------------------------------------------------------
def test_a_genuine_credential_is_valid_on_the_verify_page(client, owned, learner):
    token = download(client, owned)
    client.post("/logout")
    response = check(client, token)
    assert response.status_code == 200
    assert verdict_of(response).startswith("Valid credential.")
    facts = text_of(response)
    assert learner.full_name in facts and "Demo Certificate of Completion" in facts
    assert learner.email not in response.get_data(as_text=True)


def test_an_uploaded_file_is_checked_too(client, owned):
    token = download(client, owned)
    response = client.post(
        "/verify/credential",
        data={"file": (io.BytesIO(token.encode()), "certificate.jwt")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert verdict_of(response).startswith("Valid credential.")


def _tampered(token: str, change) -> str:
    head, body, signature = token.split(".")
    payload = json.loads(b64d(body))
    change(payload)
    encoded = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
    return f"{head}.{encoded}.{signature}"


def test_a_tampered_credential_is_forged(client, owned):
    token = download(client, owned)

    def more_hours(payload):
        payload["credentialSubject"]["achievement"]["creditsAvailable"] = 40.0

    forged = _tampered(token, more_hours)
    with pytest.raises(InvalidSignature):
        independently_verified(client, forged)
    response = check(client, forged)
    assert response.status_code == 200
    assert verdict_of(response).startswith("This credential is forged")
    assert "40 hours" not in text_of(response)


def test_a_credential_signed_by_another_key_is_forged(app, client, owned):
    from lms.certificates.keys import KeyRing, new_key

    ring = KeyRing([new_key()])  # a key the site never published
    site = ob3.Site(BASE, "Issuer", "issuer@example.org")
    body = ob3.credential(owned, site, BASE + "/verify/x", BASE + "/courses/demo")
    response = check(client, ob3.sign(body, ring, site))
    assert verdict_of(response).startswith("This credential is forged")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Paste the signed credential"),
        ("hello world", "not a signed credential"),
        ("a.b", "not a signed credential"),
        ("!!!.???.***", "not a signed credential"),
        ("x" * (70 * 1024), "too long"),
        ("W10.e30.c2ln", "header cannot be read"),  # a header that is a list, not an object
    ],
    ids=["empty", "words", "two-parts", "symbols", "too-long", "list-header"],
)
def test_bad_input_is_a_clear_400(client, text, message):
    response = check(client, text)
    assert response.status_code == 400
    page = soup(response)
    error = page.select_one(".field.has-error .error")
    assert error is not None and message.lower() in error.get_text().lower()
    assert page.select_one("textarea#credential") is not None


def test_a_well_formed_jws_with_a_bad_payload_is_forged(client):
    header = base64.urlsafe_b64encode(b'{"alg":"ES256","kid":"x"}').decode().rstrip("=")
    response = check(client, f"{header}.bm90IGpzb24.c2ln")
    assert response.status_code == 200
    assert verdict_of(response).startswith("This credential is forged")


def test_a_binary_upload_is_a_clear_400(client):
    response = client.post(
        "/verify/credential",
        data={"file": (io.BytesIO(b"\x89PNG\r\n\x1a\n\xff\xfe"), "photo.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "not a signed credential" in text_of(response)


def test_an_expired_credential_is_expired_not_revoked_or_forged(app, client, owned):
    site = ob3.Site(BASE, app.config["LMS_ISSUER_NAME"], app.config["LMS_ISSUER_EMAIL"])
    body = ob3.credential(owned, site, BASE + "/verify/x", BASE + "/courses/demo")
    body["validUntil"] = "2026-03-02T00:00:00Z"  # long before the clock's now
    response = check(client, ob3.sign(body, app.extensions["lms.keys"], site))
    assert verdict_of(response).startswith("This credential has expired.")
    assert "02 March 2026" in text_of(response)


# --- the status list -----------------------------------------------------------------------------
def status_bits(client) -> bytes:
    response = client.get("/badges/status/1")
    assert response.status_code == 200 and response.mimetype == "application/vc+jwt"
    _, body = independently_verified(client, response.get_data(as_text=True))
    assert body["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    subject = body["credentialSubject"]
    assert subject["type"] == "BitstringStatusList" and subject["statusPurpose"] == "revocation"
    encoded = subject["encodedList"]
    assert encoded.startswith("u")
    return gzip.decompress(b64d(encoded[1:]))


def bit(bits: bytes, index: int) -> bool:
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def test_revoking_sets_the_bit_and_restoring_clears_it(client, owned, admin, learner):
    token = download(client, owned)
    other = make_certificate(learner, course_slug="other")
    bits = status_bits(client)
    assert len(bits) * 8 >= 131_072  # at least 16 KB, as the spec asks
    assert not bit(bits, owned.status_index) and not any(bits)

    certificates.revoke(db.session, owned, "Issued by mistake.", by=admin.id, now=NOW)
    db.session.commit()
    bits = status_bits(client)
    assert bit(bits, owned.status_index) and not bit(bits, other.status_index)
    assert verdict_of(check(client, token)).startswith("This credential was revoked.")

    certificates.restore(db.session, owned, by=admin.id, now=NOW)
    db.session.commit()
    assert not any(status_bits(client))
    assert verdict_of(check(client, token)).startswith("Valid credential.")


def test_status_lists_beyond_those_in_use_are_not_found(client):
    assert client.get("/badges/status/2").status_code == 404
    assert client.get("/badges/status/0").status_code == 404


def test_status_indexes_are_unique_and_given_at_issue(app, learner, make_user):
    first = make_certificate(learner)
    second = make_certificate(make_user())
    assert first.status_index != second.status_index


# --- keys ----------------------------------------------------------------------------------------
@pytest.fixture
def app_config(tmp_path):
    return {"LMS_SIGNING_KEY_FILE": str(tmp_path / "keys.json"), "LMS_SIGNING_KEY_CREATE": True}


def test_old_credentials_still_verify_after_rotation(app, client, owned, learner):
    from lms.cli import lms_cli
    from lms.models.cohorts import AuditEvent

    before = download(client, owned)
    old_kid = independently_verified(client, before)[0]["kid"]
    result = app.test_cli_runner().invoke(lms_cli, ["keys", "rotate"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    stored = json.loads(Path(app.config["LMS_SIGNING_KEY_FILE"]).read_text())
    assert [("d" in k) for k in stored["keys"]] == [False, True]  # old private part is gone

    published = client.get("/badges/jwks.json").get_json()["keys"]
    assert len(published) == 2 and old_kid in {k["kid"] for k in published}
    after = download(client, owned)
    assert independently_verified(client, after)[0]["kid"] != old_kid
    independently_verified(client, before)
    assert verdict_of(check(client, before)).startswith("Valid credential.")
    assert verdict_of(check(client, after)).startswith("Valid credential.")
    assert client.get(old_kid.removeprefix(BASE)).get_json()["x"]
    event = db.session.query(AuditEvent).filter_by(action="signing key rotated").one()
    assert event.target.startswith("signing-key:")


def test_the_issuer_profile_links_the_published_keys(client):
    response = client.get("/badges/issuer-v3.json")
    profile = response.get_json()
    assert profile["type"] == ["Profile"] and profile["id"] == BASE + "/badges/issuer-v3.json"
    assert profile["jwks_uri"] == BASE + "/badges/jwks.json"
    assert 'rel="jwks"' in response.headers["Link"]
    assert client.get("/badges/keys/not-a-key.json").status_code == 404


def test_production_refuses_to_start_without_a_signing_key(monkeypatch, db_url):
    from lms import create_app

    for name in ("LMS_SIGNING_KEY", "LMS_SIGNING_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LMS_ENV", "production")
    monkeypatch.setenv("LMS_SECRET_KEY", "k7Qm2Dx9H4tRpV3aZ8wLs5Nc1Bf6Yj0Ue")
    monkeypatch.setenv("LMS_DATABASE_URL", db_url)
    monkeypatch.setenv("LMS_CONTENT_DIR", str(GOOD_CONTENT))
    with pytest.raises(ConfigError, match="signing key"):
        create_app()
    monkeypatch.setenv("LMS_SIGNING_KEY_FILE", "/nonexistent/keys.json")
    with pytest.raises(ConfigError, match="does not exist"):
        create_app()
    monkeypatch.delenv("LMS_SIGNING_KEY_FILE")
    monkeypatch.setenv("LMS_SIGNING_KEY", new_key_set())
    assert create_app().extensions["lms.keys"].path is None


def test_the_contexts_are_pinned_copies():
    v2 = ob3.CONTEXT_FILES[ob3.VC_CONTEXT].read_bytes()
    digest = base64.b64encode(hashlib.sha384(v2).digest()).decode()
    assert digest == "l/HrjlBCNWyAX91hr6LFV2Y3heB5Tcr6IeE4/Tje8YyzYBM8IhqjHWiWpr8+ZbYU"
    # 1EdTech/openbadges-specification ob_v3p0/context-3.0.3.json at 60896ea (14,427 characters;
    # see lms/certificates/contexts/README.md)
    pinned = ob3.CONTEXT_FILES[ob3.OB_CONTEXT].read_bytes()
    assert len(pinned) == 14_427
    assert hashlib.sha256(pinned).hexdigest() == (
        "01d87cc8b5357af557bfb09428f603c4691c49ef8a6089945a70bda1b96b1db2"
    )
    ob = ob3.load_context(ob3.OB_CONTEXT)["@context"]
    assert {"awardedDate", "jti", "inLanguage"} <= ob.keys()  # the 3.0.3 additions
    assert {"OpenBadgeCredential", "Achievement", "AchievementSubject"} <= ob.keys()
    assert "BitstringStatusListEntry" in ob3.load_context(ob3.VC_CONTEXT)["@context"]
    with pytest.raises(LookupError):
        ob3.load_context("https://example.org/other")


@pytest.mark.parametrize("tail", ["²", "٣", "0", "-1", "99999999999999999999999", "1x", ""])
def test_a_status_list_address_that_is_not_ours_is_never_looked_up(app, tail):
    """The verifier reads a credential's status list only from this site's own numbered lists;
    any other number (non-ASCII digits, out of range) is refused, never a 500."""
    from lms.web import verify

    with app.test_request_context("/verify/credential"):
        prefix = verify.site().status_list_url(0)[:-1]
        assert verify._our_status_list(prefix + tail) is None
        assert verify._our_status_list(prefix + "1") is not None
