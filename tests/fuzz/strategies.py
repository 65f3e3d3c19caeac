"""Hypothesis strategies: valid hourbook books, and the ways a books folder goes wrong.

`valid_books()` draws a whole books folder as trees (YAML files as dicts and lists,
Markdown logbooks as lists of lines) that `hourbook check` accepts or answers with
ordinary diagnostics (unknown clients, overlaps, entries before a term: the books
are well-formed, not necessarily consistent). Its text fields carry hostile content
(markup, template syntax, path tricks) as a matter of course: that is valid input.

`fuzz_case()` draws valid books and breaks them: first in the trees (wrong types,
huge numbers, odd dates), then in the bytes of the files (random bytes, truncation,
odd Unicode, BOMs, CRLF, tabs, other encodings, 10 MB lines, deep nesting, alias
bombs), then in the folder itself (non-UTF-8 file names, symlinks, folders where
files should be). A case is a `Case`: what to write, never written here.
"""

from __future__ import annotations

import copy
import datetime
import json
import re
from dataclasses import dataclass
from dataclasses import field

from hypothesis import strategies as st

AS_OF = "2026-11-25"
CLIENT_IDS = ("acme", "globex", "n0rth-wind", "sofia-dent", "z")
HANDLES = ("ana", "laura", "pedro", "klaus", "marta")
TAGS = ("support", "onsite", "travel", "urgent", "warranty", "goodwill", "training", "change",
        "ticket-1", "ticket-2", "approved", "communication", "q-1", "Q-2", "b/c", "x.y")
CURRENCIES = ("EUR", "USD", "JPY", "BHD", "GBP", "BGN", "RUB", "XXX")
LOCALES = ("en", "es", "de", "ru", "bg", "fr", "pt_BR", "en-GB")

HOSTILE = (
    "<script>document.title='PWNED'</script>",
    "<img src=x onerror=\"document.title='PWNED'\">",
    "\"><svg onload=alert(1)>",
    "javascript:alert(1)",
    "[click](javascript:alert(1))",
    "![x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "<a href=\"data:text/html,<script>alert(1)</script>\">x</a>",
    "<style>body{background:url(javascript:alert(1))}</style>",
    "</style><script>alert(1)</script>",
    "{{ 7*7 }}", "{% for x in range(99) %}{{x}}{% endfor %}", "{{ ''.__class__.__mro__ }}", "{# c #}",
    "${7*7}", "#{7*7}", "<%= 7*7 %>",
    "../../../../tmp/pwned", "/etc/passwd", "..\\..\\windows", "%2e%2e%2f",
    "' OR 1=1 --", "\u202eevil\u202c", "A\u0301\u0327", "😀👩‍👩‍👧", "\u200b", "ﷺ", "𝔘𝔫𝔦",
)

