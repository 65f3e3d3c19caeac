"""The old site kept as the next build's staging folder (`build.spare_site`).

Only a big site's old folder is kept (`publish.DETACHED_REMOVAL_FILES`, 5 000 files), and only
when most of the new site is linked from it (`spare_site.MIN_KEPT_SHARE`): here always, so that
the small books of test_incremental have one. Every site is compared
with a clean build's bytes.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from test_disk_cache import EDITS
from test_disk_cache import apply_edit
from test_disk_cache import new_process_build
from test_incremental import AS_OF
from test_incremental import BOOKS
from test_incremental import clean_build
from test_incremental import tree

from hourbook.build import publish
from hourbook.build import spare_site
from hourbook.build.builder import Builder
from hourbook.build.cache_folder import CACHE_DIR
from hourbook.build.publish import PublishedSite
from hourbook.build.spare_site import SPARE_PREFIX
from hourbook.build.spare_site import SpareSite


@pytest.fixture
def taken(monkeypatch):
    """Every old site kept (threshold 1, however much of it the build wrote anew); what each
    `SpareSite.take` returned, and each `cp -al` run."""
    monkeypatch.setattr(publish, "DETACHED_REMOVAL_FILES", 1)
    monkeypatch.setattr(spare_site, "MIN_KEPT_SHARE", 0)
    seen = {"take": [], "cp": 0}
    take = SpareSite.take

    def noted(self, *args, **kwargs):
        result = take(self, *args, **kwargs)
        seen["take"].append(result)
        return result

    popen = publish.subprocess.Popen

    def counted(argv, *args, **kwargs):
        seen["cp"] += os.path.basename(str(argv[0])) == "cp"
        return popen(argv, *args, **kwargs)

    monkeypatch.setattr(SpareSite, "take", noted)
    monkeypatch.setattr(publish.subprocess, "Popen", counted)
    return seen


def spares(root: Path) -> list[str]:
    return sorted(name for name in os.listdir(root / CACHE_DIR) if name.startswith(SPARE_PREFIX))


def named_spare(root: Path) -> dict | None:
    return PublishedSite(root, root / "site", root / CACHE_DIR).state.get("spare")


def beside_site(root: Path) -> list[str]:
    return sorted(name for name in os.listdir(root) if name.startswith(".site"))


def with_spare(books) -> Path:
    """Books built, one entry appended and built again: the second build kept the first's site as its spare."""
    root = books(BOOKS)
    new_process_build(root)
    apply_edit(root, *EDITS[0][1:])
    new_process_build(root)
    return root


def test_each_edit_builds_from_the_spare_the_last_build_kept(books, tmp_path, taken):
    root = books(BOOKS)
    new_process_build(root)                 # the first site: nothing to keep
    assert spares(root) == [] and named_spare(root) is None
    # test_disk_cache's edits one after the other: the wrong line put right, the logbook removed last.
    named = {edit[0]: edit for edit in EDITS}
    edits = [named[name] for name in ("append an entry", "change a line", "a line that is wrong")]
    edits.append(("the line put right", "logbook/2026/10.md", "- 1x backup", "- 1h backup"))
    edits += [edit for edit in EDITS if edit not in edits and edit[0] not in ("back as it was", "remove a logbook")]
    edits.append(named["remove a logbook"])
    for number, (what, rel, old, new) in enumerate(edits):
        apply_edit(root, rel, old, new)
        taken["cp"] = 0
        site, record = tree(root / "site"), named_spare(root)
        result = Builder(root, lambda: AS_OF, pdf=False, jobs=1).build()
        if not result.ok:                   # a line that is wrong: the site and its spare stay as they were
            assert tree(root / "site") == site and named_spare(root) == record, what
            assert spares(root) == [record["name"]] and beside_site(root) == [], what
            continue
        assert tree(root / "site") == clean_build(root, tmp_path / f"clean-{number}", pdf=False), what
        record = named_spare(root)
        assert record is not None and spares(root) == [record["name"]], what      # one spare, the state's
        assert beside_site(root) == [], what                                       # no staging folder left
        if number:
            assert taken["take"][-1] is not None and taken["cp"] == 0, what        # linked from the spare
    # The spare differs from the site by the files written anew: here the edited client's and the owner's.
    assert 0 < len(named_spare(root)["rewritten"]) < len(tree(root / "site"))


def test_a_spare_that_is_not_the_old_site_is_not_used(books, tmp_path, taken):
    root = with_spare(books)
    record = named_spare(root)
    spare = root / CACHE_DIR / record["name"]
    probe = PublishedSite(root, root / "site", root / CACHE_DIR).state["probe"]
    rel = next(rel for rel in probe if rel not in record["rewritten"] and rel.endswith(".html"))
    (spare / rel).unlink()
    (spare / rel).write_text("<p>not the site's</p>", encoding="utf-8")     # another file where one of the site's was
    apply_edit(root, *EDITS[1][1:])
    new_process_build(root)
    assert taken["take"][-1] is None                    # not trusted: linked by cp -al instead
    assert tree(root / "site") == clean_build(root, tmp_path / "clean", pdf=False)


