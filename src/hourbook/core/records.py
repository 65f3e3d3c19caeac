"""The immutable records hourbook works on, from loaded books to priced statements.

Every loaded record carries a `Source`; records made by pricing carry their entry's or contract's. No I/O here.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from dataclasses import field
from decimal import Decimal

from hourbook.core.diagnostics import ERROR  # noqa: F401
from hourbook.core.diagnostics import PRICING_SOURCE  # noqa: F401 - where they are known as records
from hourbook.core.diagnostics import WARNING  # noqa: F401
from hourbook.core.diagnostics import Diagnostic  # noqa: F401
from hourbook.core.diagnostics import Source
from hourbook.core.deferred import DeferredStatements
from hourbook.core.diagnostics import sorted_diagnostics  # noqa: F401
from hourbook.core.fee_rules import FeeRules
from hourbook.core.pickling import pickled_as_arguments
from hourbook.core.slots import quick_init

ClientId = str
Tag = str

# --------------------------------------------------------------- settings


@dataclass(frozen=True)
class Party:
    """Who bills or who is billed: name and the details an invoice carries."""

    name: str
    address: str = ""
    tax_id: str = ""
    email: str = ""
    iban: str = ""
    bic: str = ""


@dataclass(frozen=True)
class TeamMember:
    id: str
    name: str
    cost: Decimal | None


@dataclass(frozen=True)
class LocalText:
    """Free text of the books by language (`note: {es: …, en: …}`): one text per locale as written.

    A plain string in the books is one text in the books' own locale (`plain`). A client whose
    language has no text gets none: never a text in another language (`text_for` gives "").
    """

    texts: tuple[tuple[str, str], ...] = ()     # (locale, text): `es`, `en_GB` …, as the books wrote them
    source: Source = Source("hourbook.yaml", 1)
    plain: bool = False

    def __bool__(self) -> bool:
        return any(text for _, text in self.texts)

    def text_for(self, locale: str) -> str:
        """The text for `locale`: its own (`en_GB`), else its language's (`en`); "" when there is none."""
        wanted = locale.replace("-", "_")
        texts = dict(self.texts)
        return texts.get(wanted) or texts.get(wanted.split("_")[0], "")


@dataclass(frozen=True)
class VatExemption:
    """Why one client's invoices carry no VAT: an EN 16931 VAT category and the note the law asks for."""

    client: ClientId
    category: str                               # E, AE, K, G, O or Z
    note: LocalText
    source: Source


HOURS_CLOCK = "h:mm"                            # hours shown as 1:30
HOURS_DECIMAL = "decimal"                       # hours shown as 1.50
HOURS_FORMS = (HOURS_CLOCK, HOURS_DECIMAL)


@dataclass(frozen=True)
class ShownTag:
    """A tag clients may see on their documents (`show_tags:`), with its name in some languages."""

    tag: Tag
    names: tuple[tuple[str, str], ...] = ()     # (language or locale, display name)


@dataclass(frozen=True)
class Settings:
    """hourbook.yaml."""

    seller: Party
    currency: str = "EUR"
    locale: str = "en"
    period: str = "month"
    cost: Decimal | None = None
    team: tuple[TeamMember, ...] = ()
    base_url: str = ""
    number_format: str = "{year}-{seq:04d}"
    credit_number_format: str = "R{year}-{seq:04d}"   # corrective invoices: a series of their own
    invoice_note: LocalText = LocalText()       # printed on every invoice in the client's language (payment terms)
    due_days: int = 30                          # payment due this many days after the issue date
    vat_exemptions: tuple[VatExemption, ...] = ()
    source: Source = Source("hourbook.yaml", 1)
    show_tags: tuple[ShownTag, ...] = ()        # tags every client may see (contracts add theirs)
    hours: str = HOURS_CLOCK                    # how client documents show hours (a contract may say otherwise)
    tag_aliases: tuple[tuple[Tag, Tag], ...] = ()   # `tags:` name typed -> the tag it stands for (load.tag_aliases)
    bonus_rule: tuple[int, int] | None = None   # (every, bonus) minutes: a block's bonus per whole `every` bought
    reminders: ReminderRules | None = None      # `reminders:` (None: the defaults), docs/reminders.md
    late_interest: LateInterest | None = None   # `late_interest:` (None: no interest), docs/reminders.md
    owner_currency: str = ""                    # the owner's pages' currency; "": `currency`
    # exchange_rates: ((from date, ((currency, owner currency per unit), ...)), ...), oldest first
    exchange_rates: tuple[tuple[datetime.date, tuple[tuple[str, Decimal], ...]], ...] = ()
    exchange_rates_line: int = 0                # the `exchange_rates:` line of hourbook.yaml (0: none)
    given_away_alert: Decimal = Decimal("0.2")  # `alerts: {given_away: 20%}`: no-charge value / billed (core.alerts)
    fee: FeeRules = FeeRules()                  # `fee:`: the suggested fee and the schemes compared (core.fee)
    reasons: tuple[ShownTag, ...] = ()          # tags that say why clients ask, with names (docs/requests.md)
    reasons_line: int = 0                       # the line of `reasons:` in hourbook.yaml (0: none)