# Characters that are printable for YAML (the reader refuses most control characters) and
# that hourbook takes in any text (no lone direction override or isolate: one that is not
# closed again is an error), so valid books stay valid; the mutations add the rest.
_PRINTABLE = st.characters(blacklist_categories=("Cs", "Cc", "Co", "Cn", "Zl", "Zp"),
                           blacklist_characters="\ufeff\ufffe\uffff\x85"
                                                "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


class Raw(str):
    """A YAML token written as it is (a number, a date, `21%`, `[]`)."""


def words() -> st.SearchStrategy[str]:
    """Short free text: letters of every script, now and then something hostile."""
    # Not starting with a digit: in a logbook that would be a time that does not parse (SPEC §4).
    plain = st.text(_PRINTABLE, min_size=1, max_size=24).map(str.strip).filter(lambda t: t and not t[0].isdigit())
    return st.one_of(plain, plain, st.sampled_from(HOSTILE),
                     st.tuples(plain, st.sampled_from(HOSTILE)).map(" ".join))


def dates(first: datetime.date = datetime.date(2025, 12, 1),
          last: datetime.date = datetime.date(2026, 12, 31)) -> st.SearchStrategy[datetime.date]:
    return st.dates(min_value=first, max_value=last)


def money() -> st.SearchStrategy[Raw]:
    return st.one_of(st.integers(0, 500).map(str), st.decimals(0, 500, places=2).map(str)).map(Raw)


def durations() -> st.SearchStrategy[str]:
    return st.one_of(
        st.integers(1, 600).map(lambda m: f"{m}m"),
        st.integers(1, 9).map(lambda h: f"{h}h"),
        st.tuples(st.integers(1, 9), st.integers(1, 59)).map(lambda hm: f"{hm[0]}h{hm[1]}m"),
        st.sampled_from(["1.5h", "0.25h", "0:45", "2:30"]),
    )


def clock_range() -> st.SearchStrategy[str]:
    def fmt(pair):
        start, length = pair
        end = (start + length) % 1440
        return f"{start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}"
    return st.tuples(st.integers(0, 1439), st.integers(1, 600)).map(fmt)


# ------------------------------------------------------------------ valid books


@st.composite
def settings(draw) -> dict:
    seller = {"name": draw(words())}
    for key in ("address", "tax_id", "email", "iban"):
        if draw(st.booleans()):
            seller[key] = draw(words())
    tree = {"seller": seller, "currency": Raw(draw(st.sampled_from(CURRENCIES))),
            "locale": Raw(draw(st.sampled_from(LOCALES))),
            "period": Raw(draw(st.sampled_from(["month", "month", "quarter"])))}
    if draw(st.booleans()):
        tree["cost"] = draw(money())
    if draw(st.booleans()):
        tree["team"] = {"ivan": {"name": draw(words()), "cost": draw(money())}}
    if draw(st.booleans()):
        tree["site"] = {"base_url": draw(st.sampled_from(["https://statements.example.com/", "/", "x"]))}
    return tree


@st.composite
def term(draw, start: datetime.date, kind: str) -> dict:
    tree = {"from": Raw(start.isoformat()), "kind": Raw(kind)}
    if kind == "retainer":
        tree["fee"] = draw(money())
        if draw(st.booleans()):
            tree["included"] = Raw(draw(durations()))
        if draw(st.booleans()):
            tree["covers"] = draw(st.lists(st.sampled_from(TAGS[:8]), min_size=1, max_size=3))
    if kind != "free" or draw(st.booleans()):
        if draw(st.integers(0, 4)):
            tree["rate"] = draw(money())
    if draw(st.booleans()):
        tree["rates"] = {"onsite": draw(money()), "travel": draw(money())}
    for key, values in (("increment", ["1m", "6m", "15m", "30m", "1h"]), ("free_under", ["5m", "15m"]),
                        ("free_up_to", ["5m", "15m"]), ("deductible", ["5m", "10m"]),
                        ("minimum", ["15m", "30m", "1h"])):
        if draw(st.integers(0, 2)) == 0:
            tree[key] = Raw(draw(st.sampled_from(values)))
    if draw(st.integers(0, 4)) == 0:
        tree[draw(st.sampled_from(["free_up_to", "deductible"]))] = {"urgent": Raw(draw(st.sampled_from(["10m", "15m"])))}
    if draw(st.booleans()):
        tree["surcharge"] = {"urgent": Raw(draw(st.sampled_from(["50%", "25", "100%", "0%"])))}
    if draw(st.booleans()):
        tree["no_charge"] = [draw(st.sampled_from(TAGS[:8]))]
    if draw(st.integers(0, 4)) == 0:
        tree["label"] = draw(words())
    return tree


@st.composite
def contract(draw) -> dict:
    tree = {"name": draw(words())}
    for key in ("address", "tax_id", "email"):
        if draw(st.booleans()):
            tree[key] = draw(words())
    if draw(st.booleans()):
        tree["currency"] = Raw(draw(st.sampled_from(CURRENCIES)))
    if draw(st.booleans()):
        tree["locale"] = Raw(draw(st.sampled_from(LOCALES)))
    if draw(st.booleans()):
        tree["tax"] = Raw(draw(st.sampled_from(["21%", "0", "10.5%", "19 %", "20"])))
    if draw(st.integers(0, 3)) == 0:
        tree["prices_include_tax"] = Raw("true")
    if draw(st.integers(0, 3)) == 0:
        tree["share"] = Raw("false")
    if draw(st.booleans()):
        handles = draw(st.lists(st.sampled_from(HANDLES), min_size=1, max_size=3, unique=True))
        tree["contacts"] = {handle: draw(words()) for handle in handles}
    starts = sorted(draw(st.lists(dates(datetime.date(2025, 6, 1), datetime.date(2026, 11, 1)),
                                  min_size=1, max_size=3, unique=True)))
    kinds = [draw(st.sampled_from(["hourly", "hourly", "retainer", "prepaid", "free"])) for _ in starts]
    tree["terms"] = [draw(term(start, kind)) for start, kind in zip(starts, kinds)]
    if draw(st.integers(0, 4)) == 0:
        tree["terms"][0]["until"] = Raw((starts[0] + datetime.timedelta(days=draw(st.integers(0, 400)))).isoformat())
    if "prepaid" in kinds or draw(st.integers(0, 5)) == 0:
        blocks = []
        for index in range(draw(st.integers(1, 3))):
            bought = draw(dates(datetime.date(2025, 6, 1), datetime.date(2026, 11, 30)))
            block = {"id": f"B-{index + 1}", "bought": Raw(bought.isoformat()), "price": draw(money())}
            if draw(st.integers(0, 3)) == 0:
                block["incidents"] = Raw(str(draw(st.integers(1, 5))))
            else:
                block["hours"] = Raw(str(draw(st.integers(1, 40))))
                if draw(st.booleans()):
                    block["bonus"] = Raw(draw(st.sampled_from(["1h", "30m", "2"])))
            if draw(st.booleans()):
                block["expires"] = Raw((bought + datetime.timedelta(days=draw(st.integers(0, 400)))).isoformat())
            blocks.append(block)
        tree["prepaid"] = blocks
    if draw(st.integers(0, 2)) == 0:
        quotes = []
        for index, quote_id in enumerate(draw(st.lists(st.sampled_from(["Q-1", "Q-2", "q-3"]), max_size=2,
                                                         unique_by=str.lower))):
            quote = {"id": quote_id, "title": draw(words()), "price": draw(money()),
                     "estimate": Raw(draw(st.sampled_from(["10h", "40", "1h30m"])))}
            if draw(st.booleans()):
                approver = draw(st.sampled_from(HANDLES))
                quote["approved"] = f"{draw(dates()).isoformat()} {approver}"
            if draw(st.booleans()):
                quote["invoice"] = Raw(draw(dates()).isoformat())
            quotes.append(quote)
        tree["quotes"] = quotes
    return tree


@st.composite
def entry(draw, clients: list[str]) -> dict:
    """One logbook entry as data; written as a Markdown line or a YAML mapping later."""
    kind = draw(st.sampled_from(["range", "range", "duration", "duration", "expense", "request"]))
    item = {"date": draw(dates()), "client": draw(st.sampled_from(clients)), "kind": kind,
            "tags": draw(st.lists(st.sampled_from(TAGS), max_size=3, unique=True)),
            "note": draw(words())}
    if kind == "range":
        item["time"] = draw(clock_range())
    elif kind == "duration":
        item["time"] = draw(durations())
    elif kind == "expense":
        item["time"] = str(draw(money()))
    else:
        item["done"] = draw(st.booleans())
    if draw(st.booleans()):
        item["by"] = draw(st.sampled_from(HANDLES))
    if draw(st.integers(0, 3)) == 0:
        item["details"] = draw(st.lists(words(), min_size=1, max_size=3))
    return item


def markdown_logbook(entries: list[dict], front: dict, prose: list[str]) -> list[str]:
    """Entries under date headings and client headings, with prose between them."""
    lines = []
    if front:
        lines += ["---", *(f"{key}: {value}" for key, value in front.items()), "---"]
    lines += prose[:1]
    for day in sorted({item["date"] for item in entries}):
        lines += ["", f"# {day.isoformat()}"]
        for client in sorted({item["client"] for item in entries if item["date"] == day}):
            if client != front.get("client"):
                lines += ["", f"## {client}"]
            for item in entries:
                if item["date"] != day or item["client"] != client:
                    continue
                words_ = [f"@{item['by']}"] if "by" in item else []
                words_ += [item["note"].replace("\n", " ")] + [f"#{tag}" for tag in item["tags"]]
                if item["kind"] == "request":
                    head = "[x]" if item["done"] else "[ ]"
                elif item["kind"] == "expense":
                    head = f"expense {item['time']}"
                else:
                    head = item["time"]
                lines.append(f"- {head} {' '.join(words_)}")
                lines += [f"  {detail}" for detail in item.get("details", [])]
        lines += prose[1:2]
    return lines


def yaml_logbook(entries: list[dict], default_client: str | None) -> dict:
    tree: dict = {}
    if default_client:
        tree["client"] = default_client
    items = []
    for item in entries:
        out: dict = {"date": Raw(item["date"].isoformat())}
        if item["client"] != default_client:
            out["client"] = item["client"]
        if item["kind"] == "range":
            out["time"] = item["time"]
        elif item["kind"] == "duration":
            out["duration"] = item["time"]
        elif item["kind"] == "expense":
            out["expense"] = Raw(item["time"])
        else:
            out["request"] = Raw("true")
            out["done"] = Raw("true" if item["done"] else "false")
        if "by" in item:
            out["by"] = item["by"]
        if item["tags"]:
            out["tags"] = item["tags"]
        out["note"] = item["note"]
        if "details" in item:
            out["details"] = "\n".join(item["details"])
        items.append(out)
    tree["entries"] = items
    return tree


@st.composite
def valid_books(draw) -> dict[str, object]:
    """A books folder as trees: path -> dict (YAML) or list of lines (Markdown)."""
    files: dict[str, object] = {"hourbook.yaml": draw(settings())}
    clients = draw(st.lists(st.sampled_from(CLIENT_IDS), min_size=1, max_size=3, unique=True))
    for client in clients:
        files[f"contracts/{client}.yaml"] = draw(contract())
    logbook_clients = clients + ([draw(st.sampled_from(["acmee", "nobody"]))] if draw(st.integers(0, 9)) == 0 else [])
    for index in range(draw(st.integers(0, 3))):
        entries = draw(st.lists(entry(logbook_clients), max_size=12))
        if draw(st.integers(0, 3)) == 0:
            default = draw(st.sampled_from(clients))
            files[f"logbook/{index}.yaml"] = yaml_logbook(entries, default)
        else:
            front = {}
            if draw(st.integers(0, 3)) == 0:
                front["client"] = draw(st.sampled_from(clients))
            if "team" in files["hourbook.yaml"] and draw(st.booleans()):
                front["worker"] = "ivan"
            prose = draw(st.lists(words(), max_size=2))
            folder = draw(st.sampled_from(["logbook", "logbook/2026", "logbook/a/b"]))
            files[f"{folder}/{index}.md"] = markdown_logbook(entries, front, prose)
    return files


# ------------------------------------------------------------------ YAML writer


def _scalar(value) -> str:
    if isinstance(value, Raw):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (int, datetime.date)):
        return str(value)
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return json.dumps(str(value), ensure_ascii=False)


