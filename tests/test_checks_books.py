"""The book checks (`hourbook.checks.books`) on small hand-built `Books`, each diagnostic pinned whole.

Every check gets records, never files: what the loader would have made from a books
folder is written out here, so a failure points at the check and not at the loader.
"""

from __future__ import annotations

import datetime

from hourbook.checks.books import VALIDATIONS
from hourbook.checks.books import check_clients
from hourbook.checks.books import check_expenses
from hourbook.checks.books import check_future
from hourbook.checks.books import check_overlaps
from hourbook.checks.books import check_quote_tags
from hourbook.checks.books import check_workers
from hourbook.checks.books import validate
from hourbook.core.money import D
from hourbook.core.records import ERROR
from hourbook.core.records import EXPENSE
from hourbook.core.records import REQUEST
from hourbook.core.records import TIME
from hourbook.core.records import WARNING
from hourbook.core.records import Books
from hourbook.core.records import Contract
from hourbook.core.records import Diagnostic
from hourbook.core.records import Entry
from hourbook.core.records import Party
from hourbook.core.records import Quote
from hourbook.core.records import Settings
from hourbook.core.records import Source
from hourbook.core.records import TeamMember

AS_OF = datetime.date(2026, 10, 31)
DAY = datetime.date(2026, 10, 6)
LOGBOOK = "logbook/2026/10.md"


def contract(cid: str, *, currency: str = "EUR", quotes: tuple[Quote, ...] = ()) -> Contract:
    return Contract(cid, Party(cid.title()), Source(f"contracts/{cid}.yaml", 1), currency=currency, quotes=quotes)


def quote(qid: str) -> Quote:
    return Quote(qid, f"Quote {qid}", Source("contracts/acme.yaml", 10))


def entry(line: int, client: str = "acme", *, kind: str = TIME, day: datetime.date = DAY,
          path: str = LOGBOOK, **fields) -> Entry:
    """An entry as the loader makes it: 1h of time at `path:line` unless told otherwise."""
    fields.setdefault("minutes", 60 if kind == TIME else 0)
    return Entry(kind, day, client, Source(path, line), **fields)


def ranged(line: int, start: str, end: str, **fields) -> Entry:
    """A time range `09:00-10:30`; an end before the start crosses midnight, as the loader reads it."""
    first, last = (int(clock[:2]) * 60 + int(clock[3:]) for clock in (start, end))
    if last <= first:
        last += 1440
    return entry(line, start=first, end=last, minutes=last - first, **fields)


def books(*entries: Entry, contracts: tuple[Contract, ...] = (contract("acme"),),
          team: tuple[TeamMember, ...] = (), broken: frozenset[str] = frozenset()) -> Books:
    return Books(Settings(Party("Ana Ruiz Consulting"), team=team), contracts, entries, broken_clients=broken)


def at(line: int, message: str, severity: str = ERROR, path: str = LOGBOOK) -> Diagnostic:
    return Diagnostic(Source(path, line), message, severity)


# ------------------------------------------------------------------ clients


def test_entries_of_known_clients_pass():
    assert check_clients(books(entry(4), entry(5, kind=EXPENSE, amount=D("12.50"))), AS_OF) == []


def test_an_unknown_client_is_an_error_at_the_entry_with_the_near_miss():
    found = check_clients(books(entry(4, "acmee"), contracts=(contract("acme"), contract("globex"))), AS_OF)
    assert found == [at(4, "unknown client 'acmee' (did you mean 'acme'?)")]


def test_an_unknown_client_differing_only_in_case_is_named():
    assert check_clients(books(entry(4, "ACME")), AS_OF) == [at(4, "unknown client 'ACME' (did you mean 'acme'?)")]


def test_an_unknown_capitalised_client_without_a_near_miss_is_told_ids_are_lowercase():
    assert check_clients(books(entry(4, "Meeting")), AS_OF) == [
        at(4, "unknown client 'Meeting' (client ids are lowercase: a heading of one word names a client)")]


def test_an_unknown_lowercase_client_without_a_near_miss_is_just_unknown():
    assert check_clients(books(entry(4, "zeppelin")), AS_OF) == [at(4, "unknown client 'zeppelin'")]


def test_with_no_contracts_every_client_is_unknown_and_says_why():
    found = check_clients(books(entry(4), entry(9, "globex"), contracts=()), AS_OF)
    assert found == [at(4, "unknown client 'acme' (there are no contracts in contracts/)"),
                     at(9, "unknown client 'globex' (there are no contracts in contracts/)")]


def test_a_client_whose_contract_is_broken_is_not_unknown_too():
    """The contract's own errors were reported when it was loaded; its entries are not blamed again."""
    assert check_clients(books(entry(4, "globex"), broken=frozenset({"globex"})), AS_OF) == []


def test_requests_and_expenses_of_unknown_clients_are_reported_too():
    found = check_clients(books(entry(4, "zeppelin", kind=REQUEST, by="ana"),
                                entry(5, "zeppelin", kind=EXPENSE, amount=D(5))), AS_OF)
    assert found == [at(4, "unknown client 'zeppelin'"), at(5, "unknown client 'zeppelin'")]