@dataclass(frozen=True)
class ReminderRules:
    """`reminders: {second: 15, final: 30}`: from how many days overdue a reminder is the second, the final one."""

    second: int = 15
    final: int = 30


@dataclass(frozen=True)
class LateInterest:
    """`late_interest:` (EU Directive 2011/7/EU): a reference rate plus points a year, and a fixed compensation.

    `rates` are (from, fraction) by date, the first from None (in force since always); `compensation`
    is (currency, amount) pairs: a currency without one gets no compensation.
    """

    rates: tuple[tuple[datetime.date | None, Decimal], ...]
    points: Decimal
    compensation: tuple[tuple[str, Decimal], ...]
    source: Source

    def rate_on(self, day: datetime.date) -> Decimal:
        """The annual rate in force on `day`: the reference rate of the latest `from` on or before it, plus the points."""
        rate = None
        for start, value in self.rates:
            if start is None or start <= day:
                rate = value
        return (rate if rate is not None else Decimal(0)) + self.points

    def compensation_in(self, currency: str) -> Decimal | None:
        """The fixed compensation per invoice in `currency`, or None when the books state none for it."""
        return dict(self.compensation).get(currency)


# --------------------------------------------------------------- contracts


@dataclass(frozen=True)
class Term:
    """One term of a contract, in force from `start` to `until` (inclusive)."""

    kind: str                                   # hourly | retainer | prepaid | free
    start: datetime.date
    until: datetime.date | None
    source: Source
    label: str = ""
    rate: Decimal | None = None
    rates: tuple[tuple[Tag, Decimal], ...] = ()
    increment: int = 1                          # minutes
    free_under: int = 0                         # minutes
    minimum: int = 0                            # minutes
    surcharge: tuple[tuple[Tag, Decimal], ...] = ()   # fractions: 50% -> 0.5
    no_charge: frozenset[Tag] = frozenset()
    fee: Decimal | None = None
    covers: frozenset[Tag] | None = None        # None: every entry
    included: int | None = None                 # minutes per period; None: no cap
    # Thresholds by tag (core/thresholds.py): the entry's first tag found here wins over the value above.
    free_under_tags: tuple[tuple[Tag, int], ...] = ()
    free_up_to: int = 0                         # minutes; an entry this long or shorter is no-charge
    free_up_to_tags: tuple[tuple[Tag, int], ...] = ()
    deductible: int = 0                         # minutes of every entry that are free
    deductible_tags: tuple[tuple[Tag, int], ...] = ()
    fee_per: str = ""                           # "": `fee` every period; "year": once a year, from `start`
    planned: int | None = None                  # retainers: minutes planned per period (not billed; core.alerts)

    def in_force(self, day: datetime.date) -> bool:
        """Whether `day` is from `start` to `until`, both included (no `until`: no end)."""
        return self.start <= day and (self.until is None or day <= self.until)


@dataclass(frozen=True)
class PrepaidBlock:
    """Hours (or incidents) paid in advance, usable from `bought` to `expires`."""

    id: str
    bought: datetime.date
    source: Source
    minutes: int = 0                            # hours + bonus, in minutes
    bonus_minutes: int = 0
    incidents: int | None = None                # an incident pack instead of hours
    price: Decimal | None = None
    expires: datetime.date | None = None
    used_before: int = 0                        # minutes (incidents for a pack) used before the books begin

    def usable(self, day: datetime.date) -> bool:
        """Whether the block can be used on `day`: bought by then and not expired (the expiry day still counts)."""
        return self.bought <= day and (self.expires is None or day <= self.expires)