def _key(key) -> str:
    text = str(key)
    return text if re.match(r"^[A-Za-z_][A-Za-z0-9_-]*$", text) else json.dumps(text, ensure_ascii=False)


def _compound(value) -> bool:
    return isinstance(value, (dict, list)) and not isinstance(value, Raw) and bool(value)


def _block(value, indent: int) -> list[str]:
    pad = " " * indent
    if isinstance(value, dict) and value:
        lines = []
        for key, item in value.items():
            if _compound(item):
                lines.append(f"{pad}{_key(key)}:")
                lines.extend(_block(item, indent + 2))
            else:
                lines.append(f"{pad}{_key(key)}: {_scalar(item)}")
        return lines
    if isinstance(value, list) and value:
        lines = []
        for item in value:
            if _compound(item):
                sub = _block(item, indent + 2)
                sub[0] = f"{pad}- {sub[0][indent + 2:]}"
                lines.extend(sub)
            else:
                lines.append(f"{pad}- {_scalar(item)}")
        return lines
    return [pad + _scalar(value)]


def dump_yaml(tree) -> str:
    """Block-style YAML of a tree; strings double-quoted (JSON strings are YAML)."""
    return "\n".join(_block(tree, 0)) + "\n"


def write_tree(tree) -> bytes:
    if isinstance(tree, list):
        return ("\n".join(tree) + "\n").encode("utf-8")
    return dump_yaml(tree).encode("utf-8")


