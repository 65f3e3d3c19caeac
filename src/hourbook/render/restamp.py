"""An owner's page made to show another commit without rendering it again.

The commit the books are at (`git.provenance`) is shown on the owner's pages only, in three
places that `base.html` puts it: a `<meta name="hourbook-build">` in the head, and the words
"built from commit abc1234" (`build_info`, in the owner's language) in the print footer and
in the page's footer. After a `git commit` that changed no input, every one of those pages
is the page it was but for those three places: `restamped` rewrites them, and says None (render
it again) unless each is found exactly where and as often as `base.html` puts it and the old
commit is nowhere else on the page. `build.builder` uses it only when the books' own templates
do not show the provenance themselves (`shows_provenance`), and a test compares the result with
a clean build's bytes.
"""

from __future__ import annotations

from pathlib import Path

from markupsafe import escape

from hourbook.git import Provenance
from hourbook.render.filters import provenance_words
from hourbook.render.html import load_messages
from hourbook.render.html import templates_name

_NAMES = (b"provenance", b"build_info")   # what a template that shows the provenance names


def restamped(html: bytes, old: Provenance, new: Provenance, locale: str) -> bytes | None:
    """The owner's page `html`, rendered showing `old`, as it would be rendered showing `new`.

    Args:
        html: the page's bytes (UTF-8).
        old, new: the provenance it shows, and the one it is to show.
        locale: the owner's locale (the books' `locale:`), the language of the footer's words.

    Returns:
        The new bytes, or None when the page does not show `old` exactly as `base.html` does.
    """
    messages = load_messages(locale)
    before, after = _places(old, messages), _places(new, messages)
    try:
        text = html.decode("utf-8")
    except UnicodeDecodeError:
        return None
    for (place, count), (replacement, _) in zip(before, after):
        if text.count(place) != count:
            return None
        text = text.replace(place, replacement)
    if old.commit != new.commit and (old.commit in text or old.short in text):
        return None             # the old commit is shown somewhere base.html does not put it
    return text.encode("utf-8")


def _places(provenance: Provenance, messages) -> list[tuple[str, int]]:
    """Each text of `base.html` that shows `provenance`, with how many times a page has it."""
    words = str(escape(provenance_words(provenance, messages)))
    changes = ", uncommitted changes" if provenance.uncommitted else ""
    return [(f'<meta name="hourbook-build" content="commit {escape(provenance.commit)}{changes}">', 1),
            (f' · {words} · <span class="page-number">', 1),
            (f'<span class="build">{words}</span>', 1)]


def shows_provenance(root: Path) -> bool:
    """Whether one of the books' own templates (templates/) names the provenance: then only rendering
    tells where a page shows it."""
    return templates_name(root, _NAMES)
