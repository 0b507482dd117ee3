"""Plain formatting shared by services and templates."""

from __future__ import annotations

from flask_babel import ngettext


def format_minutes(minutes: float) -> str:
    """150 -> "2 h 30 min"; 45 -> "45 min"; 1050 -> "17 h 30 min"; in Urdu "2 گھنٹے 30 منٹ".

    In the language of the page (or of ``force_locale``); outside a request, English.
    """
    total = int(round(minutes))
    hours, rest = divmod(total, 60)
    shown = []
    if hours:
        shown.append(ngettext("%(num)d h", "%(num)d h", hours))
    if rest or not hours:
        shown.append(ngettext("%(num)d min", "%(num)d min", rest))
    return " ".join(shown)
