"""Synthetic books for the benchmark: seeded, reproducible, every contract kind.

    python bench/generate.py --entries 100000 --clients 500 --seed 1 --out /tmp/books-100k

writes a books folder (hourbook.yaml, contracts/, logbook/) of the given size
over five years (2022-01-01 to 2026-12-31), plus, beside them:

- `sessions.timeclock`: the same time sessions as an hledger timeclock file
  (`i`/`o` pairs, account `client:tag`), so that `hledger -f sessions.timeclock
  bal` reads the same work as `hourbook price`;
- `bench.json`: what was generated and which line the benchmark edits.

The same arguments always give the same bytes (one `random.Random(seed)`, no
clock, no hash order). The books are valid: a build has no errors, and few
warnings (a handful of uncovered minutes, by design). Contracts cover every
kind: hourly (rate rises, per-tag rates, increments, minimums, free_under,
surcharges, no_charge), retainers with and without an allowance, prepaid hour
blocks and incident packs, included (free) support periods, quotes approved
and not, tax-inclusive prices, quarterly periods, several currencies and
locales. Logbooks are Markdown (one file per worker and month) and YAML (a
helpdesk export per client and year).

`--small-files` writes the same work in another shape, many small files: each
Markdown logbook cut into one file per day and client (`logbook/2024/07/15-acme.md`,
`logbook/team/ana/2024-07/15-acme.md`), some 90 000 files at 100 000 entries.

`--long-descriptions` gives every entry a description of 30 to 60 words more, in its
client's language (as a helpdesk writes what it did), in the logbooks and in the
sessions alike; the rest is the same work as without it (its words come from a random
generator of their own).
"""

from __future__ import annotations

import argparse
import datetime
import json
import random
from collections import defaultdict
from pathlib import Path

START = datetime.date(2022, 1, 1)
END = datetime.date(2026, 12, 31)
AS_OF = END

ADJECTIVES = ("nordic", "alpine", "blue", "green", "rapid", "silver", "royal", "urban", "coastal", "solar",
              "golden", "prime", "iron", "clear", "bright", "north", "south", "east", "west", "central")
NOUNS = ("dental", "logistics", "bakery", "legal", "clinic", "studio", "motors", "foods", "textiles", "pharma",
         "builders", "media", "optics", "travel", "farms", "labs", "hotels", "print", "energy", "audit")
FIRST = ("ana", "marta", "jorge", "klaus", "sabine", "tom", "priya", "maria", "georgi", "ivan", "olga",
         "pedro", "laura", "hans", "sofia", "lena", "omar", "yuki", "nina", "paul")
WORDS = ("printer", "driver", "vpn", "backup", "mailbox", "router", "switch", "firewall", "laptop", "license",
         "update", "payroll", "server", "wifi", "account", "password", "invoice", "export", "report", "share",
         "calendar", "phone", "scanner", "database", "migration", "certificate", "domain", "website", "disk",
         "monitor")
VERBS = ("fixed", "installed", "configured", "checked", "replaced", "restored", "migrated", "reviewed",
         "updated", "documented", "reset", "cleaned", "tested", "moved", "renewed")
# What a helpdesk writes after the short description, by language (no `#`, `@` or `: `, which the
# logbooks read as tags, requesters or YAML keys).
PROSE = {
    "en": ("the user could not print from the accounting laptop, so we reinstalled the driver and cleared "
           "the queue; checked the backup of the shared folder and the mail rules, then walked the office "
           "manager through the new password policy and wrote down what is left for the next visit"),
    "es": ("el usuario no podía imprimir desde el portátil de contabilidad, así que reinstalamos el driver y "
           "vaciamos la cola; revisamos la copia de seguridad de la carpeta compartida y las reglas del correo, "
           "y explicamos a la responsable de la oficina la nueva política de contraseñas"),
    "de": ("der Drucker im Büro druckte nicht mehr, also haben wir den Treiber neu installiert und die "
           "Warteschlange geleert; danach die Sicherung des gemeinsamen Ordners geprüft, die Regeln im Postfach "
           "angepasst und der Büroleitung die neue Passwortrichtlinie erklärt"),
    "ru": ("пользователь не мог печатать с ноутбука бухгалтерии, поэтому мы переустановили драйвер и очистили "
           "очередь; проверили резервную копию общей папки и правила почты, затем объяснили офис-менеджеру "
           "новую политику паролей и записали, что осталось на следующий визит"),
    "bg": ("потребителят не можеше да печата от лаптопа на счетоводството, затова преинсталирахме драйвера и "
           "изчистихме опашката; проверихме резервното копие на общата папка и правилата на пощата"),
}
LOCALES = (("es", "EUR", "21%"), ("de", "EUR", "19%"), ("en", "GBP", "20%"), ("en", "USD", "0%"),
           ("ru", "EUR", "0%"), ("bg", "EUR", "20%"), ("en", "CHF", "8.1%"), ("en", "JPY", "10%"))
