"""Open Badges 3.0 credentials (W3C Verifiable Credentials 2.0) of a certificate row, as VC-JWTs.

A certificate becomes an ``OpenBadgeCredential`` signed with the platform's key (JOSE, ES256; the
JWT payload is the credential itself, as in VC-JOSE-COSE, header ``typ: vc+jwt``). Revocation is a
Bitstring Status List credential, signed the same way. The JSON-LD contexts the credentials name are
pinned in ``contexts/`` and never fetched: verification here works on the JWT and the published
keys alone.

Plain functions on plain values: no database, no request. The web layer passes the site's
addresses. The credential's texts are in the translation catalogue, but a credential is always
issued in English (``force_locale("en")``): its bytes, and so its signature, never depend on the
language of whoever downloads it. (Open Badges 3.0's JSON schema wants each ``name`` and
``description`` to be one string, so a second language cannot ride along as a JSON-LD language map.)
"""

from __future__ import annotations

import base64
import gzip
import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from flask_babel import force_locale
from flask_babel import gettext as _
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from lms.certificates.keys import ALGORITHM, KeyRing

CONTEXTS = Path(__file__).with_name("contexts")
VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
#: the pinned copies, by the URL a credential names them with
CONTEXT_FILES = {
    VC_CONTEXT: CONTEXTS / "credentials-v2.jsonld",
    OB_CONTEXT: CONTEXTS / "ob-v3p0-context-3.0.3.json",
}
OB_SCHEMA = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
)
MEDIA_TYPE = "application/vc+jwt"
#: bits per status list: 131,072 bits = 16 KB, the minimum the Bitstring Status List spec asks for
#: so that one revoked certificate cannot be told apart from the others by the list's size
STATUS_LIST_BITS = 131_072
#: the largest credential the verify page accepts (ours are about 3 KB)
MAX_CREDENTIAL_BYTES = 64 * 1024
_NAMESPACE = uuid.UUID("6f1c2f5e-94c1-4d8e-9a63-2d4f3b7e0c11")  #: for stable urn:uuid ids


