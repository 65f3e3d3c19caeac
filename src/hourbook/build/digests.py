"""Content digests: what an incremental build compares to know that nothing it depends on changed.

A digest is a BLAKE2b of length-prefixed parts, so that no two lists of parts run
together into the same bytes. There are four kinds:

- `code_digest`: hourbook's own files (code, templates, locales): a new version renders anew;
- `inputs_digest`: every file of the books and what `check` reads besides (the register as
  committed, invoices/*.pdf): when it is the last build's, nothing is loaded at all;
- `templates_digest`: the books' templates/ files;
- `values_digest`: records and values (settings, a contract, entries), pickled: the same in
  every process when records holding sets go through `stable_form` first.

Nothing here is kept on disk: the builder and the price run keep the digests they compare.
"""

from __future__ import annotations

import copyreg
import dataclasses
import functools
import hashlib
import io
import os
import pickle
import sys
from pathlib import Path
from typing import Callable

from hourbook.build.cache_folder import FORMAT
from hourbook.build.file_index import FileIndex
from hourbook.core.pickling import field_values
from hourbook.checks.issued import register_inputs
from hourbook.core.records import Contract
from hourbook.core.register import REGISTER
from hourbook.load import listing
from hourbook.load.warm import ask_ahead_if_on_disk
from hourbook.site.secret import SECRET_ENV

PACKAGE = Path(__file__).resolve().parent.parent   # the hourbook package


def digest_of(*parts: bytes) -> str:
    """The hex digest of `parts`, each length-prefixed (b"ab", b"c" differs from b"a", b"bc")."""
    digest = hashlib.blake2b(digest_size=20)
    for part in parts:
        digest.update(len(part).to_bytes(8, "little"))
        digest.update(part)
    return digest.hexdigest()


_CODE_DIGEST: list[str] = []       # computed once a process: hourbook's files do not change under it


