"""The Urdu catalogue as the app will have it once the translation fragments are merged:
``lms/translations/<locale>/LC_MESSAGES/messages.po`` with every ``fragments/*.po`` of that
locale filling what it leaves untranslated, compiled into a directory for
``BABEL_TRANSLATION_DIRECTORIES``."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from lms.i18n import TRANSLATIONS


def _translated(message) -> bool:
    strings = message.string if isinstance(message.string, (tuple, list)) else (message.string,)
    return not message.fuzzy and bool(strings) and all(strings)


def compile_with_fragments(target: Path, source: Path = TRANSLATIONS) -> Path:
    for po in sorted(source.glob("*/LC_MESSAGES/messages.po")):
        locale = po.parent.parent.name
        with po.open("rb") as file:
            catalogue = read_po(file, locale=locale)
        for fragment in sorted((po.parent.parent / "fragments").glob("*.po")):
            with fragment.open("rb") as file:
                for message in read_po(file, locale=locale):
                    if not message.id:
                        continue
                    present = catalogue.get(message.id)
                    if present is None or not _translated(present):
                        catalogue[message.id] = message
        mo = target / locale / "LC_MESSAGES" / "messages.mo"
        mo.parent.mkdir(parents=True, exist_ok=True)
        with mo.open("wb") as file:
            write_mo(file, catalogue)
    return target


@pytest.fixture(scope="session")
def urdu_translations(tmp_path_factory) -> str:
    """``BABEL_TRANSLATION_DIRECTORIES`` with the fragments merged (see the module)."""
    return str(compile_with_fragments(tmp_path_factory.mktemp("translations")))


@pytest.fixture
def app_config(urdu_translations) -> dict:
    """The ``app`` fixture with the merged catalogue: import this fixture into a test module."""
    return {"BABEL_TRANSLATION_DIRECTORIES": urdu_translations}
