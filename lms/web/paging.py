"""Long lists a page at a time: every list a person reads goes through ``paginate``.

Flask-SQLAlchemy's ``db.paginate`` does the counting and slicing; this module reads the ``page``
argument (never ``per_page``: the page size is the view's), answers 400 to one that is not a whole
number from 1 up, and shows the last page for one past the end, so no list stops silently and no page
number reaches the database as an offset it cannot hold. ``templates/partials/pager.html`` prints the
page links; ``page_url`` keeps the other query arguments (a search) on every link.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from math import ceil
from typing import Any

from flask import Flask, abort, request, url_for
from flask_babel import gettext as _
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select

from lms.extensions import db

PER_PAGE = 50
#: A larger ``page`` is past the end of any list here: it shows the last page without first asking
#: the database for an offset beyond a 64-bit integer.
_FAR_PAGE = 10**9


def requested_page() -> int:
    """The ``page`` query argument: 1 if absent; 400 unless it is ASCII digits naming 1 or more."""
    raw = request.args.get("page")
    if raw is None:
        return 1
    if not (raw.isascii() and raw.isdigit()):
        abort(400, _("A page number is a whole number from 1."))
    if len(raw) > len(str(_FAR_PAGE)):
        return _FAR_PAGE  # also keeps int() clear of Python's limit on very long digit strings
    number = int(raw)
    if number < 1:
        abort(400, _("A page number is a whole number from 1."))
    return min(number, _FAR_PAGE)


def paginate(query: Select, *, per_page: int = PER_PAGE) -> Pagination:
    """The requested page of ``query`` (which needs a total order); past the end, the last page."""
    page = requested_page()
    found = db.paginate(query, page=page, per_page=per_page, max_per_page=per_page, error_out=False)
    last = max(found.pages, 1)
    if page > last:
        found = db.paginate(
            query, page=last, per_page=per_page, max_per_page=per_page, error_out=False
        )
    return found


@dataclass(frozen=True)
class ListPage:
    """One page of a list already in memory (a roster being checked), with what the pager reads."""

    items: Sequence[Any]
    page: int
    pages: int
    total: int

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def next_num(self) -> int:
        return self.page + 1

    def iter_pages(
        self, *, left_edge: int = 2, left_current: int = 2, right_current: int = 4,
        right_edge: int = 2,
    ) -> Iterator[int | None]:  # fmt: skip
        """Page numbers to link, ``None`` for a gap (as Flask-SQLAlchemy's ``iter_pages``)."""
        shown = sorted(
            {n for n in range(1, left_edge + 1)}
            | {n for n in range(self.page - left_current, self.page + right_current + 1)}
            | {n for n in range(self.pages - right_edge + 1, self.pages + 1)}
        )
        previous = 0
        for number in (n for n in shown if 1 <= n <= self.pages):
            if number - previous > 1:
                yield None
            yield number
            previous = number

    def __iter__(self) -> Iterator[Any]:
        return iter(self.items)


def paginate_list(items: Sequence[Any], *, per_page: int = PER_PAGE) -> ListPage:
    """The requested page of a list in memory; past the end, the last page."""
    pages = max(ceil(len(items) / per_page), 1)
    page = min(requested_page(), pages)
    start = (page - 1) * per_page
    return ListPage(items[start : start + per_page], page, pages, len(items))


def page_url(number: int) -> str:
    """This page's URL with its query arguments, showing page ``number``."""
    args = request.args.to_dict()
    args["page"] = str(number)
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def init_paging(app: Flask) -> None:
    app.jinja_env.globals["page_url"] = page_url
