"""The Jinja2 environment of the pages: the books' templates before the built-in ones, filters, messages.

The environment looks for a template first in the books' own `templates/` folder,
then in the package's, so a books folder overrides a built-in template by giving a
file the same name. Every template is autoescaped whatever its name; the only HTML
marked safe is nh3-cleaned Markdown (`filters.render_markdown`) and the SVG that
`charts.py` builds with every text escaped.

The books' templates are the owner's text, not hourbook's code: `BooksLoader` reads
them as UTF-8 and never through a link that leaves the books folder, and
`BooksEnvironment` (sandboxed when the books have templates) turns any failure of
one into a `TemplateProblem` located at its file and line, which the commands
report as a diagnostic. The invoice's environment (`render/invoice.py`) is made here too.

Messages come from `locales/<language>/` (`render.locale_files`), merged over English, so a missing
key falls back to English and a new language is one new folder. The pages themselves are
rendered in `render/pages.py`; nothing here writes files.
"""

from __future__ import annotations

import datetime
import functools
import os
import re
import stat
import traceback
from pathlib import Path
from typing import Any
from typing import Callable

import jinja2
import jinja2.sandbox
from markupsafe import Markup

from hourbook.core.records import HOURS_CLOCK
from hourbook.core.records import Diagnostic
from hourbook.core.records import Source
from hourbook.git import Provenance
from hourbook.render import filters
from hourbook.render.client_words import format_days
from hourbook.render.locale_files import language_words
from hourbook.render.compact import compact
from hourbook.render.reflow import label_cells
from hourbook.render.statement import format_hours_unit
from hourbook.load import listing
from hourbook.load.listing import books_place

PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = PACKAGE_DIR / "templates"
FALLBACK_LANGUAGE = "en"       # the messages every language falls back to, key by key


# --------------------------------------------------------------- messages


@functools.lru_cache(maxsize=None)
def _read_messages(language: str) -> dict[str, str]:
    data = language_words(language)
    # `invoice:` holds the invoices' words (invoice.labels_for), not a message of a page.
    return {str(key): str(value) for key, value in data.items() if not isinstance(value, dict)}


def load_messages(locale: str) -> dict[str, str]:
    """The messages for a locale's language, English filling every gap (one dict per language,
    shared by every page: read it, never change it)."""
    return _merged_messages(filters.language_of(locale))


@functools.lru_cache(maxsize=None)
def _merged_messages(language: str) -> dict[str, str]:
    # Merged once per language: every page asked for it, a few percent of a page's cost.
    return {**_read_messages(FALLBACK_LANGUAGE), **_read_messages(language)}


# --------------------------------------------------------------- the books' templates

BOOKS_TEMPLATES = "templates"
LINKS_OUTSIDE = ("links outside the books folder, to the link secret or into .git; hourbook reads templates "
                 "only from the books: copy the file into templates/ instead of linking to it")


class TemplateProblem(Exception):
    """A template of the books (templates/<name>) failed: a problem in the books, not a bug.

    `diagnostic` says where (`templates/statement.html:12`) and what. A failure in a
    built-in template is a bug and is not turned into this.
    """

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(f"{diagnostic.source}: {diagnostic.message}")
        self.diagnostic = diagnostic

    def __reduce__(self):
        # Raised in a rendering process, it crosses back to the builder by pickle.
        return (type(self), (self.diagnostic,))


def inside_books(path: Path | str, root: Path) -> bool:
    """`path`, every link in it followed, is in the books folder, and is neither the link
    secret nor in .git (a template could put them on a page): `listing.books_place`."""
    return books_place(os.path.realpath(path), os.path.realpath(root)) == ""


def books_templates_folder(root: Path | None) -> Path | None:
    """The books' templates/ folder, when there is one inside the books (not linked out, nor to the books
    folder itself, whose every file a page could then load)."""
    if root is None:
        return None
    folder = Path(root) / BOOKS_TEMPLATES
    if not folder.is_dir() or not inside_books(folder, root) or os.path.samefile(folder, root):
        return None
    return folder