def test_a_spare_that_is_a_link_is_neither_used_nor_followed(books, tmp_path, taken):
    root = with_spare(books)
    spare = root / CACHE_DIR / named_spare(root)["name"]
    shutil.rmtree(spare)
    spare.symlink_to(root / "logbook", target_is_directory=True)
    apply_edit(root, *EDITS[1][1:])
    logbook = tree(root / "logbook")
    new_process_build(root)
    assert taken["take"][-1] is None
    assert tree(root / "logbook") == logbook
    assert tree(root / "site") == clean_build(root, tmp_path / "clean", pdf=False)


def test_a_build_that_writes_nothing_puts_the_spare_back(books, tmp_path, taken):
    root = with_spare(books)
    record = named_spare(root)
    apply_edit(root, "logbook/2026/10.md", "- 1h backup", "- 1x backup")   # an error: nothing is written
    result = Builder(root, lambda: AS_OF, pdf=False, jobs=1).build()
    assert not result.ok and taken["take"][-1] is not None
    assert named_spare(root) == record and spares(root) == [record["name"]] and beside_site(root) == []
    apply_edit(root, "logbook/2026/10.md", "- 1x backup", "- 1h backup")
    new_process_build(root)
    assert taken["take"][-1] == frozenset(record["rewritten"])
    assert tree(root / "site") == clean_build(root, tmp_path / "clean", pdf=False)


def test_a_build_killed_with_the_spare_taken_leaves_a_site_the_next_build_repairs(books, tmp_path, taken):
    root = with_spare(books)
    site = tree(root / "site")
    # Killed after taking the spare (a staging folder beside the site), before writing anything.
    PublishedSite(root, root / "site", root / CACHE_DIR).link_early()
    assert len(beside_site(root)) == 1 and spares(root) == []
    assert tree(root / "site") == site
    apply_edit(root, *EDITS[1][1:])
    new_process_build(root)                         # the state names a spare that is gone: cp -al
    assert taken["take"][-1] is None
    assert beside_site(root) == [] and len(spares(root)) == 1
    assert tree(root / "site") == clean_build(root, tmp_path / "clean", pdf=False)


def test_watch_mode_drops_the_spare(books, taken):
    root = with_spare(books)
    assert len(spares(root)) == 1
    builder = Builder(root, lambda: AS_OF, pdf=False, jobs=1)
    builder.background_cleanup = True       # as watch makes it
    apply_edit(root, *EDITS[1][1:])
    assert builder.build().ok
    builder.published.flush()
    assert named_spare(root) is None


def test_the_files_looked_at_in_a_forked_process_are_those_found_here(books, tmp_path, monkeypatch):
    """`site_check.FilesCheck` (threshold 1 here) answers as `stat` does here: files removed, changed
    in place or only touched are not as written; the next build puts them right."""
    from hourbook.build import site_check

    monkeypatch.setattr(site_check, "EARLY_CHECK_FILES", 1)
    monkeypatch.setattr(PublishedSite, "probe", staticmethod(lambda manifest: sorted(manifest)[:1]))
    root = books(BOOKS)
    Builder(root, lambda: AS_OF, pdf=False, jobs=2).build()
    pages = sorted((root / "site" / "owner" / "globex").glob("20*.html"))
    pages[0].unlink()
    with open(pages[1], "a", encoding="utf-8") as page:
        page.write("<!-- by hand -->")
    os.utime(pages[2], ns=(1, 1))
    site = PublishedSite(root, root / "site", root / CACHE_DIR)
    manifest = site.state["manifest"]
    check = site_check.FilesCheck.start(site.out, manifest, jobs=2)
    assert check is not None
    changed = {(root / "site" / rel) for rel in check.changed()}
    assert changed == set(pages[:3])
    assert check.changed() == frozenset(site_check.files_not_as_written(str(site.out), manifest))
    with open(root / "logbook/2026/11.md", "a", encoding="utf-8") as logbook:
        logbook.write("\n# 2026-11-05\n\n## initech\n- 20m appended lighthouse entry #support\n")
    assert Builder(root, lambda: AS_OF, pdf=False, jobs=2).build().ok
    assert tree(root / "site") == clean_build(root, tmp_path / "clean", pdf=False)


def test_a_site_removed_by_hand_leaves_no_spare_of_it(books, tmp_path, taken):
    root = with_spare(books)
    assert len(spares(root)) == 1
    shutil.rmtree(root / "site")
    apply_edit(root, *EDITS[1][1:])
    new_process_build(root)                 # a whole new site: no old one to keep, the last spare goes
    assert named_spare(root) is None
    assert tree(root / "site") == clean_build(root, tmp_path / "clean", pdf=False)
    apply_edit(root, "logbook/2026/10.md", "- 2h15m server update", "- 2h20m server update")
    new_process_build(root)                 # and the next build keeps one again
    assert named_spare(root) is not None and (root / CACHE_DIR / named_spare(root)["name"]).is_dir()
    assert tree(root / "site") == clean_build(root, tmp_path / "clean-2", pdf=False)
