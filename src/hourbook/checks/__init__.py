"""The check stage: loaded and priced books -> located diagnostics. Checks only report.

    books      checks over the whole books (`VALIDATIONS`, run by `validate`)
    spelling   tags and requesters that differ from known ones by accents or case only
    issued     issued invoices against the books (`check_issued`: all `check` says about them)
    register   the register's own checks: hash chain, gap-free numbers, append-only, PDFs
"""