def templates_name(root: Path, names: tuple[bytes, ...]) -> bool:
    """Whether one of the books' own templates (templates/) holds one of `names` (also when one of
    them cannot be read, or the folder is not what it should be: it may, for all that is known)."""
    paths, problems = listing.list_folder(root, "templates")
    if problems:
        return True
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError:
            return True
        if any(name in data for name in names):
            return True
    return False


def template_folders(root: Path | None) -> list[Path]:
    """Where a statement's PDF may load files from: the books' templates, then the built-in ones."""
    books = books_templates_folder(root)
    return ([books] if books is not None else []) + [TEMPLATES_DIR]


def books_problem(rel: str, line: int, message: str) -> TemplateProblem:
    """A `TemplateProblem` (an error) at `rel:line`, `rel` a path like `templates/statement.html`."""
    return TemplateProblem(Diagnostic(Source(rel, line), message))


class BooksLoader(jinja2.BaseLoader):
    """The books' templates/: UTF-8 text files inside the books folder, nothing else.

    A name that is not there is `TemplateNotFound` (the built-in template is used); a
    file that is there but links out of the books, is not a regular file, cannot be
    read or is not UTF-8 is a `TemplateProblem` at its path.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.folder = os.path.abspath(self.root / BOOKS_TEMPLATES)

    def get_source(self, environment: jinja2.Environment, template: str):
        """Jinja's (text, path, up-to-date check) for `templates/<template>`; refused as the class says."""
        pieces = jinja2.loaders.split_template_path(template)   # no `..`, no absolute names
        path = os.path.join(self.folder, *pieces)
        rel = "/".join([BOOKS_TEMPLATES, *pieces])
        if not os.path.lexists(path):
            raise jinja2.TemplateNotFound(template)
        if not inside_books(path, self.root) or books_templates_folder(self.root) is None:
            raise books_problem(rel, 1, LINKS_OUTSIDE)
        try:
            info = os.stat(path)
            if stat.S_ISDIR(info.st_mode):
                raise jinja2.TemplateNotFound(template)
            if not stat.S_ISREG(info.st_mode):
                raise books_problem(rel, 1, "not a regular file: a template must be a text file")
            data = Path(path).read_bytes()
        except OSError as exc:
            raise books_problem(rel, 1, f"cannot read the template: {exc.strerror or exc}") from exc
        return decode_template(data, rel), path, lambda: _unchanged(path, info.st_mtime_ns)

    def load(self, environment: jinja2.Environment, name: str, globals=None):
        """The compiled template; a template too deeply nested to compile is a problem at its path."""
        try:
            return super().load(environment, name, globals)
        except (TemplateProblem, jinja2.TemplateError):
            raise
        except (RecursionError, MemoryError, SyntaxError) as exc:
            rel = "/".join([BOOKS_TEMPLATES, *jinja2.loaders.split_template_path(name)])
            raise books_problem(rel, 1, f"cannot compile the template ({type(exc).__name__}): its "
                                "expressions or blocks are nested too deeply; simplify them") from exc


