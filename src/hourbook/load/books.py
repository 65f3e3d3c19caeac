"""Books folder -> records: hourbook.yaml, contracts/*.yaml, logbook/**/*.md|yaml, payments/**, put together.

The load stage's one entry, `load_books`: it lists the files (`listing`), then reads the
settings (`settings`), the contracts (`contracts`), the logbooks (`markdown_logbook`,
`yaml_logbook`) and the payments (`payments`) into the immutable records of `core.records`, each with its file and line.
Never raises for bad input: every problem becomes a located `Diagnostic` and loading goes on.
It does not check what needs the whole books (unknown clients, overlaps, terms): that is
`checks` and `core.pricing`.
"""

from __future__ import annotations

from pathlib import Path

from hourbook.core.memory import no_cyclic_gc
from hourbook.core.records import ERROR
from hourbook.core.records import Books
from hourbook.core.records import Diagnostic
from hourbook.core.records import Entry
from hourbook.core.records import sorted_entries
from hourbook.load import limits
from hourbook.load.contracts import load_contracts
from hourbook.load.files import read_file
from hourbook.load.files import readable_name
from hourbook.load.listing import SETTINGS_FILE
from hourbook.load.listing import BooksFiles
from hourbook.load.file_kind import is_yaml
from hourbook.load.listing import list_books
from hourbook.load.listing import relative
from hourbook.load.markdown_logbook import parse_markdown_logbook
from hourbook.load.payments import load_payments
from hourbook.load.problems import Problems
from hourbook.load.settings import load_settings
from hourbook.load.tag_aliases import alias_contract
from hourbook.load.tag_aliases import alias_entries
from hourbook.load.yaml_logbook import parse_yaml_logbook


def load_books(root: Path, logbook_cache=None, contract_cache=None,
               listed: BooksFiles | None = None, sort=None) -> tuple[Books, list[Diagnostic]]:
    """Read a whole books folder.

    Args:
        root: the books folder.
        logbook_cache: optional `cache(root, path, rel, load_logbook)` that may reuse what an
            unchanged logbook file gave last time (watch mode; see `hourbook.build.builder`).
        contract_cache: the same for contract files, `cache(root, path, rel, load_contract, settings)`.
        listed: the books' files as `listing.list_books(root)` just listed them, when the caller
            needed the listing first (thousands of files: listing them is not free); else listed here.
        sort: stands in for `core.records.sorted_entries` (`build.order_cache.PricingOrderCache`, which
            sorts again only what changed); the result is the same.

    Returns:
        (books, diagnostics): entries sorted by date, then path, then line.
    """
    with no_cyclic_gc():
        return _load_books(root, logbook_cache, contract_cache, listed or list_books(root), sort or sorted_entries)


def _load_books(root: Path, logbook_cache, contract_cache, listed: BooksFiles,
                sort) -> tuple[Books, list[Diagnostic]]:
    diags = Problems()
    diags.extend(listed.problems)
    settings = load_settings(root, listed.settings, diags)
    contracts, broken = load_contracts(root, settings, diags, listed, contract_cache)
    # hourbook.yaml's `tags:` aliases: the tags they stand for, in the entries and the contracts
    # (an aliased entry keeps its date and place: the order holds).
    entries = sort(alias_entries(load_logbooks(root, diags, listed, logbook_cache), settings.tag_aliases))
    contracts = [alias_contract(contract, settings.tag_aliases) for contract in contracts]
    files = [SETTINGS_FILE] if listed.settings else []
    payments = load_payments(root, listed.payments, diags)
    files += [relative(root, p) for p in listed.contracts]
    files += listed.logbook_names_from(root)
    files += [relative(root, p) for p in listed.payments]
    books = Books(settings=settings, contracts=tuple(contracts), entries=entries, files=tuple(files),
                  payments=tuple(payments), broken_clients=frozenset(broken))
    return books, list(diags)


def load_logbooks(root: Path, diags: Problems, listed: BooksFiles, cache=None) -> list[Entry]:
    """Every logbook's entries, in the order of `listed.logbooks`, up to `limits.MAX_ENTRIES`.

    Args:
        root: the books folder.
        diags: where the problems go.
        listed: the books' files (`listing.list_books`).
        cache: optional `cache(root, path, rel, load_logbook)`, which may answer for a file
            (see `hourbook.build.builder`), or answer for many at once with
            `cache.load_files(root, [(path, rel), ...], load_logbook)`, or for all of them with
            `cache.load_all(...)` (entries, diagnostics) or None (`caches.LogbookCache`).
    """
    entries: list[Entry] = []
    named = listed.logbook_names_from(root)
    sizes = listed.logbook_sizes
    if listed.root == root:
        files = listed.printable_logbooks           # (88 000 small logbooks: worked out once a listing)
    else:
        files = list(zip(listed.logbooks, named)) if all(map(str.isprintable, named)) else None
    if files is None:
        kept = [(path, rel, size) for path, rel, size in zip(listed.logbooks, named, sizes)
                if rel.isprintable() or readable_name(rel, diags)]
        files = [(path, rel) for path, rel, _ in kept]
        sizes = [size for _, _, size in kept]
    if sum(filter(None, sizes)) > limits.MAX_LOGBOOK_BYTES:
        total = 0
        for (path, rel), size in zip(files, sizes):
            total += size or 0       # a file that cannot be `stat`ed: read_file reports it
            if total > limits.MAX_LOGBOOK_BYTES:  # before reading any: all that reading would be for nothing
                diags.error(rel, 1, f"the logbooks are more than {limits.MAX_LOGBOOK_BYTES} bytes "
                            "in all (up to this file), more than hourbook reads; none was read (see docs/limits.md)")
                return entries
    max_entries = limits.MAX_ENTRIES
    whole = cache.load_all(root, files, load_logbook) if hasattr(cache, "load_all") else None
    if whole is not None and len(whole[0]) <= max_entries:
        diags.extend(whole[1])
        return whole[0]
    loaded = ((load_logbook(root, path, rel) for path, rel in files) if cache is None
              else cache.load_files(root, files, load_logbook) if hasattr(cache, "load_files")
              else (cache(root, path, rel, load_logbook) for path, rel in files))
    for file_entries, file_diags in loaded:
        entries.extend(file_entries)
        if file_diags:
            diags.extend(file_diags)
        if len(entries) > max_entries:
            diags.append(Diagnostic(entries[max_entries].source, f"more than {max_entries} entries in all, more "
                                    "than hourbook reads: it stops at this one (see docs/limits.md)", ERROR))
            del entries[max_entries:]
            break
    return entries


def load_logbook(root: Path, path: Path, rel: str) -> tuple[list[Entry], list[Diagnostic]]:
    """One logbook file -> (its entries, its diagnostics): depends on nothing but the file."""
    diags = Problems()
    yaml_file = is_yaml(rel)        # the name shown is the path's own below the books: the same suffix
    text = read_file(root, path, diags, yaml_file)
    if text is None:
        return [], list(diags)
    if yaml_file:
        return parse_yaml_logbook(text, rel, diags), list(diags)
    return parse_markdown_logbook(text, rel, diags), list(diags)
