"""hourbook's own words: every language has every key English has, and no other.

A missing key would show English (or the key itself) on a client's Spanish page; an
extra key is a typo that no template reads.
"""

from __future__ import annotations

import string

import pytest
import yaml

from hourbook.render.locale_files import LOCALES_DIR
from hourbook.render.locale_files import language_words
from hourbook.render.locale_files import languages

LANGUAGES = languages()


def flat(words: dict, prefix: str = "") -> dict[str, str]:
    out = {}
    for key, value in words.items():
        if isinstance(value, dict):
            out.update(flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = str(value)
    return out


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_the_five_languages_are_there():
    assert set(LANGUAGES) >= {"bg", "de", "en", "es", "ru"}


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != "en"])
def test_every_language_has_the_english_keys_and_placeholders(language):
    english = flat(language_words("en"))
    other = flat(language_words(language))
    assert sorted(set(english) - set(other)) == [], f"{language} lacks these keys"
    assert sorted(set(other) - set(english)) == [], f"{language} has keys English does not"
    wrong = {key: (placeholders(english[key]), placeholders(text)) for key, text in other.items()
             if placeholders(text) != placeholders(english[key])}
    assert wrong == {}, f"{language}: placeholders differ from English"


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_key_is_defined_by_two_files_of_a_language(language):
    seen: dict[str, str] = {}
    for path in sorted((LOCALES_DIR / language).glob("*.yaml")):
        for key in flat(yaml.safe_load(path.read_text(encoding="utf-8")) or {}):
            assert key not in seen, f"{language}: {key} in both {seen.get(key)} and {path.name}"
            seen[key] = path.name
