"""The build stage: the books -> the site on disk, incrementally; and the `check`/`price --json` runs.

`builder.Builder` is the one entry for a site (`build`, watch, serve); `price_run.price_run`
for `check` and `price --json`. One module a thing:

    builder        a build: pipeline, render, write, redoing only what a changed input reaches
    caches         what a long-lived builder (watch, serve) keeps in memory between builds
    digests        content digests that tell a build nothing it depends on changed
    cache_folder   .hourbook-cache/: what one run leaves for the next
    rendering      the changed clients' pages, in processes when many, then their PDFs
    publish        the built site put in place, whole or (watch) folder by folder
    price_run      `check` and `price --json`: the books through the pipeline, JSON streamed
    workers        the one process-pool factory, and what forked workers are handed down
"""
