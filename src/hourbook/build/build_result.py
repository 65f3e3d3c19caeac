"""What one build did (`builder.Builder.build`), as the commands and watch report it."""

from __future__ import annotations

import dataclasses

from hourbook.core.records import Diagnostic


@dataclasses.dataclass
class BuildResult:
    """What one build did."""

    ok: bool
    diagnostics: list[Diagnostic]
    files: int = 0                  # files in the site
    written: int = 0                # files written or removed
    rendered_clients: int = 0       # clients whose statements and indexes were rendered
    rendered_pdfs: int = 0
    pdf_note: str | None = None     # how the PDFs' fonts were subset, when it could cost less (`rendering.pdf_note`)
    rendered_reports: int = 0       # owner reports rendered alone (their client's pages kept): after a commit
    restamped: int = 0              # owner's pages made to show a new commit without rendering (`render.restamp`)
    statements: int = 0
    clients: int = 0
    shared: int = 0
    up_to_date: bool = False
    error: str = ""                 # a site that could not be written (not a problem in the books)
    seconds: float = 0.0
