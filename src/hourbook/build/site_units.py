"""Where a site path falls, for writing a site folder by folder (watch, `publish.PublishedSite.write`).

A site is client folders (`public/<folder>`, `owner/<client>`) and top-level files
(`owner/index.html`, `public/robots.txt`). Watch swaps each changed folder in whole, and
replaces a top-level file, or a file that changed alone in its folder, by rename; every
path it writes is checked to stay inside the site (`check_relative`).
"""

from __future__ import annotations

from hourbook.site.files import SiteError


def site_units(paths: list[str]) -> set[str] | None:
    """The folders (`public/<folder>`, `owner/<client>`) and top-level files that `paths` fall in.

    None when a path is not in that layout (then only a whole-site swap is safe).
    """
    units = set()
    for rel in paths:
        parts = rel.split("/")
        if len(parts) == 2 or (len(parts) >= 3 and parts[0] in ("public", "owner")):
            units.add("/".join(parts[:2]))
        else:
            return None
    return units


def lone_files(units: set[str], changed: list[str], removed: list[str], old: dict) -> set[str]:
    """`units` (of `site_units`) with each folder in which one file alone changed, none added or
    removed, given as that file: replaced by rename like a top-level file, as whole at every
    moment, rather than its folder made anew (a link per file) and swapped."""
    count: dict[str, int] = {}
    for rel in (*changed, *removed):
        unit = unit_of(rel)
        count[unit] = count.get(unit, 0) + 1
    lone = {unit_of(rel): rel for rel in changed if rel in old and count[unit_of(rel)] == 1 and unit_of(rel) != rel}
    return {lone.get(unit, unit) for unit in units}


_TOP_LEVEL: list = [None, ()]      # the manifest last asked about (held: its id is not reused), its answer


def top_level_files(manifest: dict) -> tuple[str, ...]:
    """The site's top-level files in `manifest` (`owner/index.html`, `public/robots.txt`): watch
    keeps them as they are in the write of an edit's client pages. Remembered for the very
    manifest last asked about (a manifest is never changed once written): 10 ms of each edit at
    51 000 paths."""
    if _TOP_LEVEL[0] is not manifest:
        _TOP_LEVEL[:] = [manifest, tuple(rel for rel in manifest if rel.count("/") == 1)]
    return _TOP_LEVEL[1]


def unit_of(rel: str) -> str:
    """`public/acme-x/2026-11.html` -> `public/acme-x`; a top-level file is its own unit."""
    second = rel.find("/", rel.find("/") + 1)
    return rel if second < 0 else rel[:second]


def check_relative(rel: str) -> None:
    """A site path stays inside the site: relative, `/`-separated, no `.` or `..` parts."""
    if (rel.startswith("/") or "\\" in rel or "\x00" in rel
            or any(part in ("", ".", "..") for part in rel.split("/"))):
        raise SiteError(f"refusing to write {rel!r}: outside the site folder")

