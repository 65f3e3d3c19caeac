"""The one JSON encoder, pinned to json.dumps, and the fast writer of `price --json`, pinned to the encoder.

`json_text(value, depth)` must write what `json.dumps(value, indent=2, ensure_ascii=False)`
writes (indented `depth` levels more), and refuse what it refuses; `client_text(client)`
must write what `json_text(client_json(client), 2)` writes, for every shape of line and
statement the pricing makes. The second pin runs on real priced books (the example books
at the top of the repository and books that add the shapes they lack) and on generated
records with hostile text.
"""

from __future__ import annotations

import datetime
import json
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from conftest import write_books
from hourbook.core.money import minor_digits
from hourbook.core.records import EXPENSE
from hourbook.core.records import STATUSES
from hourbook.core.records import TIME
from hourbook.core.records import BlockState
from hourbook.core.records import Contract
from hourbook.core.records import Entry
from hourbook.core.records import Fee
from hourbook.core.records import Line
from hourbook.core.records import Minutes
from hourbook.core.records import Party
from hourbook.core.records import PrepaidBlock
from hourbook.core.records import PricedClient
from hourbook.core.records import Quote
from hourbook.core.records import QuoteState
from hourbook.core.records import Source
from hourbook.core.records import Statement
from hourbook.output.json import client_json
from hourbook.output.json import client_text
from hourbook.output.json import json_text
from hourbook.pipeline import load_and_price

EXAMPLE_BOOKS = Path(__file__).resolve().parent.parent
AS_OF = datetime.date(2026, 12, 31)


def reference(value, depth: int = 0) -> str:
    """What `json_text` must write: the standard encoder's text, indented `depth` levels more."""
    return json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n" + "  " * depth)


# ---------------------------------------------------------------- the encoder

# Text that needs escaping, text that must not be escaped (ensure_ascii=False), and the rest.
HOSTILE = st.sampled_from(['"', "\\", "\n", "\r", "\t", "\x00", "\x1b", "\x7f", "\u2028", "\u202e", "é", "東", "🖥"])
texts = st.one_of(st.text(), st.lists(HOSTILE, max_size=6).map("".join))
keys = st.one_of(texts, texts, st.integers(-5, 5), st.none(), st.booleans(), st.floats(allow_nan=False))
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.integers(-2**70, 2**70), texts,
                    st.floats(allow_nan=True, allow_infinity=True))
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.lists(inner, max_size=4).map(tuple),
                            st.dictionaries(texts, inner, max_size=4), st.dictionaries(keys, inner, max_size=3)),
    max_leaves=30)


@pytest.mark.slow  # long property test: 400 generated values
@given(json_values, st.integers(0, 70))
@settings(max_examples=400, deadline=None)
def test_json_text_writes_what_json_dumps_writes(value, depth):
    assert json_text(value, depth) == reference(value, depth)


@pytest.mark.parametrize("value", [
    {"a": [1, {"b": None}], "c": True},
    [[[]], {}, "", 0, -0.0, 1e100, float("nan")],
    {1: "one", None: "none", False: "false", 2.5: "float key"},
    ("tuple", ["list", ("nested",)]),
])
def test_json_text_examples(value):
    assert json_text(value) == reference(value)
    assert json_text(value, 3) == reference(value, 3)


def test_json_text_nested_deeper_than_its_indent_table():
    value: list = ["bottom", {"key": "value"}]
    for depth in range(80):
        value = [value, {"level": depth}] if depth % 2 else {"inner": value}
    assert json_text(value) == reference(value)
    assert json_text(value, 5) == reference(value, 5)


@pytest.mark.parametrize("value", [Decimal("1.5"), [1, Decimal("2")], {"amount": Decimal(3)}, {("a", "b"): 1},
                                   {1, 2}, {"deep": [[{"x": object()}]]}])
def test_json_text_refuses_what_json_dumps_refuses(value):
    with pytest.raises(TypeError):
        json.dumps(value, indent=2, ensure_ascii=False)
    with pytest.raises(TypeError):
        json_text(value)


def test_json_text_of_the_diagnostics_list_as_price_json_nests_it():
    value = [{"path": "logbook/2026-11.md", "line": 3, "severity": "warning", "message": 'a "quoted" \\ word'}]
    assert json_text(value, 1) == reference(value, 1)
    assert json.loads(json_text(value, 1)) == value


# ---------------------------------------------------------------- the fast writer, on priced books

