"""The invoicing stage: `hourbook issue`, from priced statements to numbered invoices on disk.

`issue.issue` is the one entry. One module a thing:

    issue           the period's invoices numbered and recorded, or refused with nothing written
    register_file   writing what `issue` issues: the PDFs, then the register, no half on a crash
    einvoice        the invoice as Factur-X: a PDF/A-3b of its page with its XML embedded
    cii             the invoice as Cross-Industry-Invoice XML, and its schema check
"""
