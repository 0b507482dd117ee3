"""Settings, read from ``LMS_*`` environment variables with safe development defaults.

``load_settings(environ, instance_path)`` returns a plain dict that ``create_app`` applies; a mapping
passed to ``create_app(config=...)`` overrides it key by key. ``validate(config)`` runs last and refuses
to start on settings that would be unsafe or broken.
"""

from __future__ import annotations

import math
import os
import secrets
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

from lms.database import RECYCLE_SECONDS

#: The repository root: courses/, quizzes/, templates/ and static/ live here.
ROOT = Path(__file__).resolve().parent.parent

ENVIRONMENTS = ("development", "production", "testing")


class ConfigError(RuntimeError):
    """A setting is missing or invalid; the message says which and how to fix it."""


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _dev_secret_key(instance_path: Path) -> str:
    """A random key kept in the instance folder, so development sessions survive restarts."""
    path = instance_path / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


def load_settings(
    environ: Mapping[str, str] | None = None, instance_path: Path | None = None
) -> dict:
    env = os.environ if environ is None else environ
    instance = instance_path or ROOT / "instance"
    mode = env.get("LMS_ENV", "development")
    production = mode == "production"
    settings: dict = {
        "LMS_ENV": mode,
        "SECRET_KEY": env.get("LMS_SECRET_KEY"),
        "SQLALCHEMY_DATABASE_URI": env.get(
            "LMS_DATABASE_URL", f"sqlite:///{instance / 'lms.sqlite3'}"
        ),
        "LMS_CONTENT_DIR": env.get("LMS_CONTENT_DIR", str(ROOT)),
        # the compiled catalog and templates, kept between processes (lms.content.compiled,
        # Jinja's bytecode cache); empty: nothing is kept, every process compiles its own
        "LMS_CACHE_DIR": env.get("LMS_CACHE_DIR", str(instance / "cache")),
        "LMS_PUBLIC_URL": env.get("LMS_PUBLIC_URL", "http://127.0.0.1:5000").rstrip("/"),
        "RATELIMIT_STORAGE_URI": env.get("LMS_RATELIMIT_STORAGE_URL", "memory://"),
        # The job queue (RQ). Unset: long jobs run inline, in the request that starts them.
        "LMS_REDIS_URL": env.get("LMS_REDIS_URL", "").strip(),
        # Limits count failures unless said otherwise (see README, "Limits").
        "LMS_LOGIN_LIMIT": env.get("LMS_LOGIN_LIMIT", "100 per 10 minutes; 500 per day"),
        "LMS_LOGIN_PAIR_LIMIT": env.get("LMS_LOGIN_PAIR_LIMIT", "5 per minute; 20 per hour"),
        "LMS_LOGIN_ACCOUNT_LIMIT": env.get("LMS_LOGIN_ACCOUNT_LIMIT", "30 per hour; 100 per day"),
        "LMS_REGISTER_LIMIT": env.get("LMS_REGISTER_LIMIT", "150 per 10 minutes"),
        "LMS_JOIN_LIMIT": env.get("LMS_JOIN_LIMIT", "10 per 10 minutes"),
        "LMS_JOIN_ADDRESS_LIMIT": env.get("LMS_JOIN_ADDRESS_LIMIT", "100 per 10 minutes"),
        "LMS_LINK_LIMIT": env.get("LMS_LINK_LIMIT", "30 per 10 minutes"),
        "LMS_RESET_LIMIT": env.get("LMS_RESET_LIMIT", "20 per hour"),
        "LMS_RESET_EMAIL_LIMIT": env.get("LMS_RESET_EMAIL_LIMIT", "3 per hour"),
        "LMS_PASSWORD_CHECK_LIMIT": env.get("LMS_PASSWORD_CHECK_LIMIT", "5 per 10 minutes"),
        "LMS_IDLE_SESSION_MINUTES": int(env.get("LMS_IDLE_SESSION_MINUTES", str(12 * 60))),
        "LMS_TRUSTED_PROXIES": int(env.get("LMS_TRUSTED_PROXIES", "0")),
        "LMS_MAIL_URL": env.get("LMS_MAIL_URL") or None,
        "LMS_MAIL_FROM": env.get("LMS_MAIL_FROM")
        or env.get("LMS_ISSUER_EMAIL", "certificates@childrens-champions.example"),
        "LMS_VERIFY_LIMIT": env.get("LMS_VERIFY_LIMIT", "60 per minute"),
        "LMS_HEARTBEAT_SECONDS": int(env.get("LMS_HEARTBEAT_SECONDS", "30")),
        "LMS_IDLE_SECONDS": int(env.get("LMS_IDLE_SECONDS", "120")),
        "LMS_ISSUER_NAME": env.get("LMS_ISSUER_NAME", "Children's Champions Programme"),
        "LMS_ISSUER_EMAIL": env.get("LMS_ISSUER_EMAIL", "certificates@childrens-champions.example"),
        "LMS_SIGNATORY_NAME": env.get("LMS_SIGNATORY_NAME", "Programme Director"),
        "LMS_SIGNATORY_TITLE": env.get("LMS_SIGNATORY_TITLE", "Children's Champions Programme"),
        "SESSION_COOKIE_SECURE": _bool(env.get("LMS_SECURE_COOKIES", "1" if production else "0")),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "PERMANENT_SESSION_LIFETIME": 60 * 60 * 24 * 14,
        # Forms are small; a CSV roster of 10,000 rows is about 1 MB.
        "MAX_CONTENT_LENGTH": int(env.get("LMS_MAX_UPLOAD_BYTES", str(4 * 1024 * 1024))),
        "MAX_FORM_MEMORY_SIZE": 1024 * 1024,
        # No ping before every checkout (a round trip per request on PostgreSQL): connections are
        # recycled after 30 minutes, and a dropped connection invalidates the pool on first use.
        # LMS_DB_PRE_PING=1 turns the ping on where a firewall cuts idle connections silently.
        "SQLALCHEMY_ENGINE_OPTIONS": {
            "pool_pre_ping": _bool(env.get("LMS_DB_PRE_PING", "0")),
            "pool_recycle": RECYCLE_SECONDS,  # the connection held for reads too
        },
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
        "WTF_CSRF_HEADERS": ["X-CSRFToken"],
        # Flask-WTF's own hook works through its exemptions on every request, GET included;
        # lms.web.security.check_csrf calls its ``protect()`` on the methods it checks instead.
        "WTF_CSRF_CHECK_DEFAULT": False,
        "JSON_SORT_KEYS": False,
        # The Open Badges 3.0 signing keys (a JWK set): a file, or the set's text itself.
        "LMS_SIGNING_KEY": env.get("LMS_SIGNING_KEY") or None,
        "LMS_SIGNING_KEY_FILE": env.get("LMS_SIGNING_KEY_FILE") or None,
        "LMS_SIGNING_KEY_CREATE": False,
    }
    if settings["SESSION_COOKIE_SECURE"]:
        settings["REMEMBER_COOKIE_SECURE"] = True
    if mode == "development" and not settings["SECRET_KEY"]:
        settings["SECRET_KEY"] = _dev_secret_key(instance)
    if mode == "development" and not (
        settings["LMS_SIGNING_KEY"] or settings["LMS_SIGNING_KEY_FILE"]
    ):
        settings["LMS_SIGNING_KEY_FILE"] = str(instance / "signing_keys.json")
        settings["LMS_SIGNING_KEY_CREATE"] = True  # made on first start, kept like the secret key
    return settings


