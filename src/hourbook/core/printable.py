"""Text as one terminal line shows it safely: the one escaping of control characters.

A file name, a link's target or a value from the books may hold a newline, an escape
sequence or a bidi override; printed as it is, it could break a diagnostic's line or
repaint the terminal. Every message that quotes such text escapes it here. Nothing else
is changed: this is not quoting for a shell, HTML or JSON.
"""

from __future__ import annotations


def escape_controls(text: str) -> str:
    """Text as a terminal line shows it safely: control characters escaped (\\n, \\x1b), the rest as it is.

    Args:
        text: any text.

    Returns:
        `text` itself when every character is printable; otherwise each character that is not
        printable (a control, a format character such as a bidi override, a line or paragraph
        separator), except the plain space, written as Python writes it in a string (`\\n`,
        `\\x1b`, `\\u202e`).
    """
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() or char == " " else repr(char)[1:-1] for char in text)
