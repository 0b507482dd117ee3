"""The interface's languages: which there are, which way each is written, and the compiled catalogues.

English is the language the code is written in; Urdu (``ur``) is the first language of most learners.
The catalogues live in ``lms/translations/<locale>/LC_MESSAGES/messages.po`` (``make translations``
extracts and updates them). Translations may also come in fragments,
``lms/translations/<locale>/fragments/*.po`` (standard PO entries, one file per piece of work, so
that work done side by side merges without conflicts): a fragment fills a message that
``messages.po`` leaves untranslated or lacks, and never overrides one it translates. The ``.mo`` file
Flask-Babel reads is compiled from both, by ``make setup`` (``python -m lms.i18n``) and, if missing
or older than any of its sources, when the app starts.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from babel.messages.catalog import Catalog, Message

LOCALES = ("en", "ur")
DEFAULT_LOCALE = "en"
RTL = frozenset({"ur"})
#: each language's name in that language, for the switch
NATIVE_NAMES = {"en": "English", "ur": "اردو"}
TRANSLATIONS = Path(__file__).parent / "translations"
COOKIE = "lms_lang"


def direction(locale: str) -> str:
    return "rtl" if locale in RTL else "ltr"


def known(value: object) -> str | None:
    """``value`` if it names one of the interface's languages, else None (a cookie, a form field)."""
    return value if isinstance(value, str) and value in LOCALES else None


def fragments_of(po: Path) -> list[Path]:
    """The fragments of the catalogue ``<locale>/LC_MESSAGES/messages.po``, in merge order."""
    return sorted((po.parent.parent / "fragments").glob("*.po"))


def is_translated(message: Message) -> bool:
    """True when every form of ``message`` has a translation (and it is not marked fuzzy)."""
    if message.fuzzy:
        return False
    strings = message.string if isinstance(message.string, (tuple, list)) else (message.string,)
    return bool(strings) and all(strings)


def _read(path: Path, locale: str) -> Catalog:
    from babel.messages.pofile import read_po

    with path.open("rb") as source:
        return read_po(source, locale=locale)


def read_catalogue(po: Path) -> Catalog:
    """``messages.po`` with its fragments merged in. A fragment's translation fills a message that
    ``messages.po`` lacks or leaves untranslated; a translation already in ``messages.po`` stays, and
    between fragments the first (by file name) wins."""
    catalogue = _read(po, po.parent.parent.name)
    _fill(catalogue, po, add_missing=True)
    return catalogue


def _fill(catalogue: Catalog, po: Path, *, add_missing: bool) -> None:
    for fragment in fragments_of(po):
        for message in _read(fragment, catalogue.locale_identifier):
            if not message.id or not is_translated(message):
                continue  # the header, or nothing to add
            present = catalogue.get(message.id, message.context)
            if present is None:
                if add_missing:
                    catalogue[message.id] = message
            elif not is_translated(present):
                present.id = message.id  # a plural in a fragment brings its plural msgid
                present.string = message.string
                present.flags.discard("fuzzy")


def fold_fragments(po: Path) -> list[Path]:
    """Write the fragments' translations into ``messages.po`` (freshly updated from the sources by
    ``make translations``) and remove each fragment all of whose translations it now holds, so
    that one catalogue is left to read and review. A fragment with a message ``messages.po`` lacks
    (code not yet extracted, or a string no longer used) is kept; return the fragments kept."""
    from babel.messages.pofile import write_po

    catalogue = _read(po, po.parent.parent.name)
    _fill(catalogue, po, add_missing=False)
    with po.open("wb") as out:
        write_po(out, catalogue, omit_header=False, sort_output=True, include_lineno=False)
    kept = []
    for fragment in fragments_of(po):
        messages = [m for m in _read(fragment, catalogue.locale_identifier) if m.id]
        held = [catalogue.get(m.id, m.context) for m in messages]
        if all(h is not None and is_translated(h) for h in held):
            fragment.unlink()
        else:
            kept.append(fragment)
    return kept


def _newest_source(po: Path) -> float:
    fragments = po.parent.parent / "fragments"
    times = [po.stat().st_mtime, *(f.stat().st_mtime for f in fragments_of(po))]
    if fragments.is_dir():
        times.append(fragments.stat().st_mtime)  # a fragment removed changes the directory
    return max(times)


def compile_catalogues(directory: Path = TRANSLATIONS, *, force: bool = False) -> list[Path]:
    """Compile each ``messages.po`` with its fragments whose ``.mo`` is missing or older than any of
    them (every one if ``force``); return what was written."""
    from babel.messages.mofile import write_mo

    written = []
    for po in sorted(directory.glob("*/LC_MESSAGES/messages.po")):
        mo = po.with_suffix(".mo")
        if not force and mo.exists() and mo.stat().st_mtime >= _newest_source(po):
            continue
        catalogue = read_catalogue(po)
        tmp = mo.with_name(f"{mo.name}.{os.getpid()}.tmp")
        with tmp.open("wb") as out:
            write_mo(out, catalogue)
        tmp.replace(mo)  # another process compiling at the same moment writes the same bytes
        written.append(mo)
    return written


def statistics(directory: Path = TRANSLATIONS) -> list[str]:
    """One line per catalogue: how many of its messages are translated, fragments included."""
    lines = []
    for po in sorted(directory.glob("*/LC_MESSAGES/messages.po")):
        messages = [m for m in read_catalogue(po) if m.id]
        done = sum(1 for m in messages if is_translated(m))
        share = 100 * done // len(messages) if messages else 100
        lines.append(
            f"{done} of {len(messages)} messages ({share}%) translated in {po.parent.parent}"
        )
    return lines


if __name__ == "__main__":  # ``make setup``: compile every catalogue and say how complete it is
    if "--fold" in sys.argv[1:]:  # ``make translations-fold``
        for po in sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po")):
            for fragment in fold_fragments(po):
                print(f"kept {fragment}: it has messages the catalogue lacks")
    compile_catalogues(force=True)
    print("\n".join(statistics()))
    sys.exit(0)
