"""The output stage: priced books, diagnostics and the register as text for people and tools.

Nothing here decides a figure: it formats what pricing and the register hold.

    text     diagnostics and counts as a terminal shows them
    json     the priced books and diagnostics as JSON (SPEC §8), and the one JSON encoder
    export   priced lines as CSV; issued invoices as hledger and beancount journals
    progress the one place long runs show progress: a bar on a terminal, a line every few seconds elsewhere
"""
