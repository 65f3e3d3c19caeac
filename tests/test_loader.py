"""Loading books: YAML's 1.1 traps closed, locations kept, all problems in one run."""

from __future__ import annotations

import dataclasses
import datetime
from decimal import Decimal

import pytest

from hourbook.core.records import Source
from hourbook.load.books import load_books
from hourbook.load.yaml_reader import YamlError
from hourbook.load.yaml_reader import parse_yaml

from conftest import run_cli

CONTRACT = """\
name: ACME
terms:
  - from: 2026-01-01
    kind: hourly
    rate: 60.50
"""


def test_yaml_traps_are_closed():
    data = parse_yaml("time: 10:25\nby: no\nok: yes\nrate: 60.10\nwhen: 2026-11-03\non: off\nflag: true\n")
    assert data["time"] == "10:25"             # not the sexagesimal integer 625
    assert data["by"] == "no"                  # not False
    assert data["ok"] == "yes"
    assert data["rate"] == Decimal("60.10")    # exactly, never through float
    assert isinstance(data["rate"], Decimal)
    assert data["when"] == datetime.date(2026, 11, 3)
    assert data["on"] == "off"
    assert data["flag"] is True


def test_yaml_values_keep_their_lines():
    data = parse_yaml("a: 1\nb:\n  - x\n  - y\n", first_line=5)
    assert data.line_of("a") == 5
    assert data.line_of("b") == 6
    assert data["b"].line_of(1) == 8


def test_yaml_syntax_error_has_its_line():
    with pytest.raises(YamlError) as caught:
        parse_yaml("a: 1\nb: [unclosed\nc: 2\n")
    assert caught.value.line == 3
    assert caught.value.message.startswith("YAML syntax error")


def test_yaml_alias_bomb_is_refused():
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for level in "bcdefghij":
        previous = chr(ord(level) - 1)
        bomb += f"{level}: &{level} [" + ", ".join([f"*{previous}"] * 10) + "]\n"
    with pytest.raises(YamlError) as caught:
        parse_yaml(bomb)
    assert "more than" in caught.value.message


def test_records_are_immutable(books):
    root = books({"contracts/acme.yaml": CONTRACT})
    loaded, diagnostics = load_books(root)
    assert diagnostics == []
    with pytest.raises(dataclasses.FrozenInstanceError):
        loaded.contracts[0].id = "other"
    assert loaded.contracts[0].terms[0].rate == Decimal("60.50")


def test_markdown_entry_parts_and_source(books):
    root = books({
        "contracts/acme.yaml": CONTRACT,
        "logbook/n.md": """\
            ---
            client: acme
            ---
            # 2026-11-03 (Tuesday)

            Prose is ignored.
            - 09:10–10:25 @Ana printer driver #Support #approved #urgent
              They replaced the driver.

              - and a sub-list
            - [ ] @pedro bigger logo #change
            - [x] done thing
        """,
    })
    loaded, diagnostics = load_books(root)
    assert diagnostics == []
    entry, request, done = loaded.entries
    assert entry.source == Source("logbook/n.md", 7)
    assert (entry.kind, entry.minutes, entry.start, entry.end) == ("time", 75, 550, 625)
    assert (entry.by, entry.tags, entry.approved) == ("ana", ("support", "urgent"), True)
    assert entry.description == "printer driver"
    assert entry.details == "They replaced the driver.\n\n- and a sub-list"
    assert (request.kind, request.done, request.by, request.description) == ("request", False, "pedro", "bigger logo")
    assert (done.kind, done.done) == ("request", True)


