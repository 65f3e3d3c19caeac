"""The pure core: records, money, periods and pricing. No I/O, no imports from the outer stages.

    records     the immutable records, from loaded books to priced statements
    money       Decimal helpers: the only way money is made, rounded and written
    periods     billing periods: months, quarters and years
    pricing     entries and contracts -> priced lines, one client at a time, in date order
    ledger      what a client has consumed so far (allowances, block draws, tickets, quote work)
    period_figures  a period's fees, statement, totals, minutes, block and quote states
    incidents   which incident of a pack each line used
    thresholds  free_under, free_up_to and deductible, by term or by tag
    late        held lines approved after their invoice: which move, and to which open period
    documents   what one invoice or corrective invoice is made of, and its fingerprints
    invoice     the invoice record the law asks for, made from an issued document
    register    the register of issued invoices as records: hash chain, text, numbering
    printable   the one escaping of control characters for a terminal line
    memory      memory habits of the big passes and of watch (`no_cyclic_gc`, `settle`)
"""
