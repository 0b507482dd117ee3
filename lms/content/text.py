"""The words of content problems and of the command line, in the reader's language, without Flask.

``lms.content`` knows nothing of the web, so its messages (``file:line: message``) cannot use
Flask-Babel. They go through ``_`` and ``ngettext`` here, which translate with the catalogue the
caller chose for the current context (``speaking(locale)``: ``flask --app lms lms check-content``
with ``LMS_CLI_LOCALE=ur``) and give English everywhere else: at the site's start-up, in the logs,
in tests. The catalogue is the interface's (``lms/translations``, fragments merged by
``lms.i18n``), so ``make translations`` extracts these messages with the rest. ``N_`` only marks a
text for extraction; it is translated where it is shown (the commands' ``--help``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from gettext import NullTranslations

from lms import i18n

_ENGLISH = NullTranslations()
_current: ContextVar[NullTranslations] = ContextVar("lms_content_text", default=_ENGLISH)


def _(message: str, /, **values: object) -> str:
    """``message`` in the current language, its ``%(name)s`` placeholders filled from ``values``."""
    text = _current.get().gettext(message)
    return text % values if values else text


def ngettext(singular: str, plural: str, num: int, /, **values: object) -> str:
    """The form of ``singular``/``plural`` for ``num`` (``%(num)d``) in the current language."""
    return _current.get().ngettext(singular, plural, num) % {"num": num, **values}


def N_(message: str) -> str:  # noqa: N802 - the name every gettext extractor knows
    """Mark ``message`` for the catalogue; ``_`` translates it where it is shown."""
    return message


@cache
def _translations(locale: str) -> NullTranslations:
    from babel.support import Translations

    i18n.compile_catalogues()  # the .mo file, with every fragment, as the app would have it
    return Translations.load(str(i18n.TRANSLATIONS), [locale])


@contextmanager
def speaking(locale: str | None) -> Iterator[None]:
    """Messages made inside the block are in ``locale`` (an interface language; else English)."""
    known = i18n.known(locale)
    chosen = _ENGLISH if known in (None, i18n.DEFAULT_LOCALE) else _translations(known)
    token = _current.set(chosen)
    try:
        yield
    finally:
        _current.reset(token)
