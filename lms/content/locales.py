"""The languages content is written in: every original in English, translations beside it.

Kept apart from ``lms.i18n`` (the interface's languages) so that content knows nothing of the web;
``tests/unit/test_content_translations.py`` checks the two agree.
"""

#: The language of every original lesson and quiz: the reference for structure, minutes and keys.
ORIGINAL = "en"
#: The languages a translation may be in: the suffix of its file name (``02-forms-of-harm.ur.md``).
TRANSLATIONS = ("ur",)
