"""``LineMap``, the mapping ``lms.content.yamlio`` reads, in a module of its own: the quiz and
translation checks that test for it are imported by every web process, PyYAML only by a build."""

from __future__ import annotations


class LineMap(dict):
    """A dict from YAML that remembers where it and each of its keys stand (1-based lines)."""

    line: int = 1
    key_lines: dict

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)