# ------------------------------------------------------------------ workers


TEAM = (TeamMember("bo", "Bo Larsen", None), TeamMember("carla", "Carla Gil", D(40)))


def test_the_seller_and_team_members_pass():
    assert check_workers(books(entry(4), entry(5, worker="bo"), entry(6, worker="carla"), team=TEAM), AS_OF) == []


def test_an_unknown_worker_is_an_error_with_the_near_miss():
    found = check_workers(books(entry(4, worker="karla"), team=TEAM), AS_OF)
    assert found == [at(4, "unknown worker 'karla': add it to team: in hourbook.yaml (did you mean 'carla'?)")]


def test_an_unknown_worker_without_a_team_says_where_to_add_it():
    assert check_workers(books(entry(4, worker="bo")), AS_OF) == [
        at(4, "unknown worker 'bo': add it to team: in hourbook.yaml")]


# ------------------------------------------------------------------ quote tags


QUOTED = contract("acme", quotes=(quote("Q-Web"), quote("Q-App")))


def test_tags_naming_the_clients_quotes_pass_in_any_case_of_the_id():
    assert check_quote_tags(books(entry(4, tags=("q-web",)), entry(5, tags=("support", "q-app")),
                                  contracts=(QUOTED,)), AS_OF) == []


def test_an_unknown_quote_tag_lists_the_clients_quotes_and_the_near_miss():
    found = check_quote_tags(books(entry(4, tags=("support", "q-wbe")), contracts=(QUOTED,)), AS_OF)
    assert found == [at(4, "unknown quote id 'q-wbe' for client 'acme' (its quotes: Q-Web, Q-App) "
                           "(did you mean 'q-web'?)")]


def test_a_quote_tag_for_a_client_without_quotes_says_so():
    assert check_quote_tags(books(entry(4, tags=("q-1",))), AS_OF) == [
        at(4, "unknown quote id 'q-1' for client 'acme' (it has no quotes)")]


def test_several_unknown_quote_tags_on_one_entry_are_one_diagnostic():
    found = check_quote_tags(books(entry(4, tags=("q-x", "q-web", "q-y", "q-z")), contracts=(QUOTED,)), AS_OF)
    assert found == [at(4, "unknown quote id 'q-x' for client 'acme' (its quotes: Q-Web, Q-App); "
                           "and 2 more unknown quote ids on this entry")]


def test_tags_not_shaped_like_a_quote_and_unknown_clients_are_left_to_other_checks():
    assert check_quote_tags(books(entry(4, tags=("support", "quote", "q")), entry(5, "zeppelin", tags=("q-1",))),
                            AS_OF) == []


def test_the_first_contract_of_an_id_holds_its_quotes():
    """Two contracts with one id are an error of their own; meanwhile the first counts, as `Books.contract`."""
    both = (QUOTED, contract("acme"))
    assert check_quote_tags(books(entry(4, tags=("q-web",)), contracts=both), AS_OF) == []
    assert check_quote_tags(books(entry(4, tags=("q-web",)), contracts=both[::-1]), AS_OF) == [
        at(4, "unknown quote id 'q-web' for client 'acme' (it has no quotes)")]


# ------------------------------------------------------------------ overlaps


def test_overlapping_ranges_of_one_worker_warn_at_the_later_one():
    found = check_overlaps(books(ranged(4, "09:00", "10:30"), ranged(5, "10:00", "11:00")), AS_OF)
    assert found == [at(5, f"10:00-11:00 overlaps 09:00-10:30 on 2026-10-06 at {LOGBOOK}:4", WARNING)]


def test_ranges_that_only_touch_or_belong_to_different_workers_do_not_overlap():
    assert check_overlaps(books(ranged(4, "09:00", "10:30"), ranged(5, "10:30", "11:00"),
                                ranged(6, "09:00", "10:30", worker="bo")), AS_OF) == []


def test_durations_and_other_days_never_overlap():
    assert check_overlaps(books(ranged(4, "09:00", "10:30"), entry(5, minutes=90),
                                ranged(9, "09:00", "10:30", day=DAY + datetime.timedelta(days=1))), AS_OF) == []


def test_overlaps_are_found_in_time_order_whatever_the_order_of_the_files():
    later_file = ranged(2, "09:00", "10:30", path="logbook/2026/09.md")
    found = check_overlaps(books(ranged(7, "10:00", "10:15"), later_file), AS_OF)
    assert found == [at(7, "10:00-10:15 overlaps 09:00-10:30 on 2026-10-06 at logbook/2026/09.md:2", WARNING)]


def test_ranges_starting_together_warn_at_the_one_later_in_the_books():
    found = check_overlaps(books(ranged(8, "09:00", "09:30"), ranged(4, "09:00", "10:00")), AS_OF)
    assert found == [at(8, f"09:00-09:30 overlaps 09:00-10:00 on 2026-10-06 at {LOGBOOK}:4", WARNING)]


