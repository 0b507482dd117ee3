"""Every list a person reads is paged, not cut: the row past each old limit is reachable by the
page links, every row appears once, and a bad page number is a 400 or the last page, never a 500."""

from __future__ import annotations

import secrets
from datetime import date, time

import pytest

from lms.extensions import db
from lms.models.certificates import Certificate
from lms.models.cohorts import AuditEvent, Cohort, CohortInstructor
from lms.models.hours import WorkshopSession
from lms.models.users import User
from lms.services.certificates import recipient_hash
from tests.conftest import log_in_quietly, soup
from tests.factories import NOW, _password_hash


def _people(n: int, name: str = "Paged Person") -> list[User]:
    people = [
        User(
            email=f"{name.split()[-1].lower()}{i:04d}@example.org", full_name=f"{name} {i:04d}",
            password_hash=_password_hash(), role="learner", organisation_type="ngo",
            organisation="Org", job_title="Worker", province="Punjab", district="Lahore",
            created_at=NOW,
        )
        for i in range(n)
    ]  # fmt: skip
    db.session.add_all(people)
    db.session.commit()
    return people


def _certificates(n: int, reader: User) -> None:
    """One certificate each for ``n`` holders (a person holds one per course)."""
    for i, holder in enumerate(_people(n, "Certified Holder")):
        salt = secrets.token_hex(16)
        db.session.add(
            Certificate(
                user_id=holder.id, course_slug="demo", serial=f"PAGED-2026-{i:06d}",
                code=f"{i:015d}", name=f"Paged Holder {i:04d}", course_title="Demo Course",
                certificate_title="Demo Certificate", minutes=30, modules=["Module 1"],
                issued_at=NOW, issuer_name="Issuer", signatory_name="Director",
                signatory_title="Director", content_version="test", recipient_salt=salt,
                recipient_hash=recipient_hash(holder.email, salt), status_index=900_000 + i,
            )
        )  # fmt: skip
    db.session.commit()


def _audit(n: int, actor: User) -> None:
    db.session.add_all(
        AuditEvent(at=NOW, actor_id=actor.id, action="paged", target=f"row:{i:04d}", details={})
        for i in range(n)
    )
    db.session.commit()


def _cohorts(n: int, teacher: User) -> None:
    cohorts = [
        Cohort(
            name=f"Paged Cohort {i:04d}", course_slug="demo", starts_on=date(2026, 3, 1),
            ends_on=date(2026, 6, 30), join_code=f"P{i:07d}", created_by=teacher.id,
            created_at=NOW,
        )
        for i in range(n)
    ]  # fmt: skip
    db.session.add_all(cohorts)
    db.session.flush()
    db.session.add_all(CohortInstructor(cohort_id=c.id, user_id=teacher.id) for c in cohorts)
    db.session.commit()


def _workshops(n: int, teacher: User) -> None:
    db.session.add_all(
        WorkshopSession(
            course_slug="demo", module_slug="01-basics", held_on=date(2026, 3, 2),
            starts_at=time(9), minutes=30, place=f"Paged Hall {i:04d}", facilitator="F",
            created_by=teacher.id, created_at=NOW,
        )
        for i in range(n)
    )  # fmt: skip
    db.session.commit()


def _names(page, selector: str) -> list[str]:
    return [el.get_text(" ", strip=True) for el in page.select(selector)]


# (list URL, the role that reads it, rows made (one past the old limit), row text selector, marker)
LISTS = {
    "people": ("/admin/users", "admin", 101, "li.card.person h2", "Paged Person"),
    "people search": ("/admin/users?q=paged", "admin", 101, "li.card.person h2", "Paged Person"),
    "certificates": (
        "/admin/certificates/",
        "admin",
        101,
        "li.card.certificate h2",
        "Paged Holder",
    ),
    "audit log": ("/admin/audit", "admin", 201, "table.audit tbody td:nth-of-type(4)", "row:"),
    "workshops": ("/teach/", "instructor", 201, "tbody td:nth-of-type(3)", "Paged Hall"),
    "cohorts": ("/teach/cohorts/", "instructor", 501, "tbody td:first-child", "Paged Cohort"),
}
MAKERS = {
    "people": _people,
    "people search": _people,
    "certificates": _certificates,
    "audit log": _audit,
    "workshops": _workshops,
    "cohorts": _cohorts,
}


def _make(name: str, count: int, reader: User) -> None:
    maker = MAKERS[name]
    if maker is _people:
        maker(count)
    else:
        maker(count, reader)


