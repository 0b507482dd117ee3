"""Plain formatting shared by services and templates."""

from __future__ import annotations


def format_minutes(minutes: float) -> str:
    """150 -> "2 h 30 min"; 45 -> "45 min"; 1050 -> "17 h 30 min"."""
    total = int(round(minutes))
    hours, rest = divmod(total, 60)
    if hours and rest:
        return f"{hours} h {rest} min"
    if hours:
        return f"{hours} h"
    return f"{rest} min"
