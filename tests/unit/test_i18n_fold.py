"""``make translations-fold``: the fragments' translations go into messages.po, and a fragment is
removed only when messages.po holds every one of its translations."""

from __future__ import annotations

from lms import i18n

HEADER = 'msgid ""\nmsgstr ""\n"Language: ur\\n"\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'


def test_fold_fills_the_catalogue_and_removes_only_the_fragments_it_holds(tmp_path):
    po = tmp_path / "ur" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    fragments = tmp_path / "ur" / "fragments"
    fragments.mkdir()
    po.write_text(
        HEADER + 'msgid "Save"\nmsgstr ""\n\nmsgid "Log in"\nmsgstr "لاگ ان کریں"\n\n'
        'msgid "%(num)d lesson"\nmsgid_plural "%(num)d lessons"\nmsgstr[0] ""\nmsgstr[1] ""\n',
        encoding="utf-8",
    )
    (fragments / "a.po").write_text(
        HEADER + 'msgid "Save"\nmsgstr "محفوظ کریں"\n\nmsgid "Log in"\nmsgstr "داخل ہوں"\n\n'
        'msgid "%(num)d lesson"\nmsgid_plural "%(num)d lessons"\n'
        'msgstr[0] "%(num)d سبق"\nmsgstr[1] "%(num)d اسباق"\n',
        encoding="utf-8",
    )
    (fragments / "b.po").write_text(
        HEADER + 'msgid "Not in the sources yet"\nmsgstr "ابھی نہیں"\n', encoding="utf-8"
    )

    kept = i18n.fold_fragments(po)

    assert kept == [fragments / "b.po"]
    assert not (fragments / "a.po").exists()
    folded = i18n._read(po, "ur")
    assert folded.get("Save").string == "محفوظ کریں"
    assert folded.get("Log in").string == "لاگ ان کریں"  # a translation already there stays
    assert folded.get(("%(num)d lesson", "%(num)d lessons")).string == (
        "%(num)d سبق",
        "%(num)d اسباق",
    )
    assert folded.get("Not in the sources yet") is None  # only messages the sources have
