"""Watch's reading ahead: the books read, priced and checked against the site on disk while the
user reads, so that the first edit costs the edit.

A watch started on a site already built finds it up to date and reads nothing. Its first edit
would then read and price every file (2.2 s on 88 000 small logbooks), stat every file of
the site to know that the other clients' pages are on disk as the last build wrote them
(51 000 stat calls, 0.2 s at 100 000 entries), hash and compare all of them again, and load
the templates, the words and the locale data of its language on its way (0.2 s more).
`read_ahead` does all of that after the first build, before watch says it is ready
(`commands.watch.SiteBuilder`), and writes nothing: the pages it renders to warm up are let go.
"""

from __future__ import annotations

from hourbook import pipeline
from hourbook.render import render_site
from hourbook.render.html import TemplateProblem
from hourbook.site.secret import public_folders
from hourbook.site.secret import read_secret


def read_ahead(builder) -> bool:
    """Read and price the books into the caches of `builder` (a `build.builder.Builder`), keep
    each client's files on disk as its pages, and render one client of each language; whether
    the books were read (not without a listing from a first build)."""
    if builder.listed is None:
        return False
    builder.logbooks.changed = None
    builder.logbooks.keep_whole = builder.background_cleanup
    priced, diagnostics = builder._load_and_price(builder.as_of(), builder.listed)
    secret, problems = read_secret(builder.root)
    if pipeline.has_errors([*diagnostics, *problems]):
        return True                         # the edit's build says what is wrong
    folders = public_folders(priced, secret)
    kept, _, _ = builder.kept_clients(priced, folders)
    builder.pages.replace(kept)
    # Their hashes as the last write's: the edit's write looks at its own client's files only.
    files = {rel: data for page in kept.values() for rel, data in page.files.items()}
    builder.published.hashes.replace(files, {rel: data.sha256 for rel, data in files.items()},
                                     builder.published.state.get("manifest") or {})
    first_of_language = {}
    for client in priced.clients:
        first_of_language.setdefault(client.contract.locale, client)
    try:
        render_site(priced, builder.root, folders, pdf=False, clients=list(first_of_language.values()),
                    owner=False, environment=builder.env[1])
    except TemplateProblem:
        pass                                # the books' template: the edit's build says where
    return True