@pytest.mark.parametrize("name", LISTS)
def test_every_row_is_reachable_through_the_page_links(client, make_user, name):
    url, role, count, selector, marker = LISTS[name]
    reader = make_user(role=role, full_name="Zz Reader")
    _make(name, count, reader)
    log_in_quietly(client, reader)
    seen: list[str] = []
    pages = 0
    while url:
        response = client.get(url)
        assert response.status_code == 200, url
        page = soup(response)
        pages += 1
        seen += [t for t in _names(page, selector) if marker in t]
        pager = page.select_one("nav.pager")
        assert pager is not None, "a list longer than a page has page links"
        current = pager.select_one("a[aria-current=page]")
        assert current is not None and current.get_text(strip=True) == str(pages)
        assert f"Page {pages} of " in pager.get_text(" ", strip=True)
        following = pager.select_one("a[rel=next]")
        url = following["href"] if following else None
    assert len(seen) == count, f"{len(seen)} of {count} rows reachable"
    assert len(set(seen)) == count, "a row appears on two pages"
    assert any(t.endswith(f"{count - 1:04d}") for t in seen), "the row past the old limit"
    assert f"Page {pages} of {pages}." in pager.get_text(" ", strip=True)


@pytest.mark.parametrize("name", ["people search", "audit log", "cohorts"])
@pytest.mark.parametrize("bad", ["0", "-1", "abc", "²", "1.5", "", "0x2", " 2"])
def test_a_page_number_that_is_not_a_whole_number_from_1_is_a_400(client, make_user, name, bad):
    url, role, _, _, _ = LISTS[name]
    log_in_quietly(client, make_user(role=role))
    joiner = "&" if "?" in url else "?"
    response = client.get(url + joiner + "page=" + bad)
    assert response.status_code == 400


@pytest.mark.parametrize("name", LISTS)
@pytest.mark.parametrize("far", ["4", "99", str(10**30), "9" * 5000])
def test_a_page_past_the_end_shows_the_last_page(client, make_user, name, far):
    url, role, _, selector, marker = LISTS[name]
    reader = make_user(role=role)
    _make(name, 120, reader)  # three pages of 50
    log_in_quietly(client, reader)
    joiner = "&" if "?" in url else "?"
    response = client.get(url + joiner + "page=" + far)
    assert response.status_code == 200
    page = soup(response)
    assert page.select_one("nav.pager a[aria-current=page]").get_text(strip=True) == "3"
    assert "Page 3 of 3." in page.select_one("nav.pager").get_text(" ", strip=True)
    assert [t for t in _names(page, selector) if marker in t], "the last page has its rows"


def test_a_short_list_has_no_pager_and_a_far_page_shows_it(client, admin):
    log_in_quietly(client, admin)
    for url in (
        "/admin/users",
        "/admin/users?page=7",
        "/admin/audit?page=2",
        "/teach/cohorts/?page=9",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert soup(response).select_one("nav.pager") is None
    assert admin.full_name in soup(client.get("/admin/users?page=7")).get_text()


def test_page_links_keep_the_search(client, admin):
    _people(60)
    log_in_quietly(client, admin)
    page = soup(client.get("/admin/users?q=paged"))
    links = [a["href"] for a in page.select("nav.pager a")]
    assert links and all("q=paged" in href for href in links)
    assert "per_page" not in " ".join(links)


def test_per_page_cannot_be_raised_from_the_address(client, admin):
    _people(120)
    log_in_quietly(client, admin)
    page = soup(client.get("/admin/users?per_page=1000"))
    assert len([t for t in _names(page, "li.card.person h2") if "Paged Person" in t]) == 50


def test_every_row_of_a_roster_preview_is_reachable(client, make_user):
    """The preview once showed the first 500 rows only; every row is on some page now."""
    import io

    from tests.factories import make_cohort

    teacher = make_user(role="instructor")
    cohort = make_cohort(teacher)
    log_in_quietly(client, teacher)
    header = "full name,e-mail,organisation type,organisation,job title,province,district\n"
    rows = "".join(f"Roster Person {i:04d},r{i}@example.org,ngo,,,Sindh,\n" for i in range(1001))
    location = client.post(
        f"/teach/cohorts/{cohort.id}/roster",
        data={"file": (io.BytesIO((header + rows).encode()), "roster.csv")},
        content_type="multipart/form-data",
    ).headers["Location"]
    seen: list[str] = []
    url = location
    while url:
        page = soup(client.get(url))
        seen += _names(page, "table.preview tbody td:nth-of-type(2)")
        following = page.select_one("nav.pager a[rel=next]")
        url = following["href"] if following else None
    assert len(seen) == len(set(seen)) == 1001
    assert "Roster Person 1000" in seen
    last = soup(client.get(location + "?page=" + str(10**30)))
    assert "Page 3 of 3." in last.select_one("nav.pager").get_text(" ", strip=True)
    assert client.get(location + "?page=0").status_code == 400


@pytest.mark.parametrize(
    ("page", "pages", "expected"),
    [
        (6, 12, [1, None, 4, 5, 6, 7, 8, 9, None, 12]),
        (1, 12, [1, 2, 3, 4, None, 12]),
        (12, 12, [1, None, 10, 11, 12]),
        (2, 3, [1, 2, 3]),
        (1, 1, [1]),
    ],
)
def test_in_memory_page_numbers_match_flask_sqlalchemys(page, pages, expected):
    from lms.web.paging import ListPage

    shown = ListPage((), page, pages, pages * 10).iter_pages(
        left_edge=1, left_current=2, right_current=3, right_edge=1
    )
    assert list(shown) == expected