def test_a_long_range_is_overlapped_by_each_range_inside_it():
    found = check_overlaps(books(ranged(4, "09:00", "17:00"), ranged(5, "10:00", "11:00"),
                                 ranged(6, "12:00", "13:00")), AS_OF)
    assert found == [at(5, f"10:00-11:00 overlaps 09:00-17:00 on 2026-10-06 at {LOGBOOK}:4", WARNING),
                     at(6, f"12:00-13:00 overlaps 09:00-17:00 on 2026-10-06 at {LOGBOOK}:4", WARNING)]


def test_a_range_over_midnight_overlaps_the_next_mornings_range():
    next_day = DAY + datetime.timedelta(days=1)
    found = check_overlaps(books(ranged(4, "23:00", "01:00"), ranged(9, "00:30", "02:00", day=next_day)), AS_OF)
    assert found == [at(9, f"00:30-02:00 overlaps 23:00-01:00 on 2026-10-06 at {LOGBOOK}:4", WARNING)]


# ------------------------------------------------------------------ future entries


def test_entries_after_the_as_of_date_warn_and_the_as_of_date_itself_is_fine():
    found = check_future(books(entry(4, day=AS_OF), entry(5, day=AS_OF + datetime.timedelta(days=1)),
                               entry(6, kind=REQUEST, by="ana", day=datetime.date(2027, 1, 2))), AS_OF)
    assert found == [
        at(5, "entry dated 2026-11-01, after the as-of date 2026-10-31: it is left out of the statements", WARNING),
        at(6, "entry dated 2027-01-02, after the as-of date 2026-10-31: it is left out of the statements", WARNING)]


# ------------------------------------------------------------------ expenses


def test_expenses_with_the_currencys_decimals_or_fewer_pass():
    yen = contract("kaisha", currency="JPY")
    assert check_expenses(books(entry(4, kind=EXPENSE, amount=D("12.50")), entry(5, kind=EXPENSE, amount=D("7.5")),
                                entry(6, "kaisha", kind=EXPENSE, amount=D(1500)),
                                contracts=(contract("acme"), yen)), AS_OF) == []


def test_an_expense_with_more_decimals_than_its_clients_currency_is_an_error():
    contracts = (contract("acme"), contract("kaisha", currency="JPY"), contract("bahrain", currency="BHD"))
    found = check_expenses(books(entry(4, kind=EXPENSE, amount=D("12.345")),
                                 entry(5, "kaisha", kind=EXPENSE, amount=D("1500.5")),
                                 entry(6, "bahrain", kind=EXPENSE, amount=D("1.2345")),
                                 entry(7, "bahrain", kind=EXPENSE, amount=D("1.234")), contracts=contracts), AS_OF)
    assert found == [
        at(4, "expense 12.345 has more decimals than EUR has (2), the currency of 'acme': round it"),
        at(5, "expense 1500.5 has more decimals than JPY has (0), the currency of 'kaisha': round it"),
        at(6, "expense 1.2345 has more decimals than BHD has (3), the currency of 'bahrain': round it")]


def test_expenses_of_unknown_clients_are_left_to_the_client_check():
    assert check_expenses(books(entry(4, "zeppelin", kind=EXPENSE, amount=D("1.001"))), AS_OF) == []


def test_the_first_contract_of_an_id_gives_the_expenses_currency():
    both = (contract("acme", currency="JPY"), contract("acme"))
    assert check_expenses(books(entry(4, kind=EXPENSE, amount=D("9.99")), contracts=both), AS_OF) == [
        at(4, "expense 9.99 has more decimals than JPY has (0), the currency of 'acme': round it")]


# ------------------------------------------------------------------ validate


def test_validate_on_good_books_finds_nothing():
    good = books(ranged(4, "09:00", "10:30", tags=("q-web",)), ranged(5, "10:30", "11:00", worker="bo"),
                 entry(6, kind=EXPENSE, amount=D("12.50")), entry(7, kind=REQUEST, by="ana"),
                 contracts=(QUOTED,), team=TEAM)
    assert validate(good, AS_OF) == []


def test_validate_runs_every_check_in_order():
    bad = books(entry(3, "zeppelin"),
                entry(4, worker="karla"),
                entry(5, tags=("q-wbe",)),
                ranged(6, "09:00", "10:30"), ranged(7, "10:00", "11:00"),
                entry(8, day=datetime.date(2026, 11, 2)),
                entry(9, kind=EXPENSE, amount=D("0.125")),
                contracts=(QUOTED,), team=TEAM)
    found = validate(bad, AS_OF)
    assert found == [diagnostic for check in VALIDATIONS for diagnostic in check(bad, AS_OF)]
    assert found == [
        at(3, "unknown client 'zeppelin'"),
        at(4, "unknown worker 'karla': add it to team: in hourbook.yaml (did you mean 'carla'?)"),
        at(5, "unknown quote id 'q-wbe' for client 'acme' (its quotes: Q-Web, Q-App) (did you mean 'q-web'?)"),
        at(7, f"10:00-11:00 overlaps 09:00-10:30 on 2026-10-06 at {LOGBOOK}:6", WARNING),
        at(8, "entry dated 2026-11-02, after the as-of date 2026-10-31: it is left out of the statements", WARNING),
        at(9, "expense 0.125 has more decimals than EUR has (2), the currency of 'acme': round it")]