def code_digest() -> str:
    """hourbook's own files (code, templates, locales), the cache format and Python's version."""
    if not _CODE_DIGEST:
        parts = []
        for path in sorted(PACKAGE.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                parts.append(path.relative_to(PACKAGE).as_posix().encode() + b"\0" + path.read_bytes())
        _CODE_DIGEST.append(digest_of(f"{FORMAT} {sys.version}".encode(), *parts))
    return _CODE_DIGEST[0]


def input_files(root: Path, listed: listing.BooksFiles | None = None) -> list[Path]:
    """Every file a build reads from the books folder, as `hourbook.load.listing` lists them.

    No link that leads out of the books is followed.

    Args:
        root: the books folder.
        listed: the listing of `root`, when the caller has it.

    Returns:
        The files' paths in the listing's order (each kind in path order, as every listing of the
        same files gives it: no sort of tens of thousands of paths again), then the register and
        the link secret.
    """
    listed = listed or listing.list_books(root)
    found = listed.paths()
    found += [path for path in (listing.top_file(root, name) for name in (REGISTER, listing.SECRET_FILE)) if path]
    return found


def inputs_digest(root: Path, *extra: str, index: FileIndex | None = None,
                  listed: listing.BooksFiles | None = None) -> str:
    """A digest of every input file's path and bytes, plus `extra` (as-of date, switches).

    Also what `check` reads besides files: the names of invoices/*.pdf and, when there is a
    register, issued.yaml as committed in git (the register must only grow); and what the
    listing found wrong (a link out, a folder that cannot be read). With `index`, a file
    whose `stat` did not change since the index met it is not read (`file_index`). With `listed`,
    the files as `listing.list_books(root)` just listed them (not listed again).
    """
    index = index or FileIndex()
    digest = hashlib.blake2b(digest_size=20)
    listed = listed or listing.list_books(root)
    problems = [f"{problem.source}: {problem.message}" for problem in listed.problems]
    for part in (code_digest().encode(), os.environ.get(SECRET_ENV, "").encode(), *(e.encode() for e in extra),
                 "\0".join(problems).encode("utf-8", "surrogateescape")):
        digest.update(len(part).to_bytes(8, "little") + part)
    digest.update(_files_part(root, listed, index))
    return digest_of(digest.hexdigest().encode(), register_inputs(root))


BLOCK_FILES = 512       # files a run of parts digested together (`_files_part`)


@dataclasses.dataclass
class _Blocks:
    """The digests of the runs of BLOCK_FILES files' parts, for the files `paths` (keys: their `str`)."""

    paths: list[Path]
    keys: list[str]
    digests: list[bytes]
    position: dict[str, int] | None = None  # key -> its place: made when first asked (a watch's edit)


def _files_part(root: Path, listed: listing.BooksFiles, index: FileIndex) -> bytes:
    """Each input file's name and content digest, in the listing's order, digested by runs of
    BLOCK_FILES files: the digests of the runs, one after the other.

    Each file's part is made once a run (`index.parts`; watch keeps those of the files that did
    not change). Watch, told which files changed (`FileIndex.begin`), digests again only the runs
    that hold one when the books are the same files as last time: an edit of one of 88 000 small
    logbooks costs a run of 512 parts, not a string, a look-up and a copy of every file's
    (55-80 ms).
    """
    own = listed.root == root
    parts = index.parts if own else {}
    paths = input_files(root, listed)
    blocks = index.blocks if own else None
    if blocks is not None and blocks.paths == paths:    # the very Path objects, mostly: one look each
        if blocks.position is None:
            blocks.position = {key: at for at, key in enumerate(blocks.keys)}
        redo = {blocks.position[name] // BLOCK_FILES for name in index.dropped if name in blocks.position}
    else:                                   # (a new process: every run, and no places it will not ask)
        keys = [str(path) for path in paths]
        blocks = _Blocks(paths, keys, [b""] * -(-len(keys) // BLOCK_FILES))
        redo = range(len(blocks.digests))
        if len(index.known) + len(index.met) < len(keys) // 2:     # most never read (a clean build): all will be,
            ask_ahead_if_on_disk(paths)                             # one by one (load/warm.py)
    named = listed.posix_name if own else functools.partial(listing.relative_posix, root)
    keys = blocks.keys
    top = os.fsencode(str(root)) + b"\0"
    for block in redo:
        first, last = block * BLOCK_FILES, (block + 1) * BLOCK_FILES
        run = keys[first:last]
        # A run of files the index knows unchanged, and whose digests the last process digested
        # together too, is its digest then (`FileIndex.known_run`, `kept_runs`): what the run's
        # digest is made of (the root, the files' names and digests) is told by a fingerprint.
        whole = parts.keys().isdisjoint(run)        # no part made yet: a new process
        found = index.known_run(run, listed.marks) if whole else None
        if found is not None:
            fingerprint = _run_fingerprint(top, run, found)
            kept = index.kept_runs.get(fingerprint)
            if kept is not None:
                blocks.digests[block] = index.runs[fingerprint] = kept
                continue
            made = zip(zip(paths[first:last], run), found)
        else:
            new = [(path, key) for path, key in zip(paths[first:last], run) if key not in parts]
            found = index.digests([key for _, key in new], listed.marks)
            fingerprint = _run_fingerprint(top, run, found) if whole and None not in found else None
            made = zip(new, found)
        for (path, key), data in made:
            data = (data or "<unreadable>").encode()     # each file's bytes are read one at a time
            name = os.fsencode(named(path))     # names need not be UTF-8
            parts[key] = len(name).to_bytes(8, "little") + name + len(data).to_bytes(8, "little") + data
        blocks.digests[block] = hashlib.blake2b(b"".join([parts[key] for key in run]), digest_size=20).digest()
        if fingerprint is not None:
            index.runs[fingerprint] = blocks.digests[block]
    if own:
        index.blocks, index.dropped = blocks, set()
    return b"".join(blocks.digests)


def _run_fingerprint(top: bytes, run: list[str], digests: list[str]) -> bytes:
    """What a run's digest in `_files_part` is made of: the root (`top`), then each file's `str` (which
    names it below the root) and its digest."""
    return hashlib.blake2b(top + "\0".join(run).encode("utf-8", "surrogateescape") + b"\1"
                           + "\0".join(digests).encode(), digest_size=20).digest()


def templates_digest(root: Path) -> str:
    """The books' templates/ files, names and bytes, and what is wrong with their links.

    No link out of the books is followed (see `hourbook.load.listing`).
    """
    base = root / "templates"
    paths, problems = listing.list_folder(root, "templates")
    parts = [f"{problem.source}: {problem.message}".encode("utf-8", "surrogateescape") for problem in problems]
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError:
            data = b"<unreadable>"
        parts.append(os.fsencode(path.relative_to(base).as_posix()) + b"\0" + data)
    return digest_of(*parts)


def values_digest(*values, table: dict | None = None) -> str:
    """A digest of `values` as pickled: pass a record that holds sets or dicts through
    `stable_form` first, or it pickles differently in another process.

    The pickler keeps no memo (`fast`): equal values give the same bytes whether or not they
    share objects (entries read from the disk cache share fewer strings than freshly parsed ones).

    Args:
        table: the pickler's `dispatch_table`, to pickle some records in a form of their own
            (`page_shelf`: a contract as the digest of its stable form).
    """
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=5)
    pickler.fast = True             # no memo: the bytes follow the values, not which objects they share
    if table is not None:
        pickler.dispatch_table = table
    pickler.dump(values)
    return digest_of(buffer.getvalue())


def contracts_by_digest(contract_form: Callable[[Contract], tuple] | None = None) -> dict:
    """A pickler's `dispatch_table` for `values_digest` that writes each contract as the digest of
    its stable form (`contract_form`, default `stable_form`), made once a contract: a contract holds
    sets, which pickle in an order that changes from one process to the next."""
    form_of = contract_form or stable_form
    digests: dict[str, tuple] = {}          # contract id -> (contract, the digest of its stable form)

    def reduce(contract: Contract):
        hit = digests.get(contract.id)
        if hit is None or hit[0] is not contract:
            hit = digests[contract.id] = (contract, values_digest(form_of(contract)))
        return str, (hit[1],)
    return {**copyreg.dispatch_table, Contract: reduce}


def stable_form(value):
    """A value as nested tuples that pickle to the same bytes in every process.

    Records become (type name, field, ...); sets and dicts are sorted, since their order
    follows string hashes, which differ from one process to the next. Records without sets
    (an Entry) pickle the same everywhere as they are, and cost much less left whole.
    What to do with a value is decided once for each type (`_FORMS`): 500 contracts' forms
    were 0.1 s of each new process's build, most of it `dataclasses.fields` asked again.
    """
    form = _FORMS.get(type(value))
    if form is None:
        form = _form_of(type(value))
    return form(value) if form is not _AS_IT_IS else value


def plain_stable_form(value):
    """`stable_form` as it reads, without the forms kept by type (the tests pin the one to the other)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value).__name__,) + tuple(plain_stable_form(getattr(value, f.name))
                                                for f in dataclasses.fields(value))
    if isinstance(value, (frozenset, set)):
        return ("set",) + tuple(sorted((plain_stable_form(item) for item in value), key=repr))
    if isinstance(value, dict):
        return ("dict",) + tuple(sorted(((plain_stable_form(k), plain_stable_form(v)) for k, v in value.items()),
                                        key=repr))
    if isinstance(value, (tuple, list)):
        return tuple(plain_stable_form(item) for item in value)
    return value


def _AS_IT_IS(value):
    return value


def _form_of(kind: type) -> Callable:
    """How `stable_form` makes the form of a value of type `kind` (kept in `_FORMS`)."""
    if dataclasses.is_dataclass(kind):
        name, values = (kind.__name__,), field_values(kind)
        form = lambda value: name + tuple(map(stable_form, values(value)))    # noqa: E731
    elif issubclass(kind, (frozenset, set)):
        form = lambda value: ("set",) + tuple(sorted(map(stable_form, value), key=repr))    # noqa: E731
    elif issubclass(kind, dict):
        form = lambda value: ("dict",) + tuple(sorted(((stable_form(k), stable_form(v)) for k, v in value.items()),  # noqa: E731
                                                      key=repr))
    elif issubclass(kind, (tuple, list)):
        form = lambda value: tuple(map(stable_form, value))     # noqa: E731
    else:
        form = _AS_IT_IS
    _FORMS[kind] = form
    return form


_FORMS: dict[type, Callable] = {}
