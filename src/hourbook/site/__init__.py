"""The site's files on disk: where a site may go, how it is written and swapped in, its secret links.

    folder   whether a folder may be replaced by a site (`SITE_MARKER`); judges, writes nothing
    tree     a staging folder beside the site, swapped in at once
    files    files written whole or not at all (the site, the invoices, the link secret)
    secret   the secret behind client links, and the links it keys
"""