# What the example books lack: a retainer without a rate (uncovered lines), a quote without an
# estimate, currencies with 0 and 3 minor digits, a client without a statement, descriptions with
# quotes, backslashes, an emoji and CJK, a contract label with a backslash. (Control characters
# never reach a priced line from the books: the generated records below carry them.)
MORE_SHAPES = {
    "contracts/kyoto.yaml": """\
        name: "Kyoto \\"Denki\\" K.K."
        address: "1 Karasuma-dori, Kyoto"
        currency: JPY
        terms:
          - from: 2026-01-01
            kind: retainer
            label: "Support \\\\ maintenance"
            fee: 50000
            included: 2h
            covers: [support]
            increment: 15m
        quotes:
          - id: Q-1
            title: "A quote without an estimate"
            price: 120000
            approved: "2026-10-01 aiko"
        """,
    "contracts/manama.yaml": """\
        name: Manama Trading W.L.L.
        address: "Road 1, Manama"
        currency: BHD
        tax: 10%
        terms:
          - from: 2026-01-01
            kind: hourly
            rate: 12.125
            increment: 1m
        """,
    "contracts/quiet.yaml": """\
        name: Quiet Client Ltd
        address: "1 Silent Street"
        terms:
          - from: 2026-01-01
            kind: hourly
            rate: 50
        """,
    "logbook/2026-11.md": """\
        # 2026-11-02

        ## kyoto
        - 1h @aiko Printer "Tokyo-2" on C:\\share\\print #support
        - 2h @aiko Server room 🖥 after the move, 東京 #onsite
        - 30m Q-1 kick-off #q-1
        - 3h Long support call, part over the allowance #support

        ## manama
        - 37m Mailbox rules for the team #support
        """,
}

# Every shape the fast writer must get right; `shapes_of` says which a client has.
LINE_SHAPES = ({f"status {status}" for status in STATUSES} | {f"kind {kind}" for kind in (TIME, EXPENSE)} | {
    "no reason", "reason", "no requester", "requester", "no tags", "tags", "no rate", "rate",
    "no cover", "cover retainer", "cover block", "split across covers", "surcharged", "details", "no details",
    "worker", "quote or backslash in text", "non-ASCII text"})
STATEMENT_SHAPES = {"fee retainer", "fee prepaid", "fee quote", "block of hours", "block of incidents",
                    "quote with estimate", "quote without estimate", "statement without lines", "tax",
                    "client without statements", "0 minor digits", "2 minor digits", "3 minor digits"}


def shapes_of(client: PricedClient) -> set[str]:
    found = {f"{minor_digits(client.contract.currency)} minor digits"}
    if not client.statements:
        found.add("client without statements")
    for statement in client.statements:
        found |= {f"fee {fee.kind}" for fee in statement.fees}
        found |= {"block of incidents" if state.block.incidents is not None else "block of hours"
                  for state in statement.prepaid}
        found |= {"quote with estimate" if state.quote.estimate is not None else "quote without estimate"
                  for state in statement.quotes}
        found |= {"statement without lines"} if not statement.lines else set()
        found |= {"tax"} if statement.tax else set()
        parts = Counter(id(line.entry) for line in statement.lines)
        for line in statement.lines:
            entry = line.entry
            text = entry.description + entry.by + "".join(entry.tags)
            found |= {f"status {line.status}", f"kind {entry.kind}",
                      "reason" if line.reason else "no reason", "requester" if entry.by else "no requester",
                      "tags" if entry.tags else "no tags", "rate" if line.rate is not None else "no rate",
                      "details" if entry.details else "no details",
                      "no cover" if line.cover is None else
                      "cover retainer" if line.cover == "retainer" else "cover block"}
            found |= {"split across covers"} if parts[id(entry)] > 1 else set()
            found |= {"surcharged"} if line.surcharge else set()
            found |= {"worker"} if entry.worker else set()
            found |= {"quote or backslash in text"} if '"' in text or "\\" in text else set()
            found |= {"non-ASCII text"} if not text.isascii() else set()
    return found


@pytest.fixture(scope="module")
def priced_clients(tmp_path_factory) -> list[PricedClient]:
    more = write_books(tmp_path_factory.mktemp("more") / "books", MORE_SHAPES)
    clients = []
    for root in (EXAMPLE_BOOKS, more):
        priced, diagnostics = load_and_price(root, AS_OF)
        assert not [d for d in diagnostics if d.severity == "error"], diagnostics
        clients += priced.clients
    return clients


def test_the_priced_books_have_every_shape(priced_clients):
    seen = set().union(*map(shapes_of, priced_clients))
    assert LINE_SHAPES - seen == set()
    assert STATEMENT_SHAPES - seen == set()


def test_client_text_writes_what_the_encoder_writes_for_every_client(priced_clients):
    for client in priced_clients:
        assert client_text(client) == json_text(client_json(client), 2), client.contract.id


# ---------------------------------------------------------------- the fast writer, on generated records

