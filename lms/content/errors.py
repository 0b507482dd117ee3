"""Problems found in content files, each tied to a file and line.

An error (``ContentError``) stops the site from starting; a warning (``ContentWarning``) is a
weakness an author should fix, such as a quiz that length gives away. Warnings never stop start-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lms.content.text import _


@dataclass(frozen=True, order=True)
class ContentError:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass(frozen=True, order=True)
class ContentWarning:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        # in the reader's language where a command asked for one (``lms.content.text``)
        return f"{self.path}:{self.line}: " + _("warning: %(message)s", message=self.message)


class ContentInvalid(Exception):
    """Raised when content does not validate; carries every problem found."""

    def __init__(self, errors: list[ContentError]):
        self.errors = sorted(errors)
        super().__init__("\n".join(str(e) for e in self.errors))


class Problems:
    """Collects problems while a loader walks the content, relative to a root folder."""

    def __init__(self, root: Path):
        self.root = root
        self.errors: list[ContentError] = []
        self.warnings: list[ContentWarning] = []

    def rel(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root))
        except ValueError:
            return str(path)

    def add(self, path: Path, line: int, message: str) -> None:
        self.errors.append(ContentError(self.rel(path), max(line, 1), message))

    def warn(self, path: Path | str, line: int, message: str) -> None:
        rel = self.rel(path) if isinstance(path, Path) else path
        self.warnings.append(ContentWarning(rel, max(line, 1), message))

    def __bool__(self) -> bool:
        """True when there is an error; warnings alone never make content invalid."""
        return bool(self.errors)