# ------------------------------------------------------------------ cases


@dataclass
class Case:
    """What to write into an empty folder: files by path (bytes, so any name), links, folders."""

    files: dict[bytes, bytes]
    symlinks: list[tuple[bytes, bytes]] = field(default_factory=list)   # (path, target)
    folders: list[bytes] = field(default_factory=list)
    mutations: list[str] = field(default_factory=list)                  # what was done, for reports

    def size(self) -> int:
        return sum(len(data) for data in self.files.values())


def _paths_in(tree, prefix=()) -> list[tuple]:
    """Every (container, key) of a tree, to replace one value."""
    found = []
    if isinstance(tree, dict) and not isinstance(tree, Raw):
        for key, value in tree.items():
            found.append((tree, key))
            found += _paths_in(value)
    elif isinstance(tree, list) and not isinstance(tree, Raw):
        for index, value in enumerate(tree):
            found.append((tree, index))
            found += _paths_in(value)
    return found


WRONG_VALUES = (
    Raw("[]"), Raw("{}"), Raw("null"), Raw("~"), Raw("true"), Raw("no"), Raw("off"), Raw("0"), Raw("-1"),
    Raw("-0.0"), Raw("1" * 500), Raw("9" * 5000), Raw("99999999999999999999999999999.99"), Raw("1e400"),
    Raw(".inf"), Raw("-.inf"), Raw(".nan"), Raw("0x1F"), Raw("0o17"), Raw("1_000"), Raw("10:25"),
    Raw("190:20:30"), Raw("2026-02-30"), Raw("2026-13-01"), Raw("0001-01-01"), Raw("9999-12-31"),
    Raw("2026-11-03T10:00:00Z"), Raw("!!python/object/apply:os.system ['touch /tmp/pwned']"),
    Raw("!!binary aGVsbG8="), Raw("!!set {a, b}"), Raw("!custom x"), Raw("*nowhere"), Raw("&anchor x"),
    Raw("'single'"), Raw('"\\0nul"'), Raw('"\\udcff"'), Raw('"\\ud83d\\ude00"'), Raw('"\\x85line"'),
    Raw("[[[[]]]]"), Raw("{a: {b: {c: [1, {d: e}]}}}"), Raw("? complex\n: key"), Raw("<<: {a: 1}"),
    Raw("100%"), Raw("-21%"), Raw("1000000000%"), Raw("1h" * 50), Raw("1.5.5h"), Raw("-1h"), Raw("0m"),
    Raw("99999999999h"), Raw("0.0001h"), Raw("45,50"), Raw("€45"), Raw("null null"),
    [1, [2, [3]]], {"x": {"y": None}}, [], {}, 12, True, None,
)