@dataclass(frozen=True)
class Quote:
    """Fixed-price work: entries tagged with its id count against it."""

    id: str
    title: str
    source: Source
    price: Decimal | None = None
    estimate: int | None = None                 # minutes
    approved_on: datetime.date | None = None
    approved_by: str = ""
    invoice: datetime.date | None = None

    @property
    def approved(self) -> bool:
        """Whether the quote has an `approved_on` date."""
        return self.approved_on is not None


@dataclass(frozen=True)
class Estimate:
    """Hourly work with an estimate: entries tagged `tag` count against `minutes`; it changes no price."""

    id: str
    minutes: int
    tag: Tag
    source: Source
    description: str = ""


@dataclass(frozen=True)
class Contract:
    """contracts/<id>.yaml."""

    id: ClientId
    party: Party
    source: Source
    currency: str = "EUR"
    locale: str = "en"
    period: str = "month"
    tax: Decimal = Decimal(0)                   # fraction: 21% -> 0.21
    prices_include_tax: bool = False
    share: bool = True
    contacts: tuple[tuple[str, str], ...] = ()  # handle -> description
    terms: tuple[Term, ...] = ()
    prepaid: tuple[PrepaidBlock, ...] = ()
    quotes: tuple[Quote, ...] = ()
    estimates: tuple[Estimate, ...] = ()
    show_tags: tuple[ShownTag, ...] = ()        # the books' and the contract's, merged (load.client_view)
    hours: str = HOURS_CLOCK                    # h:mm or decimal
    due_days: int | None = None                 # `due_days:` of the contract; None: hourbook.yaml's invoice.due_days
    # Reminders (docs/reminders.md): the contract's or hourbook.yaml's, resolved when read; `business`
    # from `business:`, else whether it has a tax_id; `late_interest` None for a consumer or when turned off.
    business: bool = False
    reminders: ReminderRules = ReminderRules()
    late_interest: LateInterest | None = None
    markup: Decimal | None = None               # `markup:` on the cost for the suggested fee; None: hourbook.yaml's

    def term_on(self, day: datetime.date) -> Term | None:
        """The term with the latest `from` on or before `day` (of equal ones the last listed), if still in force."""
        best = None
        for term in self.terms:     # a loop, not max(): called for every entry priced
            if term.start <= day and (best is None or term.start >= best.start):
                best = term
        return best if best is not None and best.in_force(day) else None

    def quote(self, tag: Tag) -> Quote | None:
        """The quote whose id is `tag`, whatever the id's case (tags are lowercase); None if there is none."""
        for quote in self.quotes:
            if quote.id.lower() == tag:
                return quote
        return None


# --------------------------------------------------------------- logbooks

TIME = "time"
EXPENSE = "expense"
REQUEST = "request"


@pickled_as_arguments
@quick_init
@dataclass(frozen=True, slots=True)
class Entry:
    """One logged item: time, an expense, or a request (`[ ]`/`[x]`)."""

    kind: str                                   # time | expense | request
    date: datetime.date
    client: ClientId
    source: Source
    minutes: int = 0
    start: int | None = None                    # minute of the day, for ranges
    end: int | None = None                      # may exceed 1440 when crossing midnight
    amount: Decimal | None = None               # expenses
    by: str = ""                                # requester handle
    tags: tuple[Tag, ...] = ()
    approved: bool = False
    description: str = ""
    details: str = ""                           # indented Markdown under the entry
    worker: str = ""                            # "" = the seller
    done: bool = False                          # requests
    closed: datetime.date | None = None         # requests: the day a done one was closed (docs/requests.md)


@dataclass(frozen=True)
class Payment:
    """One payment received, from payments/**/*.yaml (docs/payments.md)."""

    date: datetime.date
    amount: Decimal                             # more than 0, in the currency's minor digits
    source: Source
    invoice: str = ""                           # the invoice number it pays, as written; "" for none
    client: ClientId = ""                       # the client who paid, when no invoice is named (or both agree)
    method: str = ""
    ref: str = ""                               # the bank's reference: unique over all payments
    currency: str = ""                          # "" = the invoice's or the client's


def pricing_order(entry: Entry) -> tuple:
    """The order entries are priced in, whatever order they came in: by date, then file and line
    (allowances and prepaid blocks are used up in it)."""
    return entry.date, entry.source.path, entry.source.line


class SortedEntries(tuple):
    """Entries in `pricing_order`, as the loader sorted them: `core.pricing.client_entries` need not
    sort them again (100 000 entries: 22 ms a build). Only `sorted_entries` makes one, and a tuple
    cannot change; a slice or a sum of it is a plain tuple again."""


