"""What a file is: from its stat mode, in words for a message (the listing, the register, the
link secret and the site folder name what they find where a file or folder should be); from
its name, which books file it can be (a logbook in Markdown or YAML, a contract)."""

from __future__ import annotations

import os
import stat

MARKDOWN_SUFFIXES = (".md", ".markdown")
YAML_SUFFIXES = (".yaml", ".yml")
LOGBOOK_SUFFIXES = MARKDOWN_SUFFIXES + YAML_SUFFIXES
CONTRACT_SUFFIXES = YAML_SUFFIXES           # any case: the loader asks for `.yaml` written as such

_KINDS = ((stat.S_ISREG, "a file"), (stat.S_ISDIR, "a folder"), (stat.S_ISLNK, "a symbolic link"),
          (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"))


def file_kind(mode: int, fifo: str = "a named pipe (FIFO)") -> str:
    """What a stat mode is, in words for a message: `a folder`, `a named pipe (FIFO)`, `a socket`...

    Args:
        mode: a stat mode (`st_mode`).
        fifo: the words for a FIFO: the site's messages (`hourbook.site`) say `a FIFO`.
    """
    if stat.S_ISFIFO(mode):
        return fifo
    return next((name for test, name in _KINDS if test(mode)), "a special file")


def not_a_plain_file(mode: int) -> str:
    """The message for a FIFO, socket, device or folder where the books have a file to read."""
    return f"is {file_kind(mode)}, not a file: hourbook reads only plain files here; remove it or rename it"


def has_suffix(name: str, suffixes: tuple[str, ...]) -> bool:
    """Whether a file name's extension (`os.path.splitext`'s, any case) is one of `suffixes`: a
    dot after at least one character that is not a dot. Asked of every name of the books."""
    dot = name.rfind(".")
    return dot > 0 and name[dot:].lower() in suffixes and name[:dot].strip(".") != ""


def is_yaml(path) -> bool:
    """Whether a file (a path, or its text) is YAML by its name: `.yaml` or `.yml`, any case."""
    text = os.fspath(path)
    if text[-4:].lower() not in _YAML_ENDS:      # most names (Markdown logbooks): told by their end
        return False
    return has_suffix(os.path.basename(text), YAML_SUFFIXES)


_YAML_ENDS = (".yml", "yaml")   # the last four characters of every name `is_yaml` takes
