"""Public verification of certificates, and the Open Badges 2.0 documents (hosted verification).

Shows what the certificate itself shows (name, course, hours, modules, date, issuer) and nothing
else: no e-mail, no organisation, no account data. Rate-limited.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from lms.certificates import codes
from lms.extensions import db, limiter
from lms.services import certificates, clock
from lms.web.guard import public
from lms.web.links import public_url

bp = Blueprint("verify", __name__)
OB_CONTEXT = "https://w3id.org/openbadges/v2"


def _limit() -> str:
    return current_app.config["LMS_VERIFY_LIMIT"]


@bp.route("/verify")
@public
@limiter.limit(_limit)
def form():
    typed = request.args.get("code", "").strip()
    if typed:
        code = codes.normalise(typed)
        if code is None:
            message = (
                "That is not a valid code. Check it and try again: it has 16 letters and digits."
            )
            return render_template("verify/form.html", typed=typed, error=message), 400
        return redirect(url_for("verify.certificate", code=codes.grouped(code)))
    return render_template("verify/form.html", typed="", error=None)


@bp.route("/verify/<code:code>")
@public
@limiter.limit(_limit)
def certificate(code: str):
    found = certificates.by_code(db.session, code)
    if found is None:
        return render_template("verify/result.html", certificate=None, typed=code), 404
    return render_template(
        "verify/result.html",
        certificate=found,
        status=certificates.status(found, clock.now()),
        renewed_by=certificates.renewed_by(db.session, found),
        grouped=codes.grouped(found.code),
    )


def assertion(found) -> dict:
    grouped = codes.grouped(found.code)
    body = {
        "@context": OB_CONTEXT,
        "type": "Assertion",
        "id": public_url(f"/verify/{grouped}.json"),
        "recipient": {
            "type": "email",
            "hashed": True,
            "salt": found.recipient_salt,
            "identity": found.recipient_hash,
        },
        "badge": public_url(f"/badges/{found.course_slug}.json"),
        "verification": {"type": "hosted"},
        "issuedOn": found.issued_at.isoformat(),
        "evidence": public_url(f"/verify/{grouped}"),
        "narrative": (
            f"{found.name} completed {found.minutes / 60:g} hours of training and passed every "
            f"module quiz of {found.course_title}. Serial {found.serial}."
        ),
    }
    if found.expires_at is not None:
        body["expires"] = found.expires_at.isoformat()
    if found.revoked:
        body["revoked"] = True
        body["revocationReason"] = found.revoked_reason
    return body


@bp.route("/verify/<code:code>.json")
@public
@limiter.limit(_limit)
def certificate_json(code: str):
    found = certificates.by_code(db.session, code)
    if found is None:
        return jsonify(error="There is no certificate with this code."), 404
    # Open Badges: a revoked hosted assertion answers 410 Gone with revoked: true; an expired one
    # stays 200 and says so with its ``expires`` date (verifiers report it as expired)
    revoked = certificates.status(found, clock.now()) == certificates.REVOKED
    return jsonify(assertion(found)), (410 if revoked else 200)


@bp.route("/badges/issuer.json")
@public
def issuer():
    config = current_app.config
    return jsonify(
        {
            "@context": OB_CONTEXT,
            "type": "Issuer",
            "id": public_url("/badges/issuer.json"),
            "name": config["LMS_ISSUER_NAME"],
            "url": public_url("/"),
            "email": config["LMS_ISSUER_EMAIL"],
        }
    )


def _course_or_404(course_slug: str):
    course = current_app.extensions["lms.catalog"].course(course_slug)
    if course is None:
        abort(404)
    return course


@bp.route("/badges/<slug:course_slug>.json")
@public
def badge_class(course_slug: str):
    course = _course_or_404(course_slug)
    return jsonify(
        {
            "@context": OB_CONTEXT,
            "type": "BadgeClass",
            "id": public_url(f"/badges/{course.slug}.json"),
            "name": course.certificate_title,
            "description": course.summary_text,
            "image": public_url(f"/badges/{course.slug}.svg"),
            "criteria": {
                "id": public_url(f"/courses/{course.slug}"),
                "narrative": (
                    f"Complete all {len(course.modules)} modules of {course.title} "
                    f"({course.required_minutes / 60:g} hours of credited training) and pass "
                    "every module quiz."
                ),
            },
            "issuer": public_url("/badges/issuer.json"),
        }
    )


@bp.route("/badges/<slug:course_slug>.svg")
@public
def badge_image(course_slug: str):
    course = _course_or_404(course_slug)
    svg = render_template("verify/badge.svg", course=course)
    response = Response(svg, mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response