def sorted_entries(entries) -> SortedEntries:
    """`entries` in `pricing_order`, marked as such."""
    return SortedEntries(sorted(entries, key=pricing_order))


@dataclass(frozen=True)
class Books:
    """Everything loaded from a books folder."""

    settings: Settings
    contracts: tuple[Contract, ...]
    entries: tuple[Entry, ...]
    files: tuple[str, ...] = ()                 # every file read, relative paths
    payments: tuple[Payment, ...] = ()          # payments/**/*.yaml, in file and line order
    broken_clients: frozenset[ClientId] = frozenset()   # contracts with errors, left out

    def contract(self, client: ClientId) -> Contract | None:
        """The first contract with the id `client`, or None."""
        for contract in self.contracts:
            if contract.id == client:
                return contract
        return None


# --------------------------------------------------------------- priced

BILLED = "billed"
HELD = "held"
NO_CHARGE = "no-charge"
QUOTE = "quote"
COVERED = "covered"
UNCOVERED = "uncovered"
STATUSES = (BILLED, COVERED, QUOTE, NO_CHARGE, HELD, UNCOVERED)


@dataclass(frozen=True)
class HeldFrom:
    """Where a late-approved line comes from: held in an issued invoice, billed (or waived) in a later period.

    The invoice it was held in never changes (docs/invoicing.md, "Late approval"); the line moves
    to `period`, the first period not issued when it was approved, and names this invoice.
    """

    number: str                                 # the issued invoice the line was held in ("": its period was
                                                # issued while its client had nothing to invoice)
    issued: datetime.date                       # that invoice's date (the period's first issue date)
    period: str                                 # that invoice's period (the entry's own)
    item: str                                   # the held line's fingerprint in that invoice's register record
    target: str                                 # the period the line is priced in now


@pickled_as_arguments
@quick_init
@dataclass(frozen=True, slots=True)
class Line:
    """A priced entry, or one part of an entry split by coverage."""

    entry: Entry
    status: str
    reason: str | None
    logged_minutes: int
    billed_minutes: int
    rate: Decimal | None
    value: Decimal
    amount: Decimal
    cover: str | None = None                    # block id or "retainer"
    surcharge: Decimal = Decimal(0)             # the term's surcharges for the entry's tags (0.5 = +50 %); 0 for expenses
    held_from: HeldFrom | None = None           # a held line approved or waived after its invoice was issued


@dataclass(frozen=True)
class Fee:
    """A retainer fee, a prepaid block's price or a quote's price, in a period."""

    kind: str                                   # retainer | prepaid | quote
    ref: str                                    # block or quote id; "" for retainers
    label: str
    amount: Decimal
    date: datetime.date
    source: Source


@dataclass(frozen=True)
class BlockState:
    """A prepaid block at the end of a period."""

    block: PrepaidBlock
    used_minutes: int
    remaining_minutes: int
    expired_minutes: int
    used_incidents: int = 0
    remaining_incidents: int = 0
    expired_incidents: int = 0


@dataclass(frozen=True)
class QuoteState:
    """A quote at the end of a period."""

    quote: Quote
    used_minutes: int


@dataclass(frozen=True)
class Minutes:
    logged: int = 0
    billed: int = 0
    covered: int = 0
    no_charge: int = 0
    held: int = 0
    quote: int = 0
    uncovered: int = 0


@dataclass(frozen=True)
class Statement:
    """One client's period: its lines, fees and totals."""

    client: ClientId
    period: str
    start: datetime.date
    end: datetime.date
    lines: tuple[Line, ...]
    fees: tuple[Fee, ...]
    net: Decimal
    tax: Decimal
    total: Decimal
    minutes: Minutes
    prepaid: tuple[BlockState, ...] = ()
    quotes: tuple[QuoteState, ...] = ()


@dataclass(frozen=True)
class PricedClient(DeferredStatements):
    """A client's statements and requests, priced from its contract and entries (`core.pricing`); or
    read back from the disk cache with its statements made when first asked for (`DeferredStatements`)."""

    contract: Contract
    statements: tuple[Statement, ...]
    requests: tuple[Entry, ...] = ()


@dataclass(frozen=True)
class PricedBooks:
    books: Books
    clients: tuple[PricedClient, ...]
    as_of: datetime.date
    diagnostics: tuple[Diagnostic, ...] = field(default=())
    receivables: object = None                  # core.receivables.Receivables (set by the pipeline); None: not made
