"""The file index (`build/file_index.py`): a file is read again exactly when it may have changed."""

from __future__ import annotations

import os
import time

from hourbook.build import file_index
from hourbook.build.disk_cache import RecordStore
from hourbook.build.file_index import FileIndex
from hourbook.build.file_index import content_digest


def run(folder, path, racy=None, monkeypatch=None):
    """One run of a process: a new index from the records, the file's digest, the index saved."""
    if racy is not None:
        monkeypatch.setattr(file_index, "RACY_SECONDS", racy)
    index = FileIndex(RecordStore(folder))
    digest, data = index.digest(path)
    index.save()
    return index, digest, data


def test_an_unchanged_file_is_not_read_again_and_a_changed_one_is(tmp_path, monkeypatch):
    path = tmp_path / "11.md"
    path.write_bytes(b"- 1h backup\n")
    time.sleep(0.01)
    index, digest, data = run(tmp_path / "cache", path, racy=0, monkeypatch=monkeypatch)
    assert (index.read, digest, data) == (1, content_digest(b"- 1h backup\n"), b"- 1h backup\n")
    index, again, data = run(tmp_path / "cache", path)
    assert (index.read, again, data) == (0, digest, None)
    # Same size, same modification time put back by hand: the change time still moved.
    before = os.stat(path)
    path.write_bytes(b"- 2h backup\n")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    index, changed, data = run(tmp_path / "cache", path)
    assert (index.read, changed, data) == (1, content_digest(b"- 2h backup\n"), b"- 2h backup\n")


def test_a_file_changed_just_before_the_run_is_read_again_by_the_next(tmp_path, monkeypatch):
    """Racy git: a file changed within `RACY_SECONDS` of a run is not kept in its index."""
    path = tmp_path / "11.md"
    path.write_bytes(b"- 1h backup\n")
    for _ in range(2):
        index, digest, _ = run(tmp_path / "cache", path, racy=3600, monkeypatch=monkeypatch)
        assert index.read == 1 and digest == content_digest(b"- 1h backup\n")


def test_a_torn_index_is_ignored(tmp_path, monkeypatch):
    path = tmp_path / "11.md"
    path.write_bytes(b"- 1h backup\n")
    time.sleep(0.01)
    run(tmp_path / "cache", path, racy=0, monkeypatch=monkeypatch)
    record = tmp_path / "cache" / "records" / file_index.INDEX_KIND / file_index.INDEX_KEY
    record.write_bytes(record.read_bytes()[:-3])
    index, digest, _ = run(tmp_path / "cache", path)
    assert index.read == 1 and digest == content_digest(b"- 1h backup\n")


def test_an_unreadable_or_missing_file_has_no_digest(tmp_path):
    index = FileIndex()
    assert index.digest(tmp_path / "missing.md") == (None, None)
