"""Client links (`hourbook.site.secret`): the token, the public folders, the URLs `hourbook links` prints.

A token is the first 32 hex digits of HMAC-SHA256(key=the secret's bytes, message=the
client id in UTF-8). The expected values below were computed outside Python:

    printf '%s' acme | openssl dgst -sha256 -hmac "$TEST_SECRET"
"""

from __future__ import annotations

import datetime

import pytest

from conftest import TEST_SECRET
from hourbook.core.records import Books
from hourbook.core.records import Contract
from hourbook.core.records import Party
from hourbook.core.records import PricedBooks
from hourbook.core.records import PricedClient
from hourbook.core.records import Settings
from hourbook.core.records import Source
from hourbook.site.secret import TOKEN_HEX_DIGITS
from hourbook.site.secret import client_token
from hourbook.site.secret import client_urls
from hourbook.site.secret import public_folders

SECRET = TEST_SECRET.encode("ascii")    # the secret is its bytes as written, never hex-decoded
ACME_TOKEN = "3eaeb78bf26f539fb6f6331332612b43"
GLOBEX_TOKEN = "662cbb78c5a908f255111c00cd4dc203"


def priced(*shared: tuple[str, bool]) -> PricedBooks:
    """Priced books with one client per (id, share) and nothing else."""
    contracts = tuple(Contract(id=client_id, party=Party(name=client_id),
                               source=Source(f"contracts/{client_id}.yaml", 1), share=share)
                      for client_id, share in shared)
    books = Books(Settings(seller=Party(name="Ana")), contracts, ())
    return PricedBooks(books, tuple(PricedClient(contract, ()) for contract in contracts), datetime.date(2026, 12, 31))


def test_client_token_is_the_hmac_of_the_id_under_the_secret():
    assert client_token("acme", SECRET) == ACME_TOKEN
    assert client_token("globex", SECRET) == GLOBEX_TOKEN
    assert len(ACME_TOKEN) == TOKEN_HEX_DIGITS == 32                     # 128 bits


def test_client_token_is_stable_for_an_id_and_a_secret():
    assert client_token("acme", SECRET) == client_token("acme", bytes(SECRET))
    assert client_token("Café Ñ", SECRET) == client_token("Café Ñ", SECRET)


@pytest.mark.parametrize("one, other", [
    (("acme", SECRET), ("globex", SECRET)),
    (("acme", SECRET), ("Acme", SECRET)),                               # ids are compared as written
    (("acme", SECRET), ("acme ", SECRET)),
    (("acme", SECRET), ("acme", SECRET[:-1] + b"8")),                   # one digit of the secret
    (("acme", SECRET), ("acme", SECRET + b"\n")),
    (("acme", b"\xff" * 40), ("acme", b"\xfe" * 40)),                   # a secret need not be text
])
def test_client_token_differs_for_other_ids_and_other_secrets(one, other):
    assert client_token(*one) != client_token(*other)


def test_public_folders_only_for_shared_clients():
    books = priced(("acme", True), ("private", False), ("globex", True))
    assert public_folders(books, SECRET) == {"acme": f"acme-{ACME_TOKEN}", "globex": f"globex-{GLOBEX_TOKEN}"}
    assert public_folders(priced(("private", False)), SECRET) == {}
    assert public_folders(priced(), SECRET) == {}


@pytest.mark.parametrize("base_url", ["https://statements.example.com", "https://statements.example.com/",
                                      "https://statements.example.com///"])
def test_client_urls_join_the_base_url_with_one_slash(base_url):
    books = priced(("acme", True), ("private", False))
    assert client_urls(books, SECRET, base_url) == {"acme": f"https://statements.example.com/acme-{ACME_TOKEN}/"}


def test_client_urls_keep_a_path_in_the_base_url():
    books = priced(("acme", True))
    assert client_urls(books, SECRET, "https://example.com/clients/") == {
        "acme": f"https://example.com/clients/acme-{ACME_TOKEN}/"}


def test_client_urls_without_a_base_url_are_paths_in_the_books_folder():
    books = priced(("acme", True), ("private", False), ("globex", True))
    assert client_urls(books, SECRET, "") == {"acme": f"site/public/acme-{ACME_TOKEN}/index.html",
                                              "globex": f"site/public/globex-{GLOBEX_TOKEN}/index.html"}


def test_links_follow_the_order_of_the_priced_clients():
    books = priced(("globex", True), ("acme", True))
    assert list(client_urls(books, SECRET, "https://x.example")) == ["globex", "acme"]