@st.composite
def wrong_value(draw):
    # A copy: a later mutation may change the value in place, and WRONG_VALUES must stay as it is
    # (Hypothesis replays draws and refuses a strategy whose data changes between runs).
    return copy.deepcopy(draw(st.one_of(st.sampled_from(WRONG_VALUES), words(), st.integers(-10**30, 10**30),
                                        st.text(max_size=20).map(lambda t: json.dumps(t)).map(Raw))))


def mutate_tree(draw, trees: dict[str, object], log: list[str]) -> None:
    """Replace, delete or add one value of a YAML tree (a wrong type, a huge number, a stray key)."""
    yaml_paths = [path for path, tree in trees.items() if isinstance(tree, dict)]
    if not yaml_paths:
        return
    path = draw(st.sampled_from(yaml_paths))
    places = _paths_in(trees[path])
    if not places:
        return
    container, key = places[draw(st.integers(0, len(places) - 1))]
    action = draw(st.sampled_from(["replace", "replace", "replace", "delete", "add"]))
    if action == "replace":
        container[key] = draw(wrong_value())
    elif action == "delete":
        del container[key]
    elif isinstance(container, dict):
        container[draw(st.sampled_from(["incremnt", "rate", "Name", "terms", "<<", "1", "true", "kind "]))] = \
            draw(wrong_value())
    else:
        container.append(draw(wrong_value()))
    log.append(f"tree:{action}:{path}")


