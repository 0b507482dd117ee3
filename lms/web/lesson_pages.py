"""Every lesson page rendered once per process (see ``fastpage``); requests only fill the slots.

The shared layout has two paths: a request-time page includes the navigation and flashed messages,
a lesson page prints slots in their place. A per-user value added to the layout or the navigation
would render empty here, where there is no user, so these pages are rendered with Jinja's
``StrictUndefined``: a name or attribute missing stops the page, and gunicorn's start-up
(``render_all``), with the template's name. ``tests/web/test_lesson_header.py`` checks that a
lesson page's header equals another page's for each role.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass

from flask import Flask, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from jinja2 import Environment, StrictUndefined

from lms import i18n
from lms.content import Catalog
from lms.models.users import ROLES
from lms.services import access
from lms.web.fastpage import Piece, SlottedPage, slot
from lms.web.offline import lesson_images

SLOTS = {name: slot(name) for name in ("csrf", "flashes", "credited", "owner")}
# The navigation differs by role only around the logout form's CSRF token: two pieces per role,
# compressed ahead of time, with the token between them.
SLOTS["nav"] = slot("nav_head") + slot("nav_csrf") + slot("nav_tail")
_CSRF_MARK = "\x00csrf\x00"


@dataclass(frozen=True)
class _RoleViewer:
    """Stands in for the logged-in user when the navigation is rendered ahead of time."""

    role: str
    is_authenticated: bool = True

    @property
    def sees_figures(self) -> bool:
        return access.may_see_figures(self)

    @property
    def is_staff(self) -> bool:
        return access.is_staff(self)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def _strict_renderer(app: Flask):
    """``render_template`` (same loader, globals, filters and context processors) failing on any
    undefined name or attribute instead of printing nothing."""
    strict: Environment = app.jinja_env.overlay(undefined=StrictUndefined, cache_size=100)

    def render(name: str, **context) -> str:
        app.update_template_context(context)
        return strict.get_template(name).render(context)

    return render


class LessonPages:
    """Each lesson's page in each interface language, keyed ``(locale, lesson key)``: the lesson's
    translation into that language when there is one, else the original with a note saying so (its
    body marked ``lang="en" dir="ltr"``). The key is the lesson's either way, so hours are too.

    A page is rendered the first time it is asked for (a few milliseconds), so that one process
    starts without rendering a hundred pages nobody may read. ``render_all`` renders every page
    at once: ``lms.wsgi`` calls it in gunicorn's master, before the fork, so the workers share
    the pages and a per-user value in the layout stops the site's start-up."""

    def __init__(self, app: Flask, catalog: Catalog):
        self._app = app
        self._catalog = catalog
        self._render = _strict_renderer(app)
        self._lock = threading.RLock()  # a page is rendered once, whichever thread asks first
        self._nav: dict[tuple[str, str], tuple[Piece, Piece]] = {}
        self._pages: dict[tuple[str, str], SlottedPage] = {}
        self._sizes: dict[tuple[str, str], int] = {}
        #: the data saver's page of each lesson that has images ("Show image (N KB)" links)
        self._saver: dict[tuple[str, str], SlottedPage] = {}
        self._assets = app.extensions["lms.assets"]

    def render_all(self) -> None:
        """Render every lesson's page in every language now (raises what a page would raise)."""
        for locale in i18n.LOCALES:
            for course in self._catalog:
                for lesson in course.lessons:
                    self._page(locale, lesson.key)

    @contextmanager
    def _rendering(self, locale: str):
        # Its own application context: nothing of the request that asked (its user, its database
        # session) is seen by the page, which is everyone's.
        app = self._app
        with self._lock, app.app_context(), app.test_request_context("/"), force_locale(locale):
            yield

    def _navigation(self, locale: str, role: str) -> tuple[Piece, Piece]:
        found = self._nav.get((locale, role))
        if found is None:
            with self._rendering(locale):
                self._render_navigation(locale)
            found = self._nav[locale, role]
        return found

    def _render_navigation(self, locale: str) -> None:
        for role in ROLES:
            html = self._render(
                "partials/nav.html", viewer=_RoleViewer(role), csrf_value=slot("csrf")
            )
            head, mark, tail = html.partition(_CSRF_MARK)
            if not mark:
                raise RuntimeError("partials/nav.html: the logout form lost its CSRF token")
            self._nav[locale, role] = (Piece.of(head), Piece.of(tail))

    def _page(self, locale: str, key: str) -> SlottedPage:
        found = self._pages.get((locale, key))
        if found is None:
            with self._rendering(locale):
                if (locale, key) not in self._pages:  # another thread may have rendered it
                    self._render_page(locale, key)
            found = self._pages[locale, key]
        return found

    def _render_page(self, locale: str, key: str) -> None:
        if not any(nav_locale == locale for nav_locale, _role in self._nav):
            self._render_navigation(locale)
        # the lesson in the page's language where it is translated, else in English
        course = self._catalog.course_in(key.split("/", 1)[0], locale)
        order = course.lessons if course is not None else ()
        index = next((i for i, one in enumerate(order) if one.key == key), None)
        if index is None:  # a plain KeyError, as a missing page always was
            raise KeyError((locale, key))
        lesson = order[index]
        context = dict(
            course=course,
            module=course.module(lesson.module_slug),
            lesson=lesson,
            lesson_dir=i18n.direction(lesson.locale),
            before=order[index - 1] if index > 0 else None,
            after=order[index + 1] if index + 1 < len(order) else None,
            slots=SLOTS,
            switch_next=url_for(
                "learner.lesson",
                course_slug=course.slug,
                module_slug=lesson.module_slug,
                lesson_slug=lesson.slug,
            ),
        )
        label = _("Show image (%(kb)s KB)", kb="%(kb)s")
        html = self._render(
            "learn/lesson.html",
            lesson_html=lesson_images(lesson.html, self._assets, saver=False, label=label),
            **context,
        )
        page = SlottedPage(html)
        # what a learner's phone receives, gzipped (a CSRF token's length, no minutes)
        sample = self.values(locale, "learner", "x" * 91, 0)
        self._sizes[locale, key] = len(page.render_gzip(sample))
        if "<img" in lesson.html:
            saver = lesson_images(lesson.html, self._assets, saver=True, label=label)
            html = self._render("learn/lesson.html", lesson_html=saver, **context)
            self._saver[locale, key] = SlottedPage(html)
        self._pages[locale, key] = page  # last: a page found means its size and saver page are too

    def page(self, locale: str, key: str, *, saver: bool = False) -> SlottedPage:
        """The lesson's page; with ``saver``, its data-saver page where it has images."""
        page = self._page(locale, key)
        if saver:
            return self._saver.get((locale, key), page)
        return page

    def size(self, locale: str, key: str) -> int:
        """About how many bytes the lesson page weighs as sent (gzipped, headers aside)."""
        self._page(locale, key)
        return self._sizes[locale, key]

    def values(
        self,
        locale: str,
        role: str,
        csrf: str,
        credited_minutes: int,
        flashes: str = "",
        owner: int = 0,
    ) -> dict:
        """The slot values of a lesson page for one request (all HTML-safe)."""
        head, tail = self._navigation(locale, role)
        return {
            "nav_head": head,
            "nav_csrf": csrf,
            "nav_tail": tail,
            "csrf": csrf,
            "flashes": flashes,
            "credited": str(credited_minutes),
            "owner": str(int(owner)),  # the reader's id: reading time queued offline is theirs
        }

    @staticmethod
    def flashes() -> str:
        return render_template("partials/flashes.html")