LIMIT_SETTINGS = (
    "LMS_LOGIN_LIMIT",
    "LMS_LOGIN_PAIR_LIMIT",
    "LMS_LOGIN_ACCOUNT_LIMIT",
    "LMS_REGISTER_LIMIT",
    "LMS_JOIN_LIMIT",
    "LMS_JOIN_ADDRESS_LIMIT",
    "LMS_LINK_LIMIT",
    "LMS_RESET_LIMIT",
    "LMS_RESET_EMAIL_LIMIT",
    "LMS_PASSWORD_CHECK_LIMIT",
    "LMS_VERIFY_LIMIT",
)
SECRET_MIN_LENGTH = 32
SECRET_MIN_DISTINCT = 12
SECRET_MIN_BITS = 100


def secret_key_problem(key: str) -> str | None:
    """Why ``key`` cannot be a production signing key, or ``None``.

    A length check alone lets 32 spaces through. The estimate is the key's length times the Shannon
    entropy of its characters: about 350 bits for ``secrets.token_urlsafe(48)``, 0 for 32 ``a``s.
    """
    from lms.services.passwords import weakness

    if len(key) < SECRET_MIN_LENGTH:
        return f"LMS_SECRET_KEY must be at least {SECRET_MIN_LENGTH} characters in production."
    counts = Counter(key)
    bits = -sum(n * math.log2(n / len(key)) for n in counts.values())
    if len(counts) < SECRET_MIN_DISTINCT or bits < SECRET_MIN_BITS or weakness(key):
        return (
            "LMS_SECRET_KEY does not look random (too few different characters, a pattern or a "
            "common phrase). Generate one: `python -c 'import secrets; "
            "print(secrets.token_urlsafe(48))'`."
        )
    return None