ODD_CHARS = ("\ufeff", "\u200b", "\u200d", "\u202e", "\u2066", "\u0085", "\u2028", "\u2029", "\u000b",
             "\u000c", "\u001b[31m", "\u007f", "\u0000", "\u0301", "\u0327", "😀", "\U0010ffff", "\ufffd",
             "\ufffe", "\uffff", "\ue000", "\u00a0", "\u3000", "\u2013", "\u2014", "İ", "ß", "ﬁ", "٣",
             "１２", "\u0660\u0669:\u0661\u0660", "Ⅻ", "²", "\t", "\r", "\\", "\"", "'", ":", "#", "@", "&", "*",
             "!", "|", ">", "%", "`", "{", "}", "[", "]", "- ", "? ", "---", "...")

ODD_TIMES = ("24:00-00:00", "23:59-00:00", "00:00-24:00", "9:5-10:00", "09:10–10:25", "09:10 - 10:25",
             "25:00-26:00", "10:00-10:00", "0:60", "1.5.5h", "99999999h", "99999999999999999999h", "0h",
             "1h0m", "1h60m", "٠٩:١٠-١٠:٢٥", "١h", "１h", "1H30M", "1.123456789h", "0.0166666h", "-1h", "+1h",
             "expense", "expense -5", "expense 1e9", "expense 99999999999999999999999999", "expense 45,50",
             "expense NaN", "expense ∞", "[ ] 1h", "[x]", "[X] 10:00-11:00", "1x30", "12345", "1:2:3")


def _nested(draw) -> bytes:
    depth = draw(st.sampled_from([40, 60, 200, 1_000, 20_000, 200_000]))
    style = draw(st.sampled_from(["flow-list", "flow-map", "block-map", "block-list"]))
    if style == "flow-list":
        text = "[" * depth + "]" * depth
    elif style == "flow-map":
        text = "{a: " * depth + "1" + "}" * depth
    elif style == "block-map":
        depth = min(depth, 3_000)
        text = "".join(" " * i + "a:\n" for i in range(depth)) + " " * depth + "b\n"
    else:
        depth = min(depth, 3_000)
        text = "".join(" " * (2 * i) + "-\n" for i in range(depth)) + " " * (2 * depth) + "x\n"
    return text.encode()


def _alias_bomb(draw) -> bytes:
    kind = draw(st.sampled_from(["laughs", "strings", "wide"]))
    if kind == "laughs":
        lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
        for prev, name in zip("abcdefgh", "bcdefghi"):
            lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
        return ("\n".join(lines) + "\n").encode()
    if kind == "strings":
        size = draw(st.sampled_from([10_000, 1_000_000]))
        count = draw(st.sampled_from([10, 2_000]))
        return (f"client: acme\nbig: &b {'x' * size}\nentries:\n"
                + "  - {date: 2026-11-03, duration: 1m, note: *b}\n" * count).encode()
    return ("client: acme\nentries:\n  - &e {date: 2026-11-03, duration: 1h, note: x}\n"
            + "  - *e\n" * 50_000).encode()


