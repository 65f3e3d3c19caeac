"""The bad-books corpus: one books folder per diagnostic hourbook emits, with its exact output.

`tests/bad_books/<case>/` is a books folder with one defect; its `expected.txt` is what
`hourbook check <case> --as-of 2026-11-25` prints on stderr, then `exit N`. A change in a
message's wording or location shows up as a diff of that file. To accept such a change:

    HOURBOOK_GOLDEN_UPDATE=1 .venv/bin/python -m pytest tests/test_bad_books.py

`test_every_diagnostic_has_a_case` reads the modules that report problems in the books,
finds every place that makes a diagnostic (a `diags.error(...)`, a `Diagnostic(...)`, a
`raise ValueError(...)` or `raise YamlError(...)`), traces `check` over every case, and
fails for a place no case reaches: a new diagnostic needs a new case here.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import sys
from pathlib import Path

import pytest

from conftest import run_cli
from hourbook.load import limits

CASES_DIR = Path(__file__).parent / "bad_books"
GOLDEN = "expected.txt"
AS_OF = "2026-11-25"
UPDATE = os.environ.get("HOURBOOK_GOLDEN_UPDATE") == "1"
SRC = Path(limits.__file__).parent.parent   # the hourbook package
# The stages that turn problems in the books into diagnostics for `hourbook check`.
SOURCES = ("load/listing.py", "load/files.py", "load/fields.py", "load/settings.py", "load/contracts.py",
           "load/contract_parts.py", "load/logbook_words.py", "load/markdown_logbook.py", "load/yaml_logbook.py",
           "load/books.py", "load/scalars.py", "load/yaml_reader.py", "load/client_view.py", "load/tag_aliases.py",
           "load/payments.py", "load/exchange_rates.py", "checks/books.py", "checks/spelling.py", "checks/payments.py",
           "core/pricing.py", "load/reminder_fields.py")
# Places that make a diagnostic no books can reach, each with the reason. Keyed by a piece
# of the message as written in the source, so that moving code does not break the list.
UNREACHABLE = {
    ("load/yaml_reader.py", '"not a number:'): "the float resolver only matches text that Decimal reads",
    ("load/yaml_reader.py", '"unsupported YAML node"'): "PyYAML composes only scalar, sequence and mapping nodes",
    ("load/yaml_reader.py", '"YAML error:'): "the only unmarked YAMLError, the reader's, is handled just above it",
    ("load/fields.py", "except TypeError"): "no field reader raises TypeError for what YAML gives (never a float)",
}


def cases() -> list[str]:
    return sorted(p.name for p in CASES_DIR.iterdir() if p.is_dir())


def _lower_file_limit(monkeypatch, unused_root: Path) -> None:
    # 64 MB is too much for a repository; the limit itself is what this case pins.
    monkeypatch.setattr(limits, "MAX_FILE_BYTES", 200)


def _unreadable_logbook(monkeypatch, root: Path) -> None:
    # The tests may run as root, which reads files of any mode: refuse the read instead.
    from hourbook.load import files

    target = root / "logbook" / "2026-11.md"

    real = os.open

    def refusing_open(path, *args, **kwargs):
        if Path(path) == target:
            raise PermissionError(13, "Permission denied", str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(files.os, "open", refusing_open)     # what load.files.read_file opens with


def _pipe_after_listing(monkeypatch, root: Path) -> None:
    # The logbook was a file when the books were listed and is a FIFO when read: open a FIFO in its place.
    from hourbook.load import files

    target = root / "logbook" / "2026-11.md"
    pipe = root / "pipe"
    os.mkfifo(pipe)
    real = os.open

    def opening_a_pipe(path, *args, **kwargs):
        return real(pipe if Path(path) == target else path, *args, **kwargs)

    monkeypatch.setattr(files.os, "open", opening_a_pipe)


def _lower_limit(name: str, value: int):
    def hook(monkeypatch, unused_root: Path) -> None:
        monkeypatch.setattr(limits, name, value)  # the real limits take megabytes to reach
    return hook


def _unreadable_folder(monkeypatch, root: Path) -> None:
    # As root, a folder of mode 000 still lists: refuse the listing of logbook/2026 instead.
    locked = str(root / "logbook" / "2026")
    real = os.scandir

    def scandir(path="."):
        if os.fspath(path) == locked:
            raise PermissionError(13, "Permission denied", locked)
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)


def _fifo_logbook(unused_monkeypatch, root: Path) -> None:
    # git cannot hold a FIFO: make one where a logbook file would be (check must not open it).
    os.mkfifo(root / "logbook" / "pipe.md")


HOOKS = {
    "file-too-large": _lower_file_limit,
    "file-unreadable": _unreadable_logbook,
    "file-became-a-pipe": _pipe_after_listing,
    "folder-unreadable": _unreadable_folder,
    "logbook-fifo": _fifo_logbook,
    "yaml-file-too-large": _lower_limit("MAX_YAML_BYTES", 100),
    "logbooks-too-large": _lower_limit("MAX_LOGBOOK_BYTES", 100),
    "too-many-entries": _lower_limit("MAX_ENTRIES", 3),
}


def check_output(case: str, root: Path, monkeypatch) -> str:
    """Copy the case to `root` (check may write a cache beside the books), run check, return the golden text."""
    shutil.copytree(CASES_DIR / case, root, ignore=shutil.ignore_patterns(GOLDEN), symlinks=True)
    with monkeypatch.context() as patch:
        if case in HOOKS:
            HOOKS[case](patch, root)
        code, out, err = run_cli("check", str(root), "--as-of", AS_OF)
    assert out == ""
    return f"{err}exit {code}\n"


@pytest.mark.parametrize("case", cases())
def test_bad_book(case, tmp_path, monkeypatch):
    actual = check_output(case, tmp_path / "books", monkeypatch)
    golden = CASES_DIR / case / GOLDEN
    if UPDATE:
        golden.write_text(actual, encoding="utf-8")
    assert golden.is_file(), f"no {GOLDEN} for {case}: run with HOURBOOK_GOLDEN_UPDATE=1"
    assert actual == golden.read_text(encoding="utf-8")
    # Every case is there for a diagnostic, and every diagnostic line has the editor's form.
    lines = actual.splitlines()
    diagnostics = [line for line in lines[:-2]]
    assert diagnostics, f"{case} reports nothing"
    for line in diagnostics:
        path, line_number, severity, message = line.split(":", 3) if line.count(":") >= 3 else ("", "", "", "")
        assert line_number.isdigit() and severity.strip() in ("error", "warning") and message, line


def test_cases_are_distinct():
    """No two cases print the same thing: each pins a diagnostic of its own."""
    seen: dict[str, str] = {}
    for case in cases():
        golden = (CASES_DIR / case / GOLDEN).read_text(encoding="utf-8")
        assert golden not in seen, f"{case} prints exactly what {seen[golden]} prints"
        seen[golden] = case


# ------------------------------------------------------------------ every diagnostic has a case


def diagnostic_sites(module: str) -> list[tuple[int, int, str]]:
    """(first line, last line, source) of every place in a module that makes a diagnostic."""
    text = (SRC / module).read_text(encoding="utf-8")
    tree = ast.parse(text)
    sites = []

    def visit(node, function: str) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            function = node.name
        call = node.exc if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) else None
        if call is not None and isinstance(call.func, ast.Name) and call.func.id in ("ValueError", "YamlError"):
            sites.append(node)
        elif isinstance(node, ast.Call):
            func = node.func
            if (isinstance(func, ast.Attribute) and func.attr == "error" and isinstance(func.value, ast.Name)
                    and func.value.id == "diags"):
                sites.append(node)
            elif isinstance(func, ast.Name) and func.id == "Diagnostic" and function != "error":
                sites.append(node)  # (`Problems.error` itself is the helper, not a site)
        for child in ast.iter_child_nodes(node):
            visit(child, function)

    visit(tree, "")
    lines = text.splitlines()
    found = []
    for node in sites:
        # A site in an `except X:` block is known by its handler line too.
        found.append((node.lineno, node.end_lineno, "\n".join(lines[node.lineno - 2:node.end_lineno])))
    return found


@pytest.mark.slow  # every bad-books case run under a line tracer
def test_every_diagnostic_has_a_case(tmp_path, monkeypatch):
    files = {str((SRC / module).resolve()): module for module in SOURCES}
    executed: set[tuple[str, int]] = set()

    def tracer(frame, event, unused_arg):
        module = files.get(frame.f_code.co_filename)
        if module is None:
            return None
        if event == "line":
            executed.add((module, frame.f_lineno))
        return tracer

    # A RecursionError that lands in the tracer itself (a deeply nested case) unsets it for good:
    # it goes back before each case, and such a case is known by what it printed instead.
    untraced_output = []
    previous = sys.gettrace()
    try:
        for number, case in enumerate(cases()):
            sys.settrace(tracer)
            output = check_output(case, tmp_path / str(number), monkeypatch)
            if sys.gettrace() is not tracer:
                untraced_output.append(output)
    finally:
        sys.settrace(previous)
    missing = []
    for module in SOURCES:
        sites = diagnostic_sites(module)
        assert sites, f"no diagnostics found in {module}: has the code moved?"
        for first, last, source in sites:
            if any((module, line) in executed for line in range(first, last + 1)):
                continue
            message = max(re.findall(r'"([^"{}]*)', source), key=len, default="")
            if len(message) >= 12 and any(message in output for output in untraced_output):
                continue
            if any(module == mod and piece in source for (mod, piece) in UNREACHABLE):
                continue
            missing.append(f"{module}:{first}: {source.strip().splitlines()[-1].strip()[:100]}")
    assert not missing, "diagnostics without a case in tests/bad_books/:\n" + "\n".join(missing)


def test_unreachable_list_is_current():
    """Every exemption still names a place in the code (else it hides nothing and must go)."""
    for (module, piece), unused_reason in UNREACHABLE.items():
        assert any(piece in source for _, _, source in diagnostic_sites(module)), (module, piece)
