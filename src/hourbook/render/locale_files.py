"""The words of each language, read from `locales/<language>/*.yaml`.

Each language is a folder, and each file in it one part of the words: `pages.yaml`
for the statement pages, `invoice.yaml` (under `invoice:`) for invoices, and so on.
The files of a folder are merged into one mapping; a key defined by two files of the
same language is a bug in hourbook's own files (a test checks there is none). Every
language has the same keys as English (a test checks that too).
"""

from __future__ import annotations

import functools
from pathlib import Path

import yaml

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
# hourbook's own files: libyaml's loader when PyYAML has it (0.2 s less a process for two languages).
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def languages() -> tuple[str, ...]:
    """The languages hourbook speaks, as their folders name them: `bg`, `de`, `en` …"""
    return tuple(sorted(path.name for path in LOCALES_DIR.iterdir() if path.is_dir()))


@functools.lru_cache(maxsize=None)
def language_words(language: str) -> dict:
    """Every file of `locales/<language>/` merged: key -> text, or key -> mapping (`invoice:`)."""
    merged: dict = {}
    folder = LOCALES_DIR / language
    if not folder.is_dir():
        return merged
    for path in sorted(folder.glob("*.yaml")):
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER) or {}
        for key, value in data.items():
            if isinstance(value, dict) and isinstance(merged.get(key), dict):
                merged[key] = {**merged[key], **value}
            else:
                merged[key] = value
    return merged