def load_context(url: str) -> dict:
    """A pinned JSON-LD context by its URL (a document loader that never goes to the network)."""
    path = CONTEXT_FILES.get(url)
    if path is None:
        raise LookupError(f"{url} is not a pinned context.")
    return json.loads(path.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Site:
    """Where the issuer publishes its documents (absolute URLs, from ``LMS_PUBLIC_URL``)."""

    base: str  #: e.g. https://learn.example.org
    issuer_name: str
    issuer_email: str

    @property
    def issuer_id(self) -> str:
        return self.base + "/badges/issuer-v3.json"

    @property
    def jwks_url(self) -> str:
        return self.base + "/badges/jwks.json"

    def key_url(self, kid: str) -> str:
        return f"{self.base}/badges/keys/{kid}.json"

    def status_list_url(self, number: int) -> str:
        return f"{self.base}/badges/status/{number}"

    def kid_of(self, header_kid: str) -> str | None:
        """The thumbprint a JWT header's ``kid`` names, if it is one of this site's key URLs."""
        prefix, suffix = self.base + "/badges/keys/", ".json"
        if (
            isinstance(header_kid, str)
            and header_kid.startswith(prefix)
            and header_kid.endswith(suffix)
        ):
            return header_kid[len(prefix) : -len(suffix)]
        return None


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def status_list_number(index: int) -> int:
    return index // STATUS_LIST_BITS + 1


def issuer_profile(site: Site) -> dict:
    return {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": site.issuer_id,
        "type": ["Profile"],
        "name": site.issuer_name,
        "url": site.base + "/",
        "email": site.issuer_email,
    }


def credential(certificate, site: Site, verify_url: str, course_url: str) -> dict:
    """The certificate's snapshot as an unsigned ``OpenBadgeCredential``, in English."""
    with force_locale("en"):
        return _credential(certificate, site, verify_url, course_url)


def _credential(certificate, site: Site, verify_url: str, course_url: str) -> dict:
    hours = certificate.minutes / 60
    achievement_id = "urn:uuid:" + str(
        uuid.uuid5(_NAMESPACE, "achievement:" + certificate.course_slug)
    )
    hours_result = achievement_id + "#hours"
    modules = list(certificate.modules)
    subject = {
        "type": ["AchievementSubject"],
        "identifier": [
            {
                "type": "IdentityObject",
                "hashed": True,
                "identityHash": certificate.recipient_hash,
                "identityType": "emailAddress",
                "salt": certificate.recipient_salt,
            },
            {
                "type": "IdentityObject",
                "hashed": False,
                "identityHash": certificate.name,
                "identityType": "name",
            },
        ],
        "achievement": {
            "id": achievement_id,
            "type": ["Achievement"],
            "achievementType": "Certificate",
            "name": certificate.certificate_title,
            "description": _(
                "Completion of %(course)s: %(hours)s hours of credited training in %(modules)d "
                "modules, with every module quiz passed.",
                course=certificate.course_title,
                hours=f"{hours:g}",
                modules=len(modules),
            ),
            "criteria": {
                "id": course_url,
                "narrative": _(
                    "Complete all %(count)d modules of %(course)s (%(hours)s hours of credited "
                    "training) and pass every module quiz: %(modules)s.",
                    count=len(modules),
                    course=certificate.course_title,
                    hours=f"{hours:g}",
                    modules="; ".join(modules),
                ),
            },
            "creditsAvailable": hours,
            "resultDescription": [
                {
                    "id": hours_result,
                    "type": ["ResultDescription"],
                    "name": _("Credited training hours"),
                    "resultType": "ext:TrainingHours",
                }
            ],
        },
        "creditsEarned": hours,
        "result": [
            {
                "type": ["Result"],
                "resultDescription": hours_result,
                "value": f"{hours:g}",
                "status": "Completed",
            }
        ],
    }
    body = {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": "urn:uuid:" + str(uuid.uuid5(_NAMESPACE, "certificate:" + certificate.code)),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": certificate.certificate_title,
        "description": _(
            "Serial %(serial)s. Verify at %(url)s", serial=certificate.serial, url=verify_url
        ),
        "issuer": {
            "id": site.issuer_id,
            "type": ["Profile"],
            "name": certificate.issuer_name,
            "url": site.base + "/",
        },
        "validFrom": _iso(certificate.issued_at),
        "credentialSubject": subject,
        "credentialStatus": {
            "id": f"{site.status_list_url(status_list_number(certificate.status_index))}"
            f"#{certificate.status_index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": str(certificate.status_index),
            "statusListCredential": site.status_list_url(
                status_list_number(certificate.status_index)
            ),
        },
        "credentialSchema": [{"id": OB_SCHEMA, "type": "1EdTechJsonSchemaValidator2019"}],
        "evidence": [{"id": verify_url, "type": ["Evidence"], "name": _("Verification page")}],
    }
    expires_at = getattr(certificate, "expires_at", None)
    if expires_at is not None:
        body["validUntil"] = _iso(expires_at)
    return body


def encode_bits(indexes: Iterable[int], size: int = STATUS_LIST_BITS) -> str:
    """A bitstring with ``indexes`` set (bit 0 is the most significant bit of the first byte),
    GZIP-compressed and multibase base64url-encoded (``u`` prefix, no padding)."""
    bits = bytearray(size // 8)
    for index in indexes:
        bits[index // 8] |= 0x80 >> (index % 8)
    packed = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(packed).decode().rstrip("=")


def decode_bits(encoded: str) -> bytes:
    if not isinstance(encoded, str) or not encoded.startswith("u"):
        raise ValueError("encodedList is not multibase base64url.")
    raw = encoded[1:] + "=" * (-len(encoded[1:]) % 4)
    return gzip.decompress(base64.urlsafe_b64decode(raw))


def bit_is_set(bits: bytes, index: int) -> bool:
    return index // 8 < len(bits) and bool(bits[index // 8] & (0x80 >> (index % 8)))


def status_list_credential(number: int, revoked: Iterable[int], site: Site, now: datetime) -> dict:
    """The revocation list ``number``: the bits of the revoked certificates' status indexes."""
    first = (number - 1) * STATUS_LIST_BITS
    url = site.status_list_url(number)
    return {
        "@context": [VC_CONTEXT],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": site.issuer_id,
        "validFrom": _iso(now),
        "credentialSubject": {
            "id": url + "#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encode_bits(i - first for i in revoked),
        },
    }


def sign(payload: dict, keys: KeyRing, site: Site) -> str:
    """A compact JWS (VC-JWT) of ``payload``, signed with the current key."""
    header = {
        "alg": ALGORITHM,
        "typ": "vc+jwt",
        "cty": "vc",
        "kid": site.key_url(keys.signing_kid()),
    }
    return jwt.encode(header, payload, keys.signing_key)


# --- verification -------------------------------------------------------------------------------
class NotACredential(ValueError):
    """The text is not a compact JWS at all (a clear 400, not a verdict)."""


VALID, EXPIRED, REVOKED, FORGED, NOT_YET_VALID = (
    "valid",
    "expired",
    "revoked",
    "forged",
    "not yet valid",
)


@dataclass(frozen=True)
class Verdict:
    status: str  #: one of VALID, EXPIRED, REVOKED, FORGED, NOT_YET_VALID
    reason: str = ""  #: for FORGED: what failed (for the page and the logs)
    credential: dict = field(default_factory=dict)  #: the verified payload (empty when forged)

    @property
    def valid(self) -> bool:
        return self.status == VALID


def display_date(text) -> str | None:
    """``2026-03-01T10:00:00Z`` as printed on the certificate (``01 March 2026``), or None."""
    try:
        return _parse_time(text).strftime("%d %B %Y")
    except ValueError:
        return None


def _parse_time(text) -> datetime:
    if not isinstance(text, str):
        raise ValueError("not a date")
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("a date without a time zone")
    return moment


def _decode(token: str, public_keys: list[dict], site: Site) -> dict:
    """Check the signature against the published keys; the payload, or JoseError/ValueError."""
    header = json.loads(_b64(token.split(".")[0]))
    kid = site.kid_of(header.get("kid"))
    if header.get("alg") != ALGORITHM or kid is None:
        raise ValueError("it was not signed with one of this issuer's keys")
    matching = [k for k in public_keys if k.get("kid") == kid]
    if not matching:
        raise ValueError("it names a key this issuer never published")
    keyset = KeySet.import_key_set({"keys": [{**k, "kid": header["kid"]} for k in matching]})
    return jwt.decode(token, keyset, algorithms=[ALGORITHM]).claims


def _b64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def normalise_token(text: str) -> str:
    """The compact JWS in pasted or uploaded text, or ``NotACredential``."""
    token = "".join((text or "").split())
    parts = token.split(".")
    if not token:
        raise NotACredential(
            "Paste the signed credential (the text of the .jwt file) or choose the file."
        )
    if len(token) > MAX_CREDENTIAL_BYTES:
        raise NotACredential("That is too long to be one of our credentials.")
    alphabet = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    if len(parts) != 3 or not all(parts) or not set(token) - {"."} <= alphabet:
        raise NotACredential(
            "That is not a signed credential: it should be three blocks of letters and digits "
            "joined by dots (the .jwt file, not the .json one)."
        )
    try:
        header = json.loads(_b64(parts[0]))
    except ValueError:
        header = None
    if not isinstance(header, dict):
        raise NotACredential("That is not a signed credential: its header cannot be read.")
    return token


def verify(
    text: str,
    public_keys: list[dict],
    site: Site,
    now: datetime,
    status_list: Callable[[str], str | None],
) -> Verdict:
    """Verify a pasted VC-JWT: signature (published keys only), issuer, dates, status list.

    ``status_list(url)`` returns the signed status list credential at ``url`` (a VC-JWT) or None;
    it is verified like the credential. Raises ``NotACredential`` for text that is no JWS at all.
    """
    token = normalise_token(text)
    try:
        body = _decode(token, public_keys, site)
    except (JoseError, ValueError):
        return Verdict(FORGED, "Its signature does not match any key this issuer published.")
    if not isinstance(body, dict) or "OpenBadgeCredential" not in (body.get("type") or []):
        return Verdict(FORGED, "It is not an Open Badges credential.")
    issuer = body.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    if issuer_id != site.issuer_id:
        return Verdict(FORGED, "It names another issuer.")
    try:
        valid_from = _parse_time(body.get("validFrom"))
        valid_until = _parse_time(body["validUntil"]) if "validUntil" in body else None
    except ValueError:
        return Verdict(FORGED, "Its dates cannot be read.")
    status = body.get("credentialStatus") or {}
    try:
        index = int(status["statusListIndex"])
        list_url = status["statusListCredential"]
        listed = status_list(list_url)
        if listed is None:
            return Verdict(FORGED, "Its status list is not one this issuer publishes.")
        status_body = _decode(listed, public_keys, site)
        if status_body.get("issuer") != site.issuer_id or status_body.get("id") != list_url:
            return Verdict(FORGED, "Its status list is not one this issuer publishes.")
        bits = decode_bits(status_body["credentialSubject"]["encodedList"])
        first = (status_list_number(index) - 1) * STATUS_LIST_BITS
        revoked = bit_is_set(bits, index - first)
    except (AttributeError, KeyError, TypeError, ValueError, OSError, JoseError):
        return Verdict(FORGED, "Its revocation status cannot be checked.")
    if revoked:
        return Verdict(REVOKED, credential=body)
    if valid_until is not None and now >= valid_until:
        return Verdict(EXPIRED, credential=body)
    if now < valid_from:
        return Verdict(NOT_YET_VALID, credential=body)
    return Verdict(VALID, credential=body)