def test_every_problem_in_one_run_sorted_with_exit_1(books):
    root = books({
        "hourbook.yaml": "seller: {name: Ana}\nperod: month\n",
        "contracts/acme.yaml": CONTRACT.replace("rate: 60.50", "rate: 60.50\n    incremnt: 15m"),
        "contracts/acme.yml": "name: again\n",
        "logbook/a.md": """\
            # 2026-11-03
            ## acme
            - 10:00-10:00 nothing
            - 1x30 what
            - 1h #q-9 on a quote that isn't there
            ## acmee
            - 30m typo
            # 2025-12-01
            ## acme
            - 1h before the contract
            - 09:00-10:00 first
            - 09:30-10:30 second
        """,
        "logbook/b.yaml": "client: acme\nentries:\n  - date: 2026-11-04\n    duration: 45\n",
    })
    code, out, err = run_cli("check", str(root), "--as-of", "2026-11-25")
    assert code == 1
    assert "Traceback" not in err
    assert err.splitlines()[:-1] == [
        "contracts/acme.yaml:6: error: unknown term field 'incremnt' (did you mean 'increment'?)",
        "contracts/acme.yml:1: error: duplicate client id 'acme': also contracts/acme.yaml",
        "hourbook.yaml:2: error: unknown hourbook.yaml field 'perod' (did you mean 'period'?)",
        "logbook/a.md:3: error: the range '10:00-10:00' ends when it starts",
        "logbook/a.md:4: error: cannot read the time '1x30': expected a range like 09:10-10:25 "
        "or a duration like 45m, 1h30m, 1.5h or 0:45",
        "logbook/a.md:5: error: unknown quote id 'q-9' for client 'acme' (it has no quotes)",
        "logbook/a.md:7: error: unknown client 'acmee' (did you mean 'acme'?)",
        "logbook/a.md:10: error: entry before any term: client 'acme' has terms from 2026-01-01, "
        "this entry is 2025-12-01",
        "logbook/a.md:11: error: entry before any term: client 'acme' has terms from 2026-01-01, "
        "this entry is 2025-12-01",
        "logbook/a.md:12: error: entry before any term: client 'acme' has terms from 2026-01-01, "
        "this entry is 2025-12-01",
        "logbook/a.md:12: warning: 09:30-10:30 overlaps 09:00-10:00 on 2025-12-01 at logbook/a.md:11",
        "logbook/b.yaml:4: error: entry field 'duration': a bare number is ambiguous: write 45m or 45h",
    ]
    assert err.splitlines()[-1] == "1 client, 5 entries: 11 errors, 1 warning"


def test_non_utf8_is_an_error_at_its_line(books):
    root = books({"contracts/acme.yaml": CONTRACT})
    (root / "logbook").mkdir()
    (root / "logbook" / "x.md").write_bytes(b"# 2026-11-03\n## acme\n- 1h caf\xe9\n")
    code, _, err = run_cli("check", str(root), "--as-of", "2026-11-25")
    assert code == 1
    assert "logbook/x.md:3: error: not valid UTF-8 (byte 0xe9 at offset 29); save the file as UTF-8" in err


def test_usage_errors_exit_2(tmp_path):
    assert run_cli("check", str(tmp_path / "missing"))[0] == 2
    assert run_cli("frobnicate")[0] == 2
    assert run_cli("check", str(tmp_path), "--as-of", "yesterday")[0] == 2


def test_a_broken_contract_is_reported_once_not_through_its_entries(books):
    root = books({
        "contracts/acme.yaml": CONTRACT.replace("kind: hourly", "kind: hourlyy"),
        "logbook/a.md": "# 2026-11-03\n## acme\n- 1h work\n- 2h more work\n",
    })
    code, _, err = run_cli("check", str(root), "--as-of", "2026-11-25")
    assert code == 1
    assert err.splitlines() == [
        "contracts/acme.yaml:4: error: term kind must be one of hourly, retainer, prepaid, free, "
        "got 'hourlyy' (did you mean 'hourly'?)",
        "1 client, 2 entries: 1 error, 0 warnings",       # the client is there; its contract is broken
    ]


def test_a_contract_field_that_cannot_be_read_leaves_the_contract_out(books):
    """A rate of 'sixty' is not "no rate": no follow-on 'add a rate:' warning for its entries."""
    root = books({
        "contracts/acme.yaml": CONTRACT.replace("rate: 60.50", "rate: sixty"),
        "logbook/a.md": "# 2026-11-03\n## acme\n- 1h work\n",
    })
    code, _, err = run_cli("check", str(root), "--as-of", "2026-11-25")
    assert code == 1
    assert err.splitlines() == [
        "contracts/acme.yaml:5: error: term field 'rate': expected an amount like 60 or 45.50, got 'sixty'",
        "1 client, 1 entry: 1 error, 0 warnings",
    ]


def test_a_file_that_became_a_pipe_after_the_listing_is_reported_not_waited_on(tmp_path):
    """`read_file` opens without blocking: a logbook replaced by a FIFO between the listing and the
    reading (the listing reports the ones it sees) is an error at its path, and nothing hangs."""
    import os

    from hourbook.load.files import read_file
    from hourbook.load.problems import Problems

    pipe = tmp_path / "logbook" / "2026-11.md"
    pipe.parent.mkdir()
    os.mkfifo(pipe)
    diags = Problems()
    assert read_file(tmp_path, pipe, diags) is None
    assert [(d.source.path, d.message) for d in diags] == [
        ("logbook/2026-11.md", "is a named pipe (FIFO), not a file: hourbook reads only plain files here; "
                               "remove it or rename it")]
    folder = tmp_path / "logbook" / "2026-12.md"
    folder.mkdir()
    diags = Problems()
    assert read_file(tmp_path, folder, diags) is None
    assert "is a folder, not a file" in diags[0].message
