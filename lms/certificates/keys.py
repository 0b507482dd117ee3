"""The platform's signing keys for Open Badges 3.0 credentials: a JWK set kept outside the database.

The set lives in a file (``LMS_SIGNING_KEY_FILE``; in development ``instance/signing_keys.json``,
made on first use) or in the ``LMS_SIGNING_KEY`` environment variable. Its last key is the signing
key and holds the private part; every earlier key is kept as a public key only, so credentials it
signed still verify after a rotation. Keys are ES256 (P-256), identified by their RFC 7638
thumbprint.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from joserfc.errors import JoseError
from joserfc.jwk import ECKey

ALGORITHM = "ES256"


class SigningKeyError(ValueError):
    """The key set is missing or cannot be used; the message says why and what to do."""


def new_key() -> ECKey:
    key = ECKey.generate_key("P-256", parameters={"use": "sig", "alg": ALGORITHM}, private=True)
    return ECKey.import_key({**key.as_dict(private=True), "kid": key.thumbprint()})


def _parse(text: str, source: str) -> list[ECKey]:
    try:
        data = json.loads(text)
        entries = data["keys"] if isinstance(data, dict) and "keys" in data else [data]
        keys = [ECKey.import_key(entry) for entry in entries]
    except (ValueError, KeyError, TypeError, JoseError) as error:
        raise SigningKeyError(
            f"{source} does not hold a JWK set of EC P-256 keys ({error})."
        ) from None
    if not keys:
        raise SigningKeyError(f"{source} holds no key.")
    if not keys[-1].is_private:
        raise SigningKeyError(f"The last key in {source} (the signing key) has no private part.")
    for key in keys:
        if key.as_dict(private=False).get("crv") != "P-256":
            raise SigningKeyError(f"{source}: every key must be an EC P-256 key (for ES256).")
    return keys


def _kid(key: ECKey) -> str:
    return key.kid or key.thumbprint()


def _serialise(keys: list[ECKey]) -> str:
    """The set as stored: every key public except the last (the signing key)."""
    entries = []
    for i, key in enumerate(keys):
        private = i == len(keys) - 1
        entries.append({**key.as_dict(private=private), "kid": _kid(key)})
    return json.dumps({"keys": entries}, indent=2) + "\n"


def new_key_set() -> str:
    """The text of a JWK set holding one new signing key."""
    return _serialise([new_key()])


def write_key_file(path: Path, text: str) -> None:
    _write_private(path, text)


def _write_private(path: Path, text: str) -> None:
    """Replace the file atomically, readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=".signing-keys-")
    try:
        with os.fdopen(handle, "w") as out:
            out.write(text)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass
class KeyRing:
    """The signing key and every public key ever used. A file source is re-read when it changes,
    so that every process signs with and publishes the same keys after ``lms keys rotate``."""

    keys: list[ECKey]
    path: Path | None = None  #: None when the set came from the environment
    _mtime: int | None = None

    @classmethod
    def from_config(cls, config) -> KeyRing:
        text = config.get("LMS_SIGNING_KEY")
        if text:
            return cls(_parse(text, "LMS_SIGNING_KEY"))
        path = config.get("LMS_SIGNING_KEY_FILE")
        if not path:
            raise SigningKeyError(
                "No signing key: set LMS_SIGNING_KEY_FILE to the path of a JWK set file "
                "(`flask --app lms lms keys rotate` makes one) or LMS_SIGNING_KEY to its text."
            )
        return cls.from_file(Path(path), create=bool(config.get("LMS_SIGNING_KEY_CREATE")))

    @classmethod
    def from_file(cls, path: Path, *, create: bool = False) -> KeyRing:
        if not path.exists():
            if not create:
                raise SigningKeyError(f"LMS_SIGNING_KEY_FILE={path} does not exist.")
            _write_private(path, new_key_set())
        ring = cls([], path)
        ring._load()
        return ring

    def _load(self) -> None:
        if self.path is None:
            return
        stat = self.path.stat()
        self.keys = _parse(self.path.read_text(), str(self.path))
        self._mtime = stat.st_mtime_ns

    def _fresh(self) -> None:
        if self.path is not None:
            try:
                if self.path.stat().st_mtime_ns != self._mtime:
                    self._load()
            except (OSError, SigningKeyError):
                pass  # keep the keys in memory rather than stop signing and verifying

    @property
    def signing_key(self) -> ECKey:
        self._fresh()
        return self.keys[-1]

    def signing_kid(self) -> str:
        return _kid(self.signing_key)

    def public_keys(self) -> list[dict]:
        """Every key's public part, oldest first, each with its ``kid`` (the thumbprint)."""
        self._fresh()
        return [{**key.as_dict(private=False), "kid": _kid(key)} for key in self.keys]

    def rotate(self) -> str:
        """Make a new signing key; the old ones stay as public keys. Returns the new set's text
        (also written to the file when the set lives in one)."""
        self._fresh()
        self.keys = [*self.keys, new_key()]
        text = _serialise(self.keys)
        if self.path is not None:
            _write_private(self.path, text)
            self._mtime = self.path.stat().st_mtime_ns
        self.keys = _parse(text, "the rotated key set")
        return text
