"""The commands: thin verbs over the pipeline, and the long-running ones.

    cli     the command line: one `cmd_*` a verb, exit codes, where an unexpected exception becomes a line
    watch   watch mode: rebuild the site whenever the books change
    serve   watch mode plus a local preview server that reloads the open page
"""
