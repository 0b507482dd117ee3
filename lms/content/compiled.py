"""The catalog compiled once and kept: in this process, and on disk for the next one.

Loading validates and renders every lesson and quiz (python-markdown, about a second for the shipped
content), and every process of a deployment would do it again at start-up. ``cached_catalog`` does
it once per content: the key is a hash of every content file (path and bytes), of the loader's and
renderer's own code (every module of ``lms.content``) and of the libraries that shape the output.
When a file on disk carries that key, the catalog is read back from it (a few milliseconds); when
not, the content is loaded, validated and rendered as ``load_catalog`` does (broken content still
raises ``ContentInvalid`` with every ``file:line``, and nothing is written), and the result is
written for next time. The file is a pickle read back through an unpickler that only builds the
catalog's own classes (``_CatalogUnpickler``), so a tampered file cannot name any other callable; an
unreadable or stale file is ignored and replaced. A cache folder that cannot be written is not an
error: the process just keeps its catalog in memory.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import pickle
import sys
import tempfile
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from lms.content import catalog as catalog_module
from lms.content import errors, questions, schema
from lms.content.catalog import Catalog

log = logging.getLogger(__name__)

_PACKAGE = Path(__file__).resolve().parent
_LIBRARIES = ("Markdown", "PyYAML", "MarkupSafe")
_PREFIX, _SUFFIX = "catalog-", ".pickle"
#: the modules whose classes a cached catalog is made of: nothing else may be unpickled
_ALLOWED = {m.__name__: m for m in (catalog_module, errors, questions, schema)}
#: key -> catalog, for every catalog this process has built or read
_built: dict[str, Catalog] = {}


def _code_digest() -> bytes:
    digest = hashlib.sha256(sys.version.encode())
    for name in _LIBRARIES:
        try:
            digest.update(f"\0{name}={version(name)}".encode())
        except PackageNotFoundError:  # pragma: no cover - a dependency of this package
            digest.update(f"\0{name}=?".encode())
    for path in sorted(_PACKAGE.glob("*.py")):
        digest.update(b"\0" + path.name.encode() + b"\0" + path.read_bytes())
    return digest.digest()


_CODE = _code_digest()


def content_files(root: Path) -> list[Path]:
    """Every file the catalog is made from, in a fixed order."""
    files: list[Path] = []
    for folder in ("courses", "quizzes"):
        base = root / folder
        if base.is_dir():
            files.extend(sorted(p for p in base.rglob("*") if p.is_file()))
    return files


def catalog_key(root: Path) -> str:
    """The hash a compiled catalog of the content under ``root`` is kept under."""
    root = root.resolve()
    digest = hashlib.sha256(_CODE)
    digest.update(str(root).encode())
    for path in content_files(root):
        digest.update(b"\0" + str(path.relative_to(root)).encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


class _CatalogUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        owner = _ALLOWED.get(module)
        found = getattr(owner, name, None) if owner is not None else None
        if isinstance(found, type) and found.__module__ == module:
            return found
        raise pickle.UnpicklingError(f"a compiled catalog may not contain {module}.{name}")


def _read(path: Path) -> Catalog | None:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.warning("cannot read the compiled catalog %s: %s", path, exc)
        return None
    try:
        found = _CatalogUnpickler(io.BytesIO(data)).load()
    except Exception as exc:  # noqa: BLE001 - any damage to the file means: build it again
        log.warning("ignoring the compiled catalog %s: %s", path, exc)
        return None
    return found if isinstance(found, Catalog) else None


def _write(folder: Path, path: Path, catalog: Catalog) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("wb", dir=folder, suffix=".tmp", delete=False) as out:
            pickle.dump(catalog, out, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(out.name, path)  # atomic: another process reads the old file or the new one
        for stale in folder.glob(f"{_PREFIX}*{_SUFFIX}"):
            if stale != path:
                stale.unlink(missing_ok=True)
    except OSError as exc:
        log.warning("cannot keep the compiled catalog in %s: %s", folder, exc)


def cached_catalog(root: Path, cache_dir: Path | None) -> Catalog:
    """The catalog of the content under ``root``, built at most once per content and code.

    ``cache_dir`` is where compiled catalogs are kept between processes (None: only in memory).
    Raises ``ContentInvalid`` as ``load_catalog`` does.
    """
    key = catalog_key(root)
    if (found := _built.get(key)) is not None:
        return found
    path = cache_dir / f"{_PREFIX}{key[:32]}{_SUFFIX}" if cache_dir is not None else None
    catalog = _read(path) if path is not None else None
    if catalog is None:
        from lms.content.loader import load_catalog  # python-markdown and all: only when building

        catalog = load_catalog(root)
        if path is not None:
            _write(cache_dir, path, catalog)
    _built[key] = catalog
    return catalog
