"""What hourbook reads at most (docs/limits.md): beyond these it reports an error rather than
run for hours or out of memory.

Read as `limits.MAX_...` where they are used, never copied by `from ... import`, so that one
lowered value (as the bad-books tests lower them) holds for every reader of the books.
"""

from __future__ import annotations

MAX_FILE_BYTES = 64 * 1024 * 1024           # one Markdown file
MAX_YAML_BYTES = 16 * 1024 * 1024           # one YAML file: YAML costs some 60 bytes of memory per byte of file
MAX_LOGBOOK_BYTES = 512 * 1024 * 1024       # all the logbooks together
MAX_ENTRIES = 2_000_000                     # entries in all the logbooks
MAX_CLIENT_ID = 100                         # characters: site/public/<id>-<32 hex digits>/ and the names
                                            # staged beside it stay well under 255 bytes
MAX_SHOWN_LINES = 20                        # lines with control characters reported one by one, per file
