"""Putting a built site in place: the whole site swapped in at once, or (watch) folder by folder.

`hourbook build` fills a new folder beside the site and swaps it in at once
(`site.tree.swap_in`); files that did not change are hard-linked from the current site
rather than written again, so the cost is a link per file plus the changed bytes. Files
written with the same bytes as one written before in the same build (every folder's
style.css, a statement's owner copy) are hard links to it: the site holds those bytes
once. Nothing is ever written through a link (each file is written anew). A build
killed at any moment leaves the old site or the new one, never a mix. The old site of a
big one (`DETACHED_REMOVAL_FILES`) is removed by an `rm` that outlives the command.

Watch mode, when an edit reached a few folders only (`MAX_UNIT_SWAPS`), swaps just those:
each changed client folder is made anew beside the site and exchanged with the old one,
each changed top-level file replaced by rename, and so is a file that changed alone in its
folder (an owner report that shows a new commit: one in each of 500 folders after the first
edit since a commit, `MAX_FILE_REPLACEMENTS`). Linking the whole site again would cost
more than the edit (50 000 links at 100 000 entries). Every folder and file is whole at
every moment; a watch killed between two swaps leaves folders one edit apart, which the
next build rewrites (`WRITING_MARK` tells it not to trust the state).

What was written is kept as the build state (.hourbook-cache/build.state): the manifest
{path: [sha256, size, mtime_ns]}, each client's page digest and files, the inputs digest;
a pickle behind a header with its BLAKE2b, so that a truncated or changed file is not
trusted (51 000 paths at 100 000 entries: JSON 0.26 s to write and read back, a pickle 0.12 s).
A new process reuses a file of the site when its size and mtime are those the manifest records
(`OnDisk`: its digest, not its bytes), in a books folder moved with its site too (`out_key`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Iterator

from hourbook.build.cache_folder import FORMAT
from hourbook.build.cache_folder import STATE_FILE
from hourbook.build.cache_folder import decode_state
from hourbook.build.cache_folder import encode_state
from hourbook.build.cache_folder import WRITING_MARK
from hourbook.build.cache_folder import out_key
from hourbook.build.caches import FileHashes
from hourbook.build.old_sites import BEING_REMOVED
from hourbook.build.old_sites import remove_detached
from hourbook.build.old_sites import remove_in_background
from hourbook.build.site_check import FilesCheck
from hourbook.build.site_check import as_written
from hourbook.build.site_links import link_tree
from hourbook.build.spare_site import SpareSite
from hourbook.build.spool import OnDisk
from hourbook.build.spool import put_file
from hourbook.build.site_units import check_relative
from hourbook.build.site_units import lone_files
from hourbook.build.site_units import site_units
from hourbook.build.site_units import unit_of
from hourbook.core.memory import no_cyclic_gc
from hourbook.site.files import SiteError
from hourbook.site.files import write_file_atomically
from hourbook.site.folder import SITE_MARKER
from hourbook.site.folder import SITE_MARKER_TEXT
from hourbook.site.folder import check_site_folder
from hourbook.site.tree import carry_over
from hourbook.site.tree import child_dies_with
from hourbook.site.tree import new_staging
from hourbook.site.tree import remove_folder
from hourbook.site.tree import remove_stale
from hourbook.site.tree import swap_in

MAX_UNIT_SWAPS = 16                 # watch mode swaps folders one by one up to this many; beyond, the whole site
MAX_FILE_REPLACEMENTS = 2_000       # ... and replaces files by rename up to this many (`lone_files`)
DETACHED_REMOVAL_FILES = 5_000      # an old site this big goes in a process that outlives the build


class PublishedSite:
    """The site folder, what the last build wrote there, and the writing of the next one.

    Args:
        root: the books folder.
        out: the site folder.
        cache_dir: where the state is kept for the next process (None: in memory only).
    """

    def __init__(self, root: Path, out: Path, cache_dir: Path | None):
        self.root = root
        self.out = out
        self.out_key = out_key(root, out)
        self.cache_dir = cache_dir
        self.hashes = FileHashes()
        self.state = self.read_state()
        self._saving: threading.Thread | None = None     # watch mode: the thread saving the last state
        self._linking: tuple[Path, subprocess.Popen | None] | None = None   # (staging, `cp -al` or the spare)
        self.spare = SpareSite(cache_dir, self.state.get("spare"))  # the old site kept as the next staging folder
        self._rewritten: frozenset[str] = frozenset()   # what the early staging folder holds other files for
        self._check: FilesCheck | None = None       # the site's files looked at beside this process

    # -- the state

    def read_state(self) -> dict:
        """The state the last build of this site saved, or {} (none, another format, or not to be trusted)."""
        if self.cache_dir is None:
            return {}
        try:
            state = decode_state((self.cache_dir / STATE_FILE).read_bytes())
        except OSError:
            return {}
        if state.get("format") != FORMAT or state.get("out") != self.out_key:
            return {}
        if (self.cache_dir / WRITING_MARK).exists():
            return {}                               # a watch died while swapping folders
        return state

    def save_state(self, state: dict, *, in_background: bool) -> None:
        """Keep the state, and save it for the next process.

        Args:
            in_background: in a thread (watch mode), as the manifest of a big site takes a
                third of a second to encode and the edit should not wait.
        """
        state = {key: value for key, value in state.items() if key != "spare"}
        if self.spare.record is not None:
            state["spare"] = self.spare.record
        self.state = state
        if self.cache_dir is None:
            return
        self.flush()

        def save() -> None:
            self.cache_dir.mkdir(exist_ok=True)
            write_file_atomically(self.cache_dir / STATE_FILE, encode_state(state))
            self._mark_writing(False)

        if not in_background:
            save()
            return
        self._saving = threading.Thread(target=save, name="hourbook-save-state")
        self._saving.start()

    def flush(self) -> None:
        """Wait until the state saved in the background is on disk (or its save failed)."""
        saving, self._saving = self._saving, None
        if saving is not None:
            saving.join()

    @staticmethod
    def probe(manifest: dict) -> list[str]:
        """The paths `intact` looks at: one in 64 of the manifest's, in path order (the state's `probe`)."""
        return sorted(manifest)[:: max(1, len(manifest) // 64)]

    def intact(self) -> bool:
        """The site on disk is the one the state describes (nobody changed or removed it)."""
        manifest = self.state.get("manifest") or {}
        if not manifest or not self.out.is_dir():
            return False
        for rel in self.state.get("probe", []):
            entry = manifest.get(rel)
            try:
                stat = (self.out / rel).stat()
            except OSError:
                return False
            if entry is None or stat.st_size != entry[1] or stat.st_mtime_ns != entry[2]:
                return False
        return True

    def folder_problem(self) -> str | None:
        """Why the site must not be written to `self.out` (`site.check_site_folder`), or None.

        A site written before sites carried `site.SITE_MARKER` is known by the manifest this
        books folder's last build of the same folder recorded.
        """
        known = self.state.get("manifest") or {} if self.state.get("out") == self.out_key else {}
        return check_site_folder(self.root, self.out, known)

    def files_on_disk(self, client_id: str, key: str) -> dict[str, OnDisk] | None:
        """A client's files left on disk, when the last build made them from inputs with digest `key`.

        They are not read: a file whose size and mtime are still those the last build wrote
        is kept as it is (and hard-linked when a new folder is swapped in).
        """
        recorded = (self.state.get("pages") or {}).get(client_id)
        if not recorded or recorded[0] != key:
            return None
        manifest = self.state.get("manifest") or {}
        files = {}
        for rel in recorded[1]:
            entry = manifest.get(rel)
            if not self._as_written(rel, entry):
                return None
            files[rel] = OnDisk(entry[0])
        return files

    def still_written(self, rel: str, sha256: str) -> bool:
        """Whether the site's file `rel` holds the bytes of digest `sha256` as the last build wrote
        them (its size and mtime as then; not read), so that the build may keep it (`OnDisk`)."""
        entry = (self.state.get("manifest") or {}).get(rel)
        return entry is not None and entry[0] == sha256 and self._as_written(rel, entry)

    def check_early(self, jobs: int) -> None:
        """Have a forked process look at the site's files now, while the books are read (a big site,
        `site_check`); `_as_written` asks it then. Until the next write."""
        self.close_check()
        self._check = FilesCheck.start(self.out, self.state.get("manifest") or {}, jobs)

    def close_check(self) -> None:
        """Stop what `check_early` started (the files are looked at one by one again)."""
        check, self._check = self._check, None
        if check is not None:
            check.close()

    def _as_written(self, rel: str, entry) -> bool:
        """Whether the site's file `rel` has the size and mtime of its manifest `entry` (None: none),
        the state's manifest's own entry for `rel`."""
        if self._check is not None:
            changed = self._check.changed()
            if changed is not None:
                return entry is not None and rel not in changed
            self._check = None
        return as_written(str(self.out), rel, entry)

    def _unchanged(self, rel: str, data: bytes | OnDisk, sha256: str, old: dict) -> bool:
        """Whether the site's file `rel` may be linked as it is for new content `data` of digest
        `sha256`: the last build wrote those bytes there, and the file is still as written (an
        `OnDisk` was found so this build; else its size and mtime are looked at: a page changed in
        place since holds other bytes than the manifest says)."""
        entry = old.get(rel)
        return entry is not None and entry[0] == sha256 and (isinstance(data, OnDisk) or self._as_written(rel, entry))

    def remove_litter(self) -> None:
        """Remove what a build killed after its site was in place left beside it."""
        remove_stale(self.out, keep=BEING_REMOVED)

    # -- writing

    def link_early(self, jobs: int = 1) -> None:
        """Fill a new staging folder with the site's links now, so that they are made while the books
        are read and priced rather than after: the spare the last build kept (`spare_site`), else a
        `cp -al` process beside this one.

        `_write_swap` takes that folder (after dropping what changed), `discard_early` removes it
        (or puts the spare back) when the build writes nothing. Nothing is started when the site
        is not intact, when it may not be written, or where there is neither a spare nor GNU cp.
        With `jobs` > 1, a big site's files are looked at by a forked process meanwhile (`check_early`).
        """
        self.discard_early(check=True)
        if self.folder_problem() or not self.intact():
            return
        self.check_early(jobs)
        staging = new_staging(self.out, keep=BEING_REMOVED)
        rewritten = self.spare.take(staging, self.out, self.state.get("probe", []), remove_detached)
        if rewritten is not None:
            self._linking, self._rewritten = (staging, None), rewritten
            return
        cp = shutil.which("cp")
        try:
            if cp is None:
                raise OSError("no cp")
            process = subprocess.Popen([cp, "-al", "--", f"{self.out}/.", str(staging)], stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL,
                                       preexec_fn=child_dies_with(os.getpid()) if sys.platform == "linux" else None)
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)
            return
        self._linking, self._rewritten = (staging, process), frozenset()

    def discard_early(self, check: bool = False) -> None:
        """Stop and remove what `link_early` started, if it was not used (a spare goes back), and
        with `check` the files' check too."""
        if check:
            self.close_check()
        linking, self._linking = self._linking, None
        if linking is not None:
            staging, process = linking
            if process is None:
                if not self.spare.give_back(staging):
                    shutil.rmtree(staging, ignore_errors=True)
                return
            if process.poll() is None:
                process.kill()
            process.wait()
            shutil.rmtree(staging, ignore_errors=True)

    def _take_early(self) -> Path | None:
        """The staging folder `link_early` filled (the spare, or once its `cp` succeeded); else None
        (nothing left)."""
        linking, self._linking = self._linking, None
        if linking is None:
            return None
        staging, process = linking
        if process is None or process.wait() == 0:
            return staging
        shutil.rmtree(staging, ignore_errors=True)
        return None

    @no_cyclic_gc()         # a dict or two of every site file, no cycles: no collection walking the books
    def write(self, files: dict[str, bytes | OnDisk], *, watch: bool = False) -> tuple[dict[str, list], int]:
        """Write the site: as a whole, or (`watch`, few folders changed) folder by folder.

        Returns:
            The new manifest {path: [sha256, size, mtime_ns]} and the number of the site's files
            that changed or went away (the site marker not counted, as in the files a build reports).

        Raises:
            SiteError: `self.out` is no place for the site (`folder_problem`), checked
                before anything is written; or the site could not be written.
        """
        problem = self.folder_problem()
        if problem:
            raise SiteError(problem)
        files = {**files, SITE_MARKER: SITE_MARKER_TEXT}   # the folder is a site: the next build may replace it
        old = self.state.get("manifest") or {}
        hashes, fresh = self.hashes.of_files(files, old)
        changed = [rel for rel in fresh if rel not in old or old[rel][0] != hashes[rel]]
        removed = sorted(old.keys() - files.keys())
        units = site_units(changed + removed) if watch and self.intact() else None
        if units is not None:
            units = lone_files(units, changed, removed, old)
            folders = sum(1 for unit in units if unit not in files and unit not in old)
        if units is not None and folders <= MAX_UNIT_SWAPS and len(units) - folders <= MAX_FILE_REPLACEMENTS:
            # Outside the changed folders every file is as the old manifest says; inside, those linked too.
            self.spare.drop(remove_in_background)        # the site changes under it, folder by folder
            written = self._write_units(files, hashes, old, units)
            manifest = dict(old)
            for rel in removed:
                del manifest[rel]
            for rel in written:
                stat = (self.out / rel).stat()
                manifest[rel] = [hashes[rel], stat.st_size, stat.st_mtime_ns]
        else:
            linked = self._write_swap(files, hashes, old, watch)
            manifest = {}
            for rel in files:
                if rel in linked:
                    manifest[rel] = old[rel]          # the same inode: same size and mtime
                else:
                    stat = (self.out / rel).stat()
                    manifest[rel] = [hashes[rel], stat.st_size, stat.st_mtime_ns]
        self.hashes.replace(files, hashes, manifest)
        self.close_check()                          # the site is no longer the one it looked at
        return manifest, len(changed) + len(removed) - (SITE_MARKER in changed)

    def _write_swap(self, files: dict, hashes: dict[str, str], old: dict, watch: bool) -> set[str]:
        """Fill a new folder beside the site (linking what did not change) and swap it in; the linked paths."""
        out = self.out
        intact = self.intact()
        for rel in files:
            check_relative(rel)
        early = self._take_early() if intact else None
        if early is None:
            self.discard_early()
        staging = early or new_staging(out, keep=BEING_REMOVED)
        rewritten = self._rewritten if early is not None else frozenset()     # the spare's files not the site's
        same = {rel for rel in files if intact and rel not in rewritten and self._unchanged(rel, files[rel], hashes[rel], old)}
        try:
            linked = link_tree(out, staging, same, linked=early is not None) if same or early else set()
            made = set()
            first: dict[str, Path] = {}     # digest -> the file written with those bytes, in this build
            for rel in sorted(files):
                if rel in linked:
                    continue
                target = staging / rel
                if target.parent not in made:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    made.add(target.parent)
                target.unlink(missing_ok=True)       # a link to the old site's file: never write through it
                data = files[rel]
                if isinstance(data, OnDisk):
                    shutil.copyfile(out / rel, target)   # no hard links here: copy what is on disk
                elif hashes[rel] in first:
                    os.link(first[hashes[rel]], target)  # the same bytes again (style.css, an owner copy): once
                else:
                    put_file(data, target)
                    first[hashes[rel]] = target
            carry_over(out, staging)                 # the reminders `hourbook remind` wrote (docs/reminders.md)
            os.chmod(staging, 0o755)
            if watch or len(old) < DETACHED_REMOVAL_FILES:
                self.spare.drop(remove_in_background if watch else remove_detached)
                swap_in(staging, out, remove_old=remove_in_background if watch else None)
            else:                   # the old site: the next build's staging folder, when most of it is linked
                swapped_out: list[Path] = []
                swap_in(staging, out, remove_old=swapped_out.append)
                if swapped_out:
                    self.spare.keep(swapped_out[0], (files.keys() - linked) | (old.keys() - files.keys()),
                                    len(files), remove_detached)
                else:               # no site was there (removed by hand): nothing the last spare is of
                    self.spare.drop(remove_detached)
            remove_stale(out, keep=BEING_REMOVED)   # what a killed build's child left meanwhile
        except OSError as exc:
            shutil.rmtree(staging, ignore_errors=True)
            raise SiteError(f"cannot write the site: {exc}") from exc
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return linked

    def _write_units(self, files: dict, hashes: dict[str, str], old: dict, units: set[str]) -> set[str]:
        """Watch mode: make each changed folder anew beside the site and swap it in; replace changed
        top-level files, and files that changed alone in their folder (`lone_files`), by rename.
        Returns the paths written anew (the others are the same inodes)."""
        out = self.out
        written = set()             # outside the changed units every file is as it was (`site_units`)
        members: dict[str, list[str]] = {unit: [] for unit in units}
        inside = tuple(f"{unit}/" for unit in units if unit not in files and unit not in old)   # the folders
        for rel in [rel for rel in files if rel.startswith(inside)] if inside else ():
            members[unit_of(rel)].append(rel)
        for unit, rels in members.items():
            for rel in rels or [unit]:
                check_relative(rel)
        self._mark_writing(True)
        folders = sorted(unit for unit in units if members[unit] or (out / unit).is_dir())
        for unit in folders:
            with self._staged() as staging:
                folder = staging / "unit"
                folder.mkdir()
                for rel in members[unit]:
                    target = folder / rel[len(unit) + 1:]
                    target.parent.mkdir(parents=True, exist_ok=True)   # a client's invoices/ folder
                    if self._unchanged(rel, files[rel], hashes[rel], old):
                        os.link(out / rel, target)
                        continue
                    _put(files[rel], out / rel, target)
                    written.add(rel)
                if members[unit]:
                    os.chmod(folder, 0o755)
                    (out / unit).parent.mkdir(parents=True, exist_ok=True)
                    swap_in(folder, out / unit)      # the old folder: a client's, removed at once
                else:
                    os.rename(out / unit, folder)          # the folder went: out of the site at once
        if len(folders) < len(units):      # after the folders: a page links to a folder only once it is there
            written |= self._replace_files(files, sorted(units.difference(folders)))
        return written

    def _replace_files(self, files: dict, paths: list[str]) -> set[str]:
        """Watch mode: each of `paths` written beside the site and renamed over the old file (or
        removed, when `files` no longer has it), one staging folder for all. The paths written."""
        out = self.out
        written = set()
        with self._staged() as staging:
            for number, rel in enumerate(paths):
                if rel not in files:
                    (out / rel).unlink(missing_ok=True)
                    continue
                target = staging / f"file-{number}"
                _put(files[rel], out / rel, target)
                os.chmod(target, 0o644)
                (out / rel).parent.mkdir(parents=True, exist_ok=True)
                os.replace(target, out / rel)
                written.add(rel)
        return written

    @contextlib.contextmanager
    def _staged(self) -> Iterator[Path]:
        """A staging folder beside the site for one step of a watch write, removed after it. A step
        that fails leaves the site no longer what the state says: the state is dropped, and an
        OSError is a SiteError."""
        staging = new_staging(self.out, keep=BEING_REMOVED)
        try:
            yield staging
        except OSError as exc:
            self.state = {}
            raise SiteError(f"cannot write the site: {exc}") from exc
        except BaseException:
            self.state = {}
            raise
        finally:
            remove_folder(staging)

    def _mark_writing(self, on: bool) -> None:
        """While folders are swapped one by one, the state on disk no longer describes the site:
        a process that starts meanwhile (after a kill) must not link from it."""
        if self.cache_dir is None:
            return
        mark = self.cache_dir / WRITING_MARK
        if on:
            self.flush()                    # its end would take the mark away
            self.cache_dir.mkdir(exist_ok=True)
            mark.touch()
        else:
            mark.unlink(missing_ok=True)


def _put(data: bytes | OnDisk, on_disk: Path, target: Path) -> None:
    """Write `data` at `target`: its bytes, or (`OnDisk`) a copy of the site's file `on_disk`,
    never a link to it."""
    if isinstance(data, OnDisk):
        shutil.copyfile(on_disk, target)
    else:
        put_file(data, target)