BASE_TAGS = ("support", "support", "support", "maintenance", "maintenance", "network", "onsite", "travel",
             "change", "hardware")
# Contract profiles, cycled over the clients so that every kind is there at any size.
PROFILES = ("hourly", "hourly-rise", "retainer", "retainer-open", "prepaid", "incidents", "free",
            "quotes", "hourly-gross", "quarterly")


def years() -> list[int]:
    return list(range(START.year, END.year + 1))


def business_days(rng: random.Random) -> list[datetime.date]:
    days, day = [], START
    while day <= END:
        if day.weekday() < 5 or rng.random() < 0.05:
            days.append(day)
        day += datetime.timedelta(days=1)
    return days


class Client:
    def __init__(self, index: int, rng: random.Random, profiles: tuple[str, ...] = PROFILES):
        self.index = index
        self.id = f"{ADJECTIVES[index % len(ADJECTIVES)]}-{NOUNS[(index // len(ADJECTIVES)) % len(NOUNS)]}-{index:03d}"
        self.profile = profiles[index % len(profiles)]
        self.locale, self.currency, self.tax = LOCALES[(index * 7 + 3) % len(LOCALES)]
        self.contacts = rng.sample(FIRST, 3)
        self.share = index % 9 != 4
        self.yaml_logbook = index % 8 == 5           # its entries come from a helpdesk export (YAML)
        self.rate = 40 + 5 * rng.randrange(0, 12)
        self.quotes: list[dict] = []
        self.free_from = None
        self.free_until = None
        self.weight = 1.0 / (1 + index % 50) ** 0.6  # a few big clients, many small ones

    def tags_for(self, rng: random.Random, day: datetime.date) -> list[str]:
        tags = [rng.choice(BASE_TAGS)]
        roll = rng.random()
        if roll < 0.03:
            tags.append("urgent")
        elif roll < 0.05:
            tags.append("warranty")
        elif roll < 0.06:
            tags.append("training")
        if self.profile == "incidents" and rng.random() < 0.8:
            tags.append(f"ticket-{day.year}{rng.randrange(1, 60):03d}")
        if self.quotes and rng.random() < 0.15:
            quote = rng.choice(self.quotes)
            if quote["start"] <= day <= quote["end"]:
                tags.append(quote["id"].lower())
        return tags