def decode_template(data: bytes, rel: str) -> str:
    """A template's text, with newlines as Python's text files give them."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise books_problem(rel, line, f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
                            "save the file as UTF-8") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _unchanged(path: str, mtime_ns: int) -> bool:
    try:
        return os.stat(path).st_mtime_ns == mtime_ns
    except OSError:
        return False


class BooksEnvironment(jinja2.sandbox.SandboxedEnvironment):
    """Jinja2 for templates the books may override: what fails in one of the books' templates
    (syntax, runtime, an include that is not there, endless recursion) is a `TemplateProblem`.

    Sandboxed: a books template reaches the values it is given, not Python's insides
    (`__class__`, `__globals__`), so it cannot read a file or run a command.
    """

    def __init__(self, root: Path, builtin: Path, **options) -> None:
        super().__init__(**options)
        self.books_root = Path(root)
        self.builtin = builtin

    def handle_exception(self, source: str | None = None):
        """Raise what failed in a books template as a `TemplateProblem` at its place; anything else as Jinja does."""
        try:
            super().handle_exception(source)
        except TemplateProblem:
            raise
        except Exception as exc:
            problem = books_template_problem(exc, self.books_root, self.builtin)
            if problem is None:
                raise
            raise problem from exc


class CompactLoader(jinja2.FileSystemLoader):
    """hourbook's own page templates without the indentation of their lines.

    The indentation that makes a template readable is bytes on every page (5 % of a site of
    50 000 pages) and never shows: a run of white space ending a line and starting the next is
    one space, however long. None of these templates holds a `<pre>` or an element that keeps
    white space; the books' own templates and the values a page shows are left as they are.
    """

    def get_source(self, environment: jinja2.Environment, template: str):
        """Jinja's (text, path, up-to-date check), an .html template's lines unindented."""
        source, filename, uptodate = super().get_source(environment, template)
        if template.endswith(".html"):
            source = _INDENT.sub("", source)
        return source, filename, uptodate


_INDENT = re.compile(r"^[ \t]+", re.M)


def books_environment(root: Path | None, builtin: Path, *shared: Path, compact: bool = False,
                      **options) -> jinja2.Environment:
    """Jinja2 over the books' templates (when `root` has a templates/ folder) before `builtin`, then `shared`.

    Books without templates get a plain environment over the built-in templates (the
    sandbox costs time on every attribute, and hourbook's own templates need none).
    Templates are not reloaded when their file changes (Jinja2 would stat every file a page
    includes, on every page): whoever keeps an environment makes a new one when templates/
    changes (`build.builder.Builder.environment`, `render.check_books_templates`). With
    `compact`, hourbook's own .html templates lose their lines' indentation (`CompactLoader`).
    """
    options = dict(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                   auto_reload=False, **options)
    builtin_loader = (CompactLoader if compact else jinja2.FileSystemLoader)([str(builtin), *map(str, shared)])
    if root is None or not os.path.lexists(Path(root) / BOOKS_TEMPLATES):
        return jinja2.Environment(loader=builtin_loader, **options)
    return BooksEnvironment(root, builtin, loader=jinja2.ChoiceLoader([BooksLoader(root), builtin_loader]), **options)


def books_template_problem(exc: BaseException, root: Path, builtin: Path = TEMPLATES_DIR) -> TemplateProblem | None:
    """The located problem when `exc` comes from a template in `root/templates`, else None.

    The place is the innermost frame of the traceback in one of the books' templates (Jinja
    gives template frames their file and line), or a syntax error's own place.
    """
    if isinstance(exc, TemplateProblem):
        return exc
    folder = Path(os.path.abspath(Path(root) / BOOKS_TEMPLATES))
    places = []
    if isinstance(exc, jinja2.TemplateSyntaxError) and exc.filename:
        places.append((exc.filename, exc.lineno or 1))
    places += [(frame.filename, frame.lineno or 1) for frame in reversed(traceback.extract_tb(exc.__traceback__))]
    for filename, line in places:
        path = Path(os.path.abspath(filename))
        if path.is_relative_to(folder):
            rel = "/".join([BOOKS_TEMPLATES, *path.relative_to(folder).parts])
            return books_problem(rel, line, template_message(exc, rel, builtin))
    return None


def template_message(exc: BaseException, rel: str, builtin: Path) -> str:
    """What went wrong in a books template, and what to do about it (`builtin`: the templates it overrides)."""
    name = rel.split("/", 1)[1]
    fix = "fix the template, or remove it to use hourbook's own" if (builtin / name).is_file() else "fix the template"
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return f"template syntax error: {exc.message}; {fix}"
    if isinstance(exc, jinja2.TemplateNotFound):
        return f"template error: no template named {exc.name!r}, in templates/ or built in; {fix}"
    if isinstance(exc, RecursionError):
        return f"template error: it includes, extends or calls itself without end; {fix}"
    if isinstance(exc, jinja2.TemplateError):
        return f"template error: {exc.message}; {fix}"
    name = type(exc).__name__
    detail = str(exc)
    if not detail or detail.startswith("[<class "):     # decimal's signals say only their own names
        detail = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name).lower()   # DivisionByZero: division by zero
    return f"template failed: {name}: {detail}; {fix}"


# --------------------------------------------------------------- environment


def with_locale(function: Callable[[Any, str], str]) -> Callable[..., str]:
    """A filter `value|name` calling `function(value, locale)` with the page's locale."""
    @jinja2.pass_context
    def bound(context: jinja2.runtime.Context, value: Any) -> str:
        return function(value, context.resolve("locale"))
    return bound


