"""The interface's languages: which there are, which way each is written, and the compiled catalogues.

English is the language the code is written in; Urdu (``ur``) is the first language of most learners.
The catalogues live in ``lms/translations/<locale>/LC_MESSAGES/messages.po`` (``make translations``
extracts and updates them); the ``.mo`` files Flask-Babel reads are compiled from them by
``make setup`` and, if missing or older than their ``.po``, when the app starts.
"""

from __future__ import annotations

from pathlib import Path

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


def compile_catalogues(directory: Path = TRANSLATIONS) -> list[Path]:
    """Compile each ``messages.po`` whose ``.mo`` is missing or older; return what was written."""
    written = []
    for po in sorted(directory.glob("*/LC_MESSAGES/messages.po")):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        with po.open("rb") as source:
            catalogue = read_po(source, locale=po.parent.parent.name)
        tmp = mo.with_suffix(".mo.tmp")
        with tmp.open("wb") as out:
            write_mo(out, catalogue)
        tmp.replace(mo)  # another process compiling at the same moment writes the same bytes
        written.append(mo)
    return written