def contract_yaml(client: Client, rng: random.Random) -> str:
    c = client
    out = [f"# {c.id}: generated client #{c.index}, profile {c.profile}.",
           "# Synthetic data for the hourbook benchmark (bench/generate.py); not a real company.",
           f"name: \"{c.id.replace('-', ' ').title()} {('S.L.', 'GmbH', 'Ltd', 'Inc.', 'OOO', 'EOOD')[c.index % 6]}\"",
           f"address: \"Street {rng.randrange(1, 300)}, {rng.randrange(10000, 99999)} City {c.index % 37}\"",
           f"tax_id: \"TX{rng.randrange(10**8, 10**9)}\"",
           f"email: accounts@{c.id}.example.com",
           f"currency: {c.currency}",
           f"locale: {c.locale}",
           f"tax: {c.tax}"]
    if c.profile == "hourly-gross":
        out.append("prices_include_tax: true")
    if c.profile == "quarterly":
        out.append("period: quarter")
    out.append(f"share: {'true' if c.share else 'false'}")
    out.append("contacts:")
    for handle in c.contacts:
        out.append(f"  {handle}: {handle.title()} {rng.choice(('IT', 'Finance', 'Operations', 'Office'))}")
    rules = (f"    rate: {c.rate}\n    rates: {{onsite: {c.rate + 20}, travel: {c.rate // 2}}}\n"
             "    increment: 15m\n    free_under: 5m\n    minimum: 15m\n"
             "    surcharge: {urgent: 50%}\n    no_charge: [training]")
    out.append("terms:")
    start = START.isoformat()
    if c.profile in ("hourly", "hourly-gross", "quarterly", "quotes"):
        out.append(f"  - from: {start}\n    kind: hourly\n{rules}")
    elif c.profile == "hourly-rise":
        out.append(f"  - from: {start}\n    until: 2024-06-30\n    kind: hourly\n{rules}")
        out.append(f"  - from: 2024-07-01\n    kind: hourly\n    rate: {c.rate + 10}\n    increment: 15m")
    elif c.profile == "retainer":
        out.append(f"  - from: {start}\n    kind: retainer\n    label: Support retainer\n"
                   f"    fee: {c.rate * 8}\n    included: 8h\n    covers: [support, maintenance]\n"
                   f"    rate: {c.rate}\n    increment: 15m")
    elif c.profile == "retainer-open":
        out.append(f"  - from: {start}\n    kind: hourly\n    until: 2022-12-31\n    rate: {c.rate}\n    increment: 15m")
        out.append(f"  - from: 2023-01-01\n    kind: retainer\n    fee: {c.rate * 5}\n    increment: 15m")
    elif c.profile == "prepaid":
        out.append(f"  - from: {start}\n    kind: prepaid\n    rate: {c.rate}\n    increment: 15m")
    elif c.profile == "incidents":
        out.append(f"  - from: {start}\n    kind: prepaid\n    rate: {c.rate}\n    increment: 15m")
    elif c.profile == "free":
        out.append(f"  - from: {start}\n    until: {c.free_from - datetime.timedelta(days=1)}\n    kind: hourly\n{rules}")
        out.append(f"  - from: {c.free_from}\n    until: {c.free_until}\n    kind: free\n"
                   f"    label: Support included with the new network\n    rate: {c.rate}\n    increment: 15m")
        out.append(f"  - from: {c.free_until + datetime.timedelta(days=1)}\n    kind: hourly\n{rules}")
    if c.profile == "prepaid":
        out.append("prepaid:")
        for year in years():
            out.append(f"  - id: B-{c.index:03d}-{year}\n    bought: {year}-01-01\n    hours: 40\n    bonus: 2h\n"
                       f"    price: {c.rate * 38}\n    expires: {year}-12-31")
            out.append(f"  - id: B-{c.index:03d}-{year}-X\n    bought: {year}-07-01\n    hours: 10\n"
                       f"    price: {c.rate * 10}")
    if c.profile == "incidents":
        out.append("prepaid:")
        for year in years():
            out.append(f"  - id: I-{c.index:03d}-{year}\n    bought: {year}-01-01\n    incidents: 30\n"
                       f"    price: {c.rate * 20}\n    expires: {year}-12-31")
    if c.quotes:
        out.append("quotes:")
        for quote in c.quotes:
            out.append(f"  - id: {quote['id']}\n    title: \"{quote['title']}\"\n    price: {quote['price']}\n"
                       f"    estimate: {quote['estimate']}h")
            if quote["approved"]:
                out.append(f"    approved: \"{quote['start']} {c.contacts[0]}\"")
                out.append(f"    invoice: {quote['end']}")
    return "\n".join(out) + "\n"


def plan_clients(count: int, rng: random.Random, profiles: tuple[str, ...] = PROFILES) -> list[Client]:
    clients = [Client(index, rng, profiles) for index in range(count)]
    for c in clients:
        if c.profile == "free":
            c.free_from = datetime.date(2023, 1 + c.index % 12, 1)
            c.free_until = c.free_from + datetime.timedelta(days=89)
        if c.profile == "quotes" or c.index % 13 == 0:
            for n in range(3):
                start = datetime.date(2022 + n + c.index % 2, 1 + (c.index + n) % 10, 1)
                end = start + datetime.timedelta(days=60)
                c.quotes.append({"id": f"Q-{start.year}-{c.index:03d}{n}", "title": f"Project {n + 1}: "
                                 f"{rng.choice(WORDS)} {rng.choice(WORDS)}", "price": 1000 * (n + 2),
                                 "estimate": 10 * (n + 2), "approved": n != 2, "start": start, "end": end})
    return clients