def validate(config: Mapping) -> None:
    """Refuse to start with settings that are unsafe or cannot work."""
    mode = config.get("LMS_ENV")
    if mode not in ENVIRONMENTS:
        raise ConfigError(f"LMS_ENV must be one of {', '.join(ENVIRONMENTS)}, not {mode!r}")
    key = config.get("SECRET_KEY")
    if not key:
        raise ConfigError(
            "LMS_SECRET_KEY is not set. In production set it to a long random value, e.g. "
            "`python -c 'import secrets; print(secrets.token_hex(32))'`."
        )
    if mode == "production":
        problem = secret_key_problem(key)
        if problem:
            raise ConfigError(problem)
    if mode == "production" and not (
        config.get("LMS_SIGNING_KEY") or config.get("LMS_SIGNING_KEY_FILE")
    ):
        raise ConfigError(
            "No signing key for the Open Badges 3.0 credentials. Set LMS_SIGNING_KEY_FILE to the "
            "path of a JWK set file outside the database (make one with "
            "`LMS_SIGNING_KEY_FILE=... flask --app lms lms keys rotate`), or LMS_SIGNING_KEY to "
            "the set's JSON text."
        )
    content = Path(config["LMS_CONTENT_DIR"])
    if not (content / "courses").is_dir():
        raise ConfigError(f"LMS_CONTENT_DIR={content} has no courses/ folder.")
    redis_url = config.get("LMS_REDIS_URL") or ""
    if redis_url and not redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError(
            "LMS_REDIS_URL must be a Redis URL (redis://host:6379/1, rediss://... or unix://...)."
        )
    if config["LMS_HEARTBEAT_SECONDS"] < 1 or config["LMS_IDLE_SECONDS"] < 1:
        raise ConfigError("LMS_HEARTBEAT_SECONDS and LMS_IDLE_SECONDS must be positive.")
    if config["LMS_IDLE_SESSION_MINUTES"] < 1:
        raise ConfigError("LMS_IDLE_SESSION_MINUTES must be positive.")
    if config["LMS_TRUSTED_PROXIES"] < 0:
        raise ConfigError(
            "LMS_TRUSTED_PROXIES is a number of proxies: 0 (none, the default) or more."
        )
    from limits import parse_many

    for name in LIMIT_SETTINGS:
        try:
            parse_many(config[name])
        except ValueError:
            raise ConfigError(
                f"{name}={config[name]!r} is not a limit such as '5 per minute; 20 per hour'."
            ) from None
    if config.get("LMS_MAIL_URL"):
        from lms.mail import parse_mail_url

        try:
            parse_mail_url(config["LMS_MAIL_URL"])
        except ValueError as error:
            raise ConfigError(str(error)) from None