def _long_line(draw) -> bytes:
    size = draw(st.sampled_from([100_000, 100_000, 1_000_000, 1_000_000, 10 * 1024 * 1024]))
    pattern = draw(st.sampled_from(["a", " ", "#", "1", "- 1h ", "#tag ", "@x ", "\t", "é", "😀", "[", "{a: "]))
    head = draw(st.sampled_from(["", "# ", "# x", "- ", "- 1h ", "  ", "note: ", "## acme", "- [ ] "]))
    tail = draw(st.sampled_from(["", "y", "#", " #"]))
    if draw(st.integers(0, 3)) == 0:  # distinct words: what de-duplicates or looks up each one
        word = draw(st.sampled_from(["#t", "@p", "w", "#q-"]))
        body = " ".join(f"{word}{n}" for n in range(size // 8))
    else:
        body = (pattern * (size // max(len(pattern), 1) + 1))[:size]
    return (head + body + tail).encode("utf-8")


LIGHT_MUTATIONS = ("insert-bytes", "replace-bytes", "truncate", "odd-char", "odd-char", "bom", "crlf", "cr",
                   "tabs", "encoding", "odd-time", "drop-line", "dup-line", "swap-lines", "heading", "fence")
HEAVY_MUTATIONS = ("long-line", "nested", "alias-bomb", "blank-run")


def mutate_bytes(draw, files: dict[bytes, bytes], log: list[str]) -> None:
    """One change to the bytes of one file."""
    if not files:
        return
    path = draw(st.sampled_from(sorted(files)))
    data = files[path]
    at = draw(st.integers(0, len(data)))
    # The cheap kinds four times over, the costly ones (seconds each) once: about one input in
    # ten gets a costly one, which keeps a 100,000-input run to a few hours on two cores.
    kind = draw(st.sampled_from([*LIGHT_MUTATIONS * 4, *HEAVY_MUTATIONS]))
    if kind == "insert-bytes":
        data = data[:at] + draw(st.binary(min_size=1, max_size=16)) + data[at:]
    elif kind == "replace-bytes":
        chunk = draw(st.binary(min_size=1, max_size=16))
        data = data[:at] + chunk + data[at + len(chunk):]
    elif kind == "truncate":
        data = data[:at]
    elif kind == "odd-char":
        char = draw(st.one_of(st.sampled_from(ODD_CHARS), st.characters()))
        data = data[:at] + char.encode("utf-8", "surrogatepass") + data[at:]
    elif kind == "bom":
        data = draw(st.sampled_from([b"\xef\xbb\xbf" + data, b"\xef\xbb\xbf\xef\xbb\xbf" + data,
                                     b"\xff\xfe" + data.decode("utf-8", "replace").encode("utf-16-le"),
                                     b"\xfe\xff" + data.decode("utf-8", "replace").encode("utf-16-be"),
                                     data[:at] + b"\xef\xbb\xbf" + data[at:]]))
    elif kind == "crlf":
        data = data.replace(b"\n", b"\r\n")
    elif kind == "cr":
        data = data.replace(b"\n", draw(st.sampled_from([b"\r", b"\n\r", b"\r\r\n"])))
    elif kind == "tabs":
        data = re.sub(rb"(?m)^( +)", lambda m: b"\t" * draw(st.integers(1, 2)) if m else b"", data)
    elif kind == "encoding":
        text = data.decode("utf-8", "replace")
        encoding = draw(st.sampled_from(["latin-1", "cp1252", "utf-16", "utf-16-le", "koi8-r", "shift_jis",
                                         "utf-32", "cp1251", "mac-roman"]))
        converted = text.encode(encoding, "replace")
        if draw(st.booleans()):  # only part of the file: mixed encodings
            converted = data[:at] + converted[at:]
        data = converted + draw(st.sampled_from([b"", "é ñ ü ж".encode("latin-1", "replace"), b"\xe9t\xe9\n"]))
    elif kind == "long-line":
        data = data[:at] + b"\n" + _long_line(draw) + b"\n" + data[at:]
    elif kind == "nested":
        data = _nested(draw) if draw(st.booleans()) else data + b"x: " + _nested(draw)
    elif kind == "alias-bomb":
        data = _alias_bomb(draw)
    elif kind == "odd-time":
        lines = data.split(b"\n")
        items = [i for i, line in enumerate(lines) if line.startswith(b"- ")]
        if items:
            index = draw(st.sampled_from(items))
            rest = lines[index][2:].split(b" ", 1)
            lines[index] = b"- " + draw(st.sampled_from(ODD_TIMES)).encode() + b" " + (rest[1] if len(rest) > 1 else b"")
        data = b"\n".join(lines)
    elif kind == "blank-run":
        data = data[:at] + b"\n" * draw(st.sampled_from([1_000, 100_000, 1_000_000])) + b"  indented\n" + data[at:]
    elif kind in ("drop-line", "dup-line", "swap-lines"):
        lines = data.split(b"\n")
        i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
        if kind == "drop-line":
            del lines[i]
        elif kind == "dup-line":
            lines[i:i] = [lines[i]] * draw(st.sampled_from([1, 2, 1, 2, 300]))
        else:
            lines[i], lines[j] = lines[j], lines[i]
        data = b"\n".join(lines)
    elif kind == "heading":
        heading = draw(st.sampled_from(["#######", "# 2026-13-45", "# 2026-02-29", "# 0001-01-01", "# 9999-12-31",
                                        "#2026-11-03", "# 2026-11-03 2026-11-04", "## ACME", "## acme ##",
                                        "## a" * 100, "# " + " " * 5000 + "x", "#\t2026-11-03",
                                        "## " + "a" * 100_000]))
        data = data[:at] + b"\n" + heading.encode() + b"\n" + data[at:]
    elif kind == "fence":
        data = data[:at] + draw(st.sampled_from([b"\n```\n", b"\n~~~\n", b"\n````\n", b"\n```yaml\n"])) + data[at:]
    files[path] = data
    log.append(f"bytes:{kind}:{path.decode('utf-8', 'backslashreplace')}")


def mutate_folder(draw, case: Case, log: list[str]) -> None:
    """A change to the folder: names, links, folders where files should be, files removed."""
    kind = draw(st.sampled_from(["bad-name", "non-utf8-name", "symlink-loop", "symlink-out", "dangling",
                                 "folder-as-file", "remove", "duplicate-client", "empty-file", "hidden",
                                 "many-files"]))
    files = case.files
    if kind == "bad-name":
        name = draw(st.sampled_from([b"contracts/Acme.yaml", b"contracts/ac me.yaml", b"contracts/-x.yaml",
                                     b"contracts/\xc3\xa1cme.yaml", b"logbook/\xe2\x80\xae.md",
                                     b"contracts/.yaml", b"logbook/a:1.md", b"logbook/new\nline.md"]))
        files[name] = draw(st.sampled_from(list(files.values()) or [b""]))
    elif kind == "non-utf8-name":
        files[draw(st.sampled_from([b"logbook/\xff.md", b"logbook/caf\xe9.yaml", b"contracts/\xff.yaml",
                                    b"logbook/\xe9t\xe9/x.md"]))] = \
            b"# 2026-11-03\n## acme\n- 1h x\n" if draw(st.booleans()) else b"client: nobody\nentries: []\n"
    elif kind == "symlink-loop":
        case.symlinks.append((b"logbook/loop", b"."))
        case.symlinks.append((b"logbook/up", b".."))
    elif kind == "symlink-out":
        case.symlinks.append((draw(st.sampled_from([b"logbook/passwd.md", b"contracts/etc.yaml"])), b"/etc/passwd"))
    elif kind == "dangling":
        case.symlinks.append((b"logbook/gone.md", b"/nonexistent/x.md"))
    elif kind == "folder-as-file":
        case.folders.append(draw(st.sampled_from([b"logbook/dir.md", b"contracts/dir.yaml", b"hourbook.yaml/x"])))
        if b"hourbook.yaml/x" in case.folders:
            files.pop(b"hourbook.yaml", None)
    elif kind == "remove" and files:
        files.pop(draw(st.sampled_from(sorted(files))))
    elif kind == "duplicate-client":
        yaml_contracts = [p for p in files if p.startswith(b"contracts/") and p.endswith(b".yaml")]
        if yaml_contracts:
            source = draw(st.sampled_from(sorted(yaml_contracts)))
            files[source[:-5] + b".yml"] = files[source]
    elif kind == "empty-file":
        files[draw(st.sampled_from([b"hourbook.yaml", b"contracts/acme.yaml", b"logbook/e.md", b"logbook/e.yaml"]))] = b""
    elif kind == "hidden":
        files[b"logbook/.hidden.md"] = b"\xff\xfe garbage"
        files[b"logbook/backup.md~"] = b"\xff"
    elif kind == "many-files":
        for index in range(draw(st.sampled_from([50, 500]))):
            files[f"logbook/many/{index}.md".encode()] = f"# 2026-11-{index % 28 + 1:02d}\n## acme\n- 1m x{index}\n".encode()
    log.append(f"folder:{kind}")


@st.composite
def fuzz_case(draw, clean_share: int = 15) -> Case:
    """Valid books, then 0–6 mutations: about `clean_share` % of cases are left valid."""
    trees = draw(valid_books())
    log: list[str] = []
    mutate = draw(st.integers(0, 99)) < 100 - clean_share  # Hypothesis starts from 0: mutated
    if mutate:
        for _ in range(draw(st.integers(0, 2))):
            mutate_tree(draw, trees, log)
    case = Case({path.encode(): write_tree(tree) for path, tree in trees.items()})
    if mutate:
        for _ in range(draw(st.integers(0 if log else 1, 3))):
            mutate_bytes(draw, case.files, log)
        if draw(st.integers(0, 5)) == 0:
            mutate_folder(draw, case, log)
    case.mutations = log
    return case
