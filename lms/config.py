"""Settings, read from ``LMS_*`` environment variables with safe development defaults.

``load_settings(environ, instance_path)`` returns a plain dict that ``create_app`` applies; a mapping
passed to ``create_app(config=...)`` overrides it key by key. ``validate(config)`` runs last and refuses
to start on settings that would be unsafe or broken.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path

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
        "LMS_LOGIN_LIMIT": env.get("LMS_LOGIN_LIMIT", "10 per minute"),
        "LMS_LOGIN_ACCOUNT_LIMIT": env.get("LMS_LOGIN_ACCOUNT_LIMIT", "5 per minute"),
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
            "pool_recycle": 1800,
        },
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
        "WTF_CSRF_HEADERS": ["X-CSRFToken"],
        "JSON_SORT_KEYS": False,
    }
    if settings["SESSION_COOKIE_SECURE"]:
        settings["REMEMBER_COOKIE_SECURE"] = True
    if mode == "development" and not settings["SECRET_KEY"]:
        settings["SECRET_KEY"] = _dev_secret_key(instance)
    return settings


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
    if mode == "production" and len(key) < 32:
        raise ConfigError("LMS_SECRET_KEY must be at least 32 characters in production.")
    content = Path(config["LMS_CONTENT_DIR"])
    if not (content / "courses").is_dir():
        raise ConfigError(f"LMS_CONTENT_DIR={content} has no courses/ folder.")
    if config["LMS_HEARTBEAT_SECONDS"] < 1 or config["LMS_IDLE_SECONDS"] < 1:
        raise ConfigError("LMS_HEARTBEAT_SECONDS and LMS_IDLE_SECONDS must be positive.")