def describe(rng: random.Random) -> str:
    return f"{rng.choice(VERBS).title()} {rng.choice(WORDS)} {rng.choice(('for', 'on', 'in', 'at'))} " \
           f"{rng.choice(WORDS)} {rng.choice(WORDS)}"


def long_prose(rng: random.Random, locale: str) -> str:
    """30 to 60 words of `PROSE` in `locale`, from a place of its own in the text each time."""
    words = PROSE[locale].split()
    count = rng.randrange(30, 61)
    start = rng.randrange(len(words))
    return " ".join(words[(start + n) % len(words)] for n in range(count)).rstrip(",;")


def fmt_clock(minute: int) -> str:
    minute %= 1440
    return f"{minute // 60:02d}:{minute % 60:02d}"


def fmt_duration(minutes: int, rng: random.Random) -> str:
    hours, rest = divmod(minutes, 60)
    style = rng.random()
    if hours and rest == 30 and style < 0.3:
        return f"{hours}.5h"
    if hours and rest:
        return f"{hours}h{rest}m"
    if hours:
        return f"{hours}h"
    return f"{rest}m"


def generate(entries: int, clients_count: int, seed: int, out: Path, small_files: bool = False,
             profiles: tuple[str, ...] = PROFILES, long_descriptions: bool = False) -> dict:
    rng = random.Random(seed)
    prose_rng = random.Random(f"{seed}-long")      # its own: the rest of the books as without it
    out.mkdir(parents=True, exist_ok=True)
    clients = plan_clients(clients_count, rng, profiles)
    team = [f"{FIRST[i % len(FIRST)]}{i // len(FIRST) or ''}" for i in range(max(2, round(entries / 8000)))]
    workers = [""] + team                              # "" is the seller

    settings = ["# Synthetic books for the hourbook benchmark (bench/generate.py).",
                "seller:", "  name: Bench Consulting S.L.", "  address: \"Calle Mayor 1, 28013 Madrid\"",
                "  tax_id: ESB00000000", "  email: billing@bench.example.com",
                "  iban: ES91 2100 0418 4502 0005 1332", "currency: EUR", "locale: en", "period: month",
                "cost: 35", "team:"]
    settings += [f"  {member}: {{name: {member.title()} Worker, cost: {25 + i % 10}}}" for i, member in enumerate(team)]
    settings += ["site:", "  base_url: \"https://statements.bench.example.com\""]
    (out / "hourbook.yaml").write_text("\n".join(settings) + "\n", encoding="utf-8")

    contracts_dir = out / "contracts"
    contracts_dir.mkdir(exist_ok=True)
    contract_bytes = 0
    for c in clients:
        text = contract_yaml(c, rng)
        contract_bytes += len(text.encode("utf-8"))
        (contracts_dir / f"{c.id}.yaml").write_text(text, encoding="utf-8")

    days = business_days(rng)
    weights = [c.weight for c in clients]
    cumulative, total = [], 0.0
    for w in weights:
        total += w
        cumulative.append(total)
    # Every entry: (day, worker, client, kind, ...). Time ranges of one worker never overlap.
    cursor: dict[tuple, int] = {}
    items: dict[tuple, list] = defaultdict(list)     # file key -> items
    sessions = []
    counts = defaultdict(int)
    for n in range(entries):
        day = days[n * len(days) // entries]
        client = clients[_pick(cumulative, rng.random() * total)]
        worker = rng.choice(workers)
        roll = rng.random()
        tags = client.tags_for(rng, day)
        by = rng.choice(client.contacts) if rng.random() < 0.7 else ""
        if by and rng.random() < 0.01:
            by = "stranger"                          # not a contact: held (or approved after the fact)
            if rng.random() < 0.5:
                tags.append("approved")
        item = {"day": day, "client": client, "worker": worker, "tags": tags, "by": by,
                "text": describe(rng), "details": rng.random() < 0.08}
        if long_descriptions:
            item["text"] += " — " + long_prose(prose_rng, client.locale)
        if roll < 0.03:
            whole, cents = rng.randrange(5, 200), rng.randrange(0, 100)   # both drawn: the same sequence
            item.update(kind="expense", amount=str(whole) if client.currency == "JPY" else f"{whole}.{cents:02d}")
        elif roll < 0.05:
            item.update(kind="request", done=rng.random() < 0.6)
        else:
            minutes = rng.choice((10, 15, 20, 30, 30, 45, 45, 60, 60, 75, 90, 120, 150, 180, 240))
            key = (worker, day)
            start = cursor.get(key, 8 * 60 + rng.randrange(0, 60))
            if roll < 0.65 and start + minutes <= 23 * 60 + 59:
                item.update(kind="range", start=start, end=start + minutes)
                cursor[key] = start + minutes + rng.choice((0, 5, 10, 15, 30))
            else:
                item.update(kind="duration", minutes=minutes)
            item["minutes"] = minutes
            sessions.append((day, start if item["kind"] == "range" else 9 * 60, minutes, client.id, tags[0],
                             item["text"]))
        counts[item["kind"]] += 1
        if client.yaml_logbook:
            items[("yaml", client.id, day.year)].append(item)
        elif small_files:
            items[("md", worker, day.year, day.month, day.day, client.id)].append(item)
        else:
            items[("md", worker, day.year, day.month)].append(item)

    logbook = out / "logbook"
    files = {}
    for key in sorted(items, key=lambda k: tuple(str(part) for part in k)):
        if key[0] == "yaml":
            _, client_id, year = key
            rel = f"logbook/helpdesk/{client_id}-{year}.yaml"
            files[rel] = yaml_logbook(client_id, items[key], rng)
        else:
            _, worker, year, month, *small = key
            rel = (f"logbook/{year}/{month:02d}" if not worker else f"logbook/team/{worker}/{year}-{month:02d}")
            rel += f"/{small[0]:02d}-{small[1]}.md" if small else ".md"
            files[rel] = markdown_logbook(worker, year, month, items[key], rng)
    for rel, text in files.items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    logbook_bytes = sum(len(t.encode("utf-8")) for t in files.values())

    write_timeclock(out / "sessions.timeclock", sessions)
    edit = pick_edit(files)
    manifest = {
        "generator": "bench/generate.py", "seed": seed, "entries": entries, "clients": clients_count,
        "small_files": small_files, "long_descriptions": long_descriptions,
        "workers": len(workers), "as_of": AS_OF.isoformat(), "from": START.isoformat(), "to": END.isoformat(),
        "kinds": dict(sorted(counts.items())), "profiles": sorted(set(profiles)),
        "contract_bytes": contract_bytes, "logbook_files": len(files), "logbook_bytes": logbook_bytes,
        "markdown_files": sum(1 for rel in files if rel.endswith(".md")),
        "yaml_files": sum(1 for rel in files if rel.endswith(".yaml")),
        "timeclock_sessions": len(sessions), "edit": edit,
    }
    (out / "bench.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def _pick(cumulative: list[float], x: float) -> int:
    lo, hi = 0, len(cumulative) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if cumulative[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo


def entry_words(item: dict) -> str:
    words = []
    if item["by"]:
        words.append(f"@{item['by']}")
    words.append(item["text"])
    words += [f"#{tag}" for tag in item["tags"]]
    return " ".join(words)


def markdown_logbook(worker: str, year: int, month: int, items: list[dict], rng: random.Random) -> str:
    lines = []
    if worker:
        lines += ["---", f"worker: {worker}", "---", ""]
    lines.append(f"Work log {year}-{month:02d}{' of ' + worker if worker else ''}.")
    by_day: dict = defaultdict(lambda: defaultdict(list))
    for item in items:
        by_day[item["day"]][item["client"].id].append(item)
    for day in sorted(by_day):
        lines += ["", f"# {day.isoformat()}"]
        for client_id in sorted(by_day[day]):
            lines += ["", f"## {client_id}"]
            for item in by_day[day][client_id]:
                if item["kind"] == "range":
                    head = f"{fmt_clock(item['start'])}-{fmt_clock(item['end'])}"
                elif item["kind"] == "duration":
                    head = fmt_duration(item["minutes"], rng)
                elif item["kind"] == "expense":
                    head = f"expense {item['amount']}"
                else:
                    head = "[x]" if item["done"] else "[ ]"
                lines.append(f"- {head} {entry_words(item)}")
                if item["details"]:
                    lines.append(f"  Follow-up: {describe(rng).lower()}; see ticket notes.")
    return "\n".join(lines) + "\n"


def yaml_logbook(client_id: str, items: list[dict], rng: random.Random) -> str:
    lines = [f"# Helpdesk export for {client_id} (generated).", f"client: {client_id}", "entries:"]
    for item in sorted(items, key=lambda i: i["day"]):
        lines.append(f"  - date: {item['day'].isoformat()}")
        if item["worker"]:
            lines.append(f"    worker: {item['worker']}")
        if item["kind"] == "range":
            lines.append(f"    time: \"{fmt_clock(item['start'])}-{fmt_clock(item['end'])}\"")
        elif item["kind"] == "duration":
            lines.append(f"    duration: {fmt_duration(item['minutes'], rng)}")
        elif item["kind"] == "expense":
            lines.append(f"    expense: {item['amount']}")
        else:
            lines.append("    request: true")
            if item["done"]:
                lines.append("    done: true")
        if item["by"]:
            lines.append(f"    by: {item['by']}")
        tags = [t for t in item["tags"] if t != "approved"]
        if tags:
            lines.append(f"    tags: [{', '.join(tags)}]")
        if "approved" in item["tags"]:
            lines.append("    approved: true")
        lines.append(f"    note: {item['text']}")
    return "\n".join(lines) + "\n"


def write_timeclock(path: Path, sessions: list) -> None:
    """hledger's timeclock format: one `i`/`o` pair per time session, account client:tag."""
    lines = []
    for day, start, minutes, client_id, tag, text in sorted(sessions, key=lambda s: (s[0], s[1], s[3])):
        begin = datetime.datetime.combine(day, datetime.time()) + datetime.timedelta(minutes=start)
        end = begin + datetime.timedelta(minutes=minutes)
        lines.append(f"i {begin:%Y/%m/%d %H:%M:%S} {client_id}:{tag}  {text}")
        lines.append(f"o {end:%Y/%m/%d %H:%M:%S}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def pick_edit(files: dict[str, str]) -> dict:
    """The one-line edit the benchmark makes: a duration in the seller's busiest-but-one Markdown file."""
    candidates = sorted(rel for rel in files if rel.endswith(".md") and "/team/" not in rel)
    middle = len(candidates) // 2
    # The middle file, or the nearest after it (small books have files without a duration line).
    for rel in candidates[middle:] + candidates[:middle]:
        for number, line in enumerate(files[rel].split("\n"), start=1):
            if line.startswith("- ") and line[2:3].isdigit() and "-" not in line[2:8] and "#warranty" not in line:
                head, rest = line[2:].split(" ", 1)
                return {"path": rel, "line": number, "before": line, "after": f"- 5h {rest}"}
    raise SystemExit("no duration line to edit in any Markdown logbook")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--small-files", action="store_true",
                        help="one Markdown logbook per day and client (some 90 000 files at 100 000 entries)")
    parser.add_argument("--profiles", default=",".join(PROFILES),
                        help="the contract profiles cycled over the clients, comma-separated (default: all of "
                             "them; e.g. prepaid,incidents for books of prepaid blocks only)")
    parser.add_argument("--long-descriptions", action="store_true",
                        help="30 to 60 words more in every entry's description, in its client's language")
    args = parser.parse_args(argv)
    if args.out.exists() and any(args.out.iterdir()):
        parser.error(f"{args.out} exists and is not empty")
    profiles = tuple(name.strip() for name in args.profiles.split(",") if name.strip())
    unknown = sorted(set(profiles) - set(PROFILES))
    if not profiles or unknown:
        parser.error(f"--profiles: {', '.join(unknown) or 'none given'}; known: {', '.join(PROFILES)}")
    manifest = generate(args.entries, args.clients, args.seed, args.out, small_files=args.small_files,
                        profiles=profiles, long_descriptions=args.long_descriptions)
    print(json.dumps({k: v for k, v in manifest.items() if k != "edit"}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