def make_environment(root: Path | None) -> jinja2.Environment:
    """Jinja2 with the books' templates before the built-in ones, and the page filters.

    Filters that depend on the page (money, dates, messages) read `locale`, `currency`
    and `messages` from the template context, so templates write `amount|money`.
    """
    env = books_environment(root, TEMPLATES_DIR, keep_trailing_newline=True, compact=True)

    @jinja2.pass_context
    def money(context: jinja2.runtime.Context, amount: Any, currency: str | None = None) -> str:
        return filters.format_money(amount, currency or context.resolve("currency"), context.resolve("locale"))

    @jinja2.pass_context
    def date(context: jinja2.runtime.Context, day: datetime.date, style: str = "long") -> str:
        return filters.format_date(day, context.resolve("locale"), style)

    @jinja2.pass_context
    def reason(context: jinja2.runtime.Context, text: str | None) -> str:
        return filters.describe_reason(text, context.resolve("messages"))

    @jinja2.pass_context
    def hours(context: jinja2.runtime.Context, minutes: int) -> str:
        return filters.format_hours(minutes, context.resolve("locale"), context.get("hours_form", HOURS_CLOCK))

    @jinja2.pass_context
    def translate(context: jinja2.runtime.Context, key: str, **values: Any) -> Markup:
        return filters.translate_markup(context.resolve("messages"), key, **values)

    @jinja2.pass_context
    def translate_count(context: jinja2.runtime.Context, key: str, count: int, **values: Any) -> Markup:
        messages = context.resolve("messages")
        return filters.translate_markup(messages, filters.plural_key(messages, key, count, context.resolve("locale")),
                                count=count, **values)

    env.filters.update(
        money=money,
        date=date,
        reason=reason,
        hours=hours,
        hours_unit=with_locale(format_hours_unit),
        percent=with_locale(filters.format_rate),
        day=with_locale(filters.format_day),
        period=with_locale(filters.format_period),
        timerange=lambda entry: filters.format_time_range(entry.start, entry.end),
        markdown=filters.render_markdown,
        capfirst=filters.capitalize,
        share=with_locale(filters.format_share),
        days=with_locale(format_days),
    )
    env.globals.update(t=translate, tn=translate_count)
    env.filters.update(DOCUMENT_FILTERS)
    return env


# What base.html and invoice.html pass a document's content through: its tables labelled so that
# they stack on phones (render/reflow.py), then without the end tags HTML lets it leave out
# (render/compact.py).
DOCUMENT_FILTERS = {"label_cells": label_cells, "compact": compact}


def page_context(locale: str, currency: str, provenance: Provenance | None = None,
                 hours_form: str = HOURS_CLOCK) -> dict[str, Any]:
    """What every page's template may use: its locale, currency, messages and form of hours (h:mm, decimal).

    Args:
        provenance: the commit the books were built from, for the owner's pages only: a
            client's page or PDF is never given it, so that it neither shows a commit nor
            changes with one (`build_info`, the words in the page's language, is '' then).
    """
    messages = load_messages(locale)
    return {
        "hours_form": hours_form,
        "locale": filters.babel_locale(locale),
        "lang": filters.babel_locale(locale).replace("_", "-"),
        "currency": currency,
        "messages": messages,
        "provenance": provenance,
        "build_info": filters.provenance_words(provenance, messages),
    }
