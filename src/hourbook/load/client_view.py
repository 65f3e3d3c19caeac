"""What clients see of the books: `show_tags:` and `hours:`, in hourbook.yaml and in a contract.

`show_tags:` lists the tags a client may see on its statements, index and invoices; every other
tag stays the freelancer's. It is a list of tags, or a mapping of tag -> display names by
language, where an empty value keeps the built-in name (or the tag itself):

    show_tags: [onsite, urgent]
    show_tags:
      onsite: {es: presencial, en: on site, de: vor Ort}
      urgent:                       # the built-in name in each language
      hotline: Hotline              # one name in every language

A contract's list adds to hourbook.yaml's; a tag in both takes the contract's names, language by
language, over the books'. `hours:` is `h:mm` (the default: 1:30) or `decimal` (1.50); a
contract's wins over hourbook.yaml's. Each bad value is an error at its own line; nothing here
decides how a tag or an hour is printed (that is `render.client_words`).
"""

from __future__ import annotations

from babel import Locale
from babel import UnknownLocaleError

from hourbook.core.records import HOURS_FORMS
from hourbook.core.records import ShownTag
from hourbook.load.fields import text_field
from hourbook.load.fields import yaml_kind
from hourbook.load.problems import Problems
from hourbook.load.scalars import parse_tag
from hourbook.load.scalars import shown
from hourbook.load.yaml_reader import YList
from hourbook.load.yaml_reader import YMap

ALL_LANGUAGES = "*"         # a name given as plain text: the same in every language


def hours_form_field(value) -> str:
    """`h:mm` or `decimal`: how hours are shown to clients."""
    name = text_field(value).strip().lower()
    if name not in HOURS_FORMS:
        raise ValueError(f"expected one of {', '.join(HOURS_FORMS)}, got {shown(value)}")
    return name


def read_show_tags(raw, owner: YMap, rel: str, diags: Problems, field: str = "show_tags") -> tuple[ShownTag, ...]:
    """`show_tags:` of hourbook.yaml or a contract -> the tags shown, each problem an error at its line.

    Args:
        raw: what YAML gave for `show_tags` (a list or a mapping).
        owner: the mapping that holds `show_tags` (for its line).
        rel: the file, relative to the books.
        diags: where the errors go; a bad item is left out (it changes no price, so the contract stays).
        field: the field read: `show_tags`, or `reasons` (hourbook.yaml, docs/requests.md), the same shape.
    """
    line = owner.line_of(field)
    if isinstance(raw, YList):
        items = [(item, None, raw.line_of(index)) for index, item in enumerate(raw)]
    elif isinstance(raw, YMap):
        items = [(key, value, raw.line_of(key)) for key, value in raw.items()]
    else:
        diags.error(rel, line, f"{field} must be a list of tags, or a mapping of tag: {{language: name}}, "
                    f"got {yaml_kind(raw)}")
        return ()
    shown_tags: dict[str, ShownTag] = {}
    for key, names, item_line in items:
        try:
            tag = parse_tag(key)
        except ValueError as exc:
            diags.error(rel, item_line, f"{field}: {exc}")
            continue
        if tag in shown_tags:
            diags.error(rel, item_line, f"{field}: tag {tag!r} is listed twice")
            continue
        try:
            shown_tags[tag] = ShownTag(tag, read_names(names, item_line, rel, diags, field))
        except ValueError as exc:
            diags.error(rel, item_line, f"{field}: tag {tag!r}: {exc}")
    return tuple(shown_tags.values())


def read_names(names, line: int, rel: str, diags: Problems, field: str = "show_tags") -> tuple[tuple[str, str], ...]:
    """A tag's display names: nothing, one text for every language, or {language: name} (of `field`)."""
    if names is None or (isinstance(names, YMap) and not names):
        return ()
    if not isinstance(names, YMap):
        if isinstance(names, YList):
            raise ValueError(f"expected a name, or a mapping of language: name, got {yaml_kind(names)}")
        return ((ALL_LANGUAGES, text_field(names).strip()),)
    result = []
    for language, name in names.items():
        code = str(language).strip().replace("-", "_")
        try:
            Locale.parse(code)
        except (ValueError, TypeError, UnknownLocaleError):
            diags.error(rel, names.line_of(language), f"{field}: unknown language {shown(language)}; "
                        "use a code like en, es, de, ru, bg (or en_GB)")
            continue
        try:
            text = text_field(name).strip()
        except ValueError as exc:
            diags.error(rel, names.line_of(language), f"{field}: name in {code!r}: {exc}")
            continue
        if not text:
            diags.error(rel, names.line_of(language), f"{field}: the name in {code!r} is empty")
            continue
        result.append((code, text))
    return tuple(result)


def merge_show_tags(books: tuple[ShownTag, ...], contract: tuple[ShownTag, ...]) -> tuple[ShownTag, ...]:
    """The books' shown tags plus the contract's; a tag in both takes the contract's names over the books'."""
    merged = {shown_tag.tag: dict(shown_tag.names) for shown_tag in books}
    for shown_tag in contract:
        names = dict(shown_tag.names)
        # One name for every language replaces the books' names in each language.
        merged[shown_tag.tag] = names if ALL_LANGUAGES in names else {**merged.get(shown_tag.tag, {}), **names}
    return tuple(ShownTag(tag, tuple(names.items())) for tag, names in merged.items())