SOURCE = Source("contracts/x.yaml", 1)
amounts = st.decimals(min_value=-10**6, max_value=10**6, places=4, allow_nan=False, allow_infinity=False)
currencies = st.one_of(st.sampled_from(["EUR", "JPY", "BHD", "GBP"]), texts)
sources = st.builds(Source, texts, st.integers(0, 10**6))
maybe_text = st.one_of(st.none(), texts)


@st.composite
def lines(draw) -> Line:
    entry = Entry(kind=draw(st.sampled_from([TIME, EXPENSE])), date=draw(st.dates()), client="x",
                  source=draw(sources), by=draw(texts), tags=tuple(draw(st.lists(texts, max_size=3))),
                  description=draw(texts), details=draw(texts), worker=draw(texts))
    return Line(entry, draw(st.sampled_from(STATUSES)), draw(maybe_text), draw(st.integers(0, 10**5)),
                draw(st.integers(0, 10**5)), draw(st.one_of(st.none(), amounts)), draw(amounts), draw(amounts),
                draw(maybe_text), draw(st.sampled_from([Decimal(0), Decimal("0.5")])))


@st.composite
def statements(draw) -> Statement:
    fees = tuple(Fee(draw(st.sampled_from(["retainer", "prepaid", "quote"])), draw(texts), draw(texts),
                     draw(amounts), datetime.date(2026, 1, 1), SOURCE) for _ in range(draw(st.integers(0, 3))))
    blocks = tuple(BlockState(PrepaidBlock(draw(texts), datetime.date(2026, 1, 1), SOURCE,
                                           incidents=draw(st.one_of(st.none(), st.integers(0, 9)))),
                              *draw(st.lists(st.integers(0, 10**4), min_size=6, max_size=6)))
                   for _ in range(draw(st.integers(0, 2))))
    quotes = tuple(QuoteState(Quote(draw(texts), draw(texts), SOURCE, estimate=draw(st.one_of(st.none(),
                                                                                               st.integers(0, 10**4)))),
                              draw(st.integers(0, 10**4))) for _ in range(draw(st.integers(0, 2))))
    return Statement("x", draw(texts), datetime.date(2026, 1, 1), datetime.date(2026, 1, 31),
                     tuple(draw(st.lists(lines(), max_size=4))), fees, draw(amounts), draw(amounts), draw(amounts),
                     Minutes(*draw(st.lists(st.integers(0, 10**5), min_size=7, max_size=7))), blocks, quotes)


@st.composite
def clients(draw) -> PricedClient:
    contract = Contract(id=draw(texts), party=Party(name="x"), source=SOURCE, currency=draw(currencies))
    return PricedClient(contract, tuple(draw(st.lists(statements(), max_size=3))))


@pytest.mark.slow  # long property test: 200 generated clients
@given(clients())
@settings(max_examples=200, deadline=None)
def test_client_text_writes_what_the_encoder_writes_for_generated_records(client):
    assert client_text(client) == json_text(client_json(client), 2)


@st.composite
def receivables_of(draw, client: PricedClient):
    """Receivables for `client`: generated invoices (any text, amounts, dates) and payments, replayed."""
    from hourbook.core.receivables import make_receivables
    from hourbook.core.records import Payment
    from hourbook.core.register import IssuedRecord

    records = []
    for seq in range(1, draw(st.integers(0, 3)) + 1):
        total = draw(st.decimals(min_value=-1000, max_value=1000, places=2, allow_nan=False, allow_infinity=False))
        records.append(IssuedRecord(
            number=draw(texts) + str(seq), type=draw(st.sampled_from(["invoice", "credit"])), corrects=draw(texts),
            scope="invoice", seq=seq, client=client.contract.id, period=draw(texts), issued=draw(st.dates()),
            currency=client.contract.currency, rate=Decimal(0), net=total, tax=Decimal(0), total=total, content="",
            commit="", pdf="invoices/x.pdf", lines=(), previous=""))
    payments = [Payment(date=draw(st.dates()), amount=draw(st.decimals(min_value="0.01", max_value=1000, places=2)),
                        source=draw(sources), client=client.contract.id) for _ in range(draw(st.integers(0, 3)))]
    return make_receivables(records, payments, {client.contract.id: draw(st.integers(0, 90))},
                            draw(st.dates()), {client.contract.id: client.contract.currency})


@given(st.data())
@settings(max_examples=40, deadline=None)
def test_client_text_with_receivables_writes_what_the_encoder_writes(data):
    """SPEC §8 "Receivables": a client's invoices, outstanding and credit, by the fast writer as by the encoder."""
    client = data.draw(clients())
    receivables = data.draw(receivables_of(client))
    assert client_text(client, receivables) == json_text(client_json(client, receivables), 2)
