"""Every lesson page rendered once at start-up (see ``fastpage``); requests only fill the slots."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, render_template

from lms.content import Catalog
from lms.models.users import ROLES
from lms.web.fastpage import SlottedPage, slot

SLOTS = {name: slot(name) for name in ("nav", "csrf", "flashes", "credited")}


@dataclass(frozen=True)
class _RoleViewer:
    """Stands in for the logged-in user when the navigation is rendered ahead of time."""

    role: str
    is_authenticated: bool = True

    @property
    def is_staff(self) -> bool:
        return self.role in ("instructor", "admin")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


class LessonPages:
    def __init__(self, app: Flask, catalog: Catalog):
        with app.test_request_context("/"):
            self._nav = {
                role: render_template(
                    "partials/nav.html", viewer=_RoleViewer(role), csrf_value=slot("csrf")
                )
                for role in ROLES
            }
            self._pages = {}
            for course in catalog:
                for module in course.modules:
                    for lesson in module.lessons:
                        before, after = catalog.neighbours(lesson)
                        html = render_template(
                            "learn/lesson.html",
                            course=course,
                            module=module,
                            lesson=lesson,
                            before=before,
                            after=after,
                            slots=SLOTS,
                        )
                        self._pages[lesson.key] = SlottedPage(html)

    def page(self, key: str) -> SlottedPage:
        return self._pages[key]

    def nav_for(self, role: str, csrf: str) -> str:
        return self._nav[role].replace("\x00csrf\x00", csrf)

    @staticmethod
    def flashes() -> str:
        return render_template("partials/flashes.html")
