"""What people read: diagnostics as `path:line: severity: message`, escaped text, counts and summaries."""

from __future__ import annotations

import pytest

from hourbook.core.printable import escape_controls
from hourbook.core.records import WARNING
from hourbook.core.records import Diagnostic
from hourbook.core.records import Source
from hourbook.output.text import counted
from hourbook.output.text import format_diagnostic
from hourbook.output.text import summary_line


def error(path: str = "logbook/2026-11.md", line: int = 12, message: str = "unknown client 'acme'") -> Diagnostic:
    return Diagnostic(Source(path, line), message)


def warning(message: str = "no rate") -> Diagnostic:
    return Diagnostic(Source("contracts/acme.yaml", 3), message, WARNING)


# ---------------------------------------------------------------- format_diagnostic


def test_format_diagnostic_is_path_line_severity_message():
    assert format_diagnostic(error()) == "logbook/2026-11.md:12: error: unknown client 'acme'"
    assert format_diagnostic(warning()) == "contracts/acme.yaml:3: warning: no rate"


def test_format_diagnostic_of_a_whole_file_and_of_a_pseudo_source():
    assert format_diagnostic(error("hourbook.yaml", 1, "missing")) == "hourbook.yaml:1: error: missing"
    assert format_diagnostic(error("<environment>", 0, "too weak")) == "<environment>:0: error: too weak"


def test_format_diagnostic_escapes_control_characters_in_the_file_name():
    shown = format_diagnostic(error("logbook/evil\n2026.md", 1, "is a FIFO"))
    assert shown == "logbook/evil\\n2026.md:1: error: is a FIFO"
    assert "\n" not in shown
    assert format_diagnostic(error("logbook/\x1b[2Jx.md", 4, "m")) == "logbook/\\x1b[2Jx.md:4: error: m"


def test_format_diagnostic_leaves_the_message_as_worded():
    # A message escapes what it quotes itself (see escape_controls); its own words are not touched.
    assert format_diagnostic(error(message="expected «1h», got 'é'")) == (
        "logbook/2026-11.md:12: error: expected «1h», got 'é'")


# ---------------------------------------------------------------- escape_controls


@pytest.mark.parametrize("text", ["", "plain text", "Café Ñ 東京 🖥", "tabs? none", "quotes ' \" and \\ stay"])
def test_escape_controls_leaves_printable_text_as_it_is(text):
    assert escape_controls(text) == text


@pytest.mark.parametrize("text, shown", [
    ("a\nb", "a\\nb"),
    ("a\r\nb", "a\\r\\nb"),
    ("col\tcol", "col\\tcol"),
    ("\x00", "\\x00"),
    ("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m"),     # a terminal escape cannot repaint the screen
    ("\x7f", "\\x7f"),
    ("\x85next line", "\\x85next line"),                # C1 controls too
    ("line\u2028separator", "line\\u2028separator"),
    ("no\xa0break", "no\\xa0break"),                    # only the plain space is left as a space
    ("zero\u200bwidth", "zero\\u200bwidth"),
])
def test_escape_controls_escapes_control_characters(text, shown):
    assert escape_controls(text) == shown


@pytest.mark.parametrize("text, shown", [
    ("invoice\u202efdp.exe", "invoice\\u202efdp.exe"),   # RIGHT-TO-LEFT OVERRIDE: cannot reverse what follows
    ("\u202aembed\u202c", "\\u202aembed\\u202c"),
    ("\u202bembed\u202c", "\\u202bembed\\u202c"),
    ("\u202doverride\u202c", "\\u202doverride\\u202c"),
    ("\u2066isolate\u2069", "\\u2066isolate\\u2069"),
    ("\u2067isolate\u2069", "\\u2067isolate\\u2069"),
    ("\u2068isolate\u2069", "\\u2068isolate\\u2069"),
    ("mark\u200fs", "mark\\u200fs"),
])
def test_escape_controls_escapes_bidi_controls(text, shown):
    assert escape_controls(text) == shown


def test_escape_controls_keeps_the_letters_around_what_it_escapes():
    assert escape_controls("Café\n東京 🖥\t!") == "Café\\n東京 🖥\\t!"


# ---------------------------------------------------------------- counted and summary_line


@pytest.mark.parametrize("number, words, shown", [
    (0, ("client",), "0 clients"),
    (1, ("client",), "1 client"),
    (2, ("client",), "2 clients"),
    (0, ("entry", "entries"), "0 entries"),
    (1, ("entry", "entries"), "1 entry"),
    (1000, ("entry", "entries"), "1000 entries"),
    (1, ("error",), "1 error"),
    (3, ("warning",), "3 warnings"),
])
def test_counted_says_one_or_many(number, words, shown):
    assert counted(number, *words) == shown


@pytest.mark.parametrize("diagnostics, shown", [
    ([], "0 errors, 0 warnings"),
    ([error()], "1 error, 0 warnings"),
    ([warning()], "0 errors, 1 warning"),
    ([error(), warning()], "1 error, 1 warning"),
    ([error(), error(line=13), warning(), warning("other"), warning("third")], "2 errors, 3 warnings"),
])
def test_summary_line_adds_up_errors_and_warnings(diagnostics, shown):
    assert summary_line(diagnostics) == shown


def test_version_names_the_installed_package():
    import importlib.metadata

    from conftest import run_cli

    code, out, err = run_cli("--version")
    assert (code, out, err) == (0, f"hourbook {importlib.metadata.version('hourbook')}\n", "")
