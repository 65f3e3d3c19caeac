"""YAML read the way hourbook's users mean it, with the line of every value.

PyYAML follows YAML 1.1, whose implicit types are traps for books: `10:25` is
the sexagesimal integer 625, `no` is False, `60.50` is a float. This module
composes the node tree with a resolver of its own (YAML 1.2 core types, and
decimals as `Decimal`, never float) and converts it into plain values that
remember their lines: `YMap` and `YList`.

It also bounds what a hostile file can cost: nesting depth, and what aliases
expand to (an alias bomb re-visits the same nodes: each re-visit counts, and so
do the characters of the scalars it repeats, so a 1 MB string aliased a thousand
times is refused rather than copied into every output).

Lines are lines of the file as split on "\n": YAML 1.1 also breaks lines at
U+0085, U+2028 and U+2029, so where those occur lines are counted from the
character index instead of PyYAML's line count.
"""

from __future__ import annotations

import bisect
import datetime
import re
from decimal import Decimal
from decimal import InvalidOperation

import yaml
from yaml.composer import Composer
from yaml.nodes import MappingNode
from yaml.nodes import ScalarNode
from yaml.nodes import SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import BaseResolver
from yaml.scanner import Scanner

MAX_DEPTH = 50
MAX_NODES = 200_000          # values that aliases may add (re-visits of a node already converted)
MAX_ALIAS_CHARS = 1_000_000  # characters of scalars that aliases may repeat
SLOW_PATH_CHARS = 1_000_000   # above this, a syntax error is reported as libyaml words it
_OTHER_BREAKS = re.compile("[\x85\u2028\u2029]")
_SURROGATE = re.compile("[\ud800-\udfff]")
# What the YAML reader refuses in a file, and what hourbook refuses in any books file besides
# (NEL, the line and paragraph separators, a byte-order mark: see files.read_file); an escape
# in a double-quoted string ("\0", "\x1b", "\N") must not bring it back in (a NUL in an id, a
# terminal escape in a name).
_NON_PRINTABLE = re.compile(
    "[^\x09\x0A\x0D\x20-\x7E\xA0-\u2027\u202A-\uD7FF\uE000-\uFEFE\uFF00-\uFFFD\U00010000-\U0010ffff]")

STR = "tag:yaml.org,2002:str"
INT = "tag:yaml.org,2002:int"
FLOAT = "tag:yaml.org,2002:float"
BOOL = "tag:yaml.org,2002:bool"
NULL = "tag:yaml.org,2002:null"
DATE = "tag:yaml.org,2002:timestamp"
MAP = "tag:yaml.org,2002:map"
SEQ = "tag:yaml.org,2002:seq"


class YamlError(Exception):
    """A problem at a 1-based line of the file."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


class _Resolver(BaseResolver):
    """YAML 1.2 core schema, plus plain dates; no sexagesimal, no yes/no/on/off."""


_Resolver.add_implicit_resolver(BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
_Resolver.add_implicit_resolver(NULL, re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""])
_Resolver.add_implicit_resolver(INT, re.compile(r"^[-+]?[0-9]+$"), list("-+0123456789"))
_Resolver.add_implicit_resolver(
    FLOAT, re.compile(r"^[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)$"), list("-+.0123456789"))
_Resolver.add_implicit_resolver(DATE, re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"), list("0123456789"))


class _Loader(Reader, Scanner, Parser, Composer, _Resolver):
    def __init__(self, stream):
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)
        Composer.__init__(self)
        _Resolver.__init__(self)


try:
    from yaml.cyaml import CParser as _CParser
except ImportError:  # PyYAML built without libyaml
    _CParser = None

# The implicit resolvers of each first character as one regular expression: alternative i is the
# i-th resolver's pattern, so the first alternative that matches is the tag BaseResolver's loop finds.
_IMPLICIT = {
    first: (re.compile("|".join(f"({regexp.pattern})" for _, regexp in resolvers)),
            (None,) + tuple(tag for tag, _ in resolvers))
    for first, resolvers in _Resolver.yaml_implicit_resolvers.items()
}

if _CParser is not None:
    class _CLoader(_CParser, _Resolver):
        """libyaml's parser and composer with the same resolver: the same nodes, ten times faster."""

        def __init__(self, stream):
            _CParser.__init__(self, stream)
            _Resolver.__init__(self)

        def resolve(self, kind, value, implicit):
            """`BaseResolver.resolve` without path resolvers (there are none), one match per scalar:
            libyaml calls it for every node, and the loop over resolvers was a fifth of the load."""
            if kind is ScalarNode:
                if implicit[0]:
                    resolvers = _IMPLICIT.get(value[:1])
                    if resolvers is not None:
                        match = resolvers[0].match(value)
                        if match is not None:
                            return resolvers[1][match.lastindex]
                return STR
            return SEQ if kind is SequenceNode else MAP


class YMap(dict):
    """A mapping that remembers its own line and the line of each key."""

    line: int
    key_lines: dict

    def line_of(self, key) -> int:
        """The line of `key`, or the mapping's own line for a key it does not have."""
        return self.key_lines.get(key, self.line)


class YList(list):
    """A sequence that remembers its own line and the line of each item."""

    line: int
    item_lines: list

    def line_of(self, index: int) -> int:
        """The line of item `index`, or the list's own line past its end."""
        return self.item_lines[index] if index < len(self.item_lines) else self.line


def line_of(node) -> int:
    """The 1-based line a node starts on as PyYAML counts, in its own text (`first_line` not added)."""
    return node.start_mark.line + 1


def parse_yaml(text: str, first_line: int = 1):
    """Parse one YAML document into plain values with lines.

    Args:
        text: the YAML text.
        first_line: the file line the text starts on (front matter starts after `---`).

    Returns:
        YMap, YList, a scalar, or None for an empty document.

    Raises:
        YamlError: a syntax error or an unsupported construct, with its file line.
    """
    offset = first_line - 1
    budget = _Budget(text, offset)
    node = _compose_fast(text)
    if node is not None:
        return None if node is _EMPTY else _convert(node, offset, 0, budget)
    if len(text) > SLOW_PATH_CHARS:
        # The pure-Python parser takes seconds a megabyte: a big file's error is libyaml's.
        error = _fast_error(text, budget, first_line)
        if error is not None:
            raise error
    # Errors, and text that may nest too deeply, go through the pure-Python loader: its messages
    # and marks are the reference.
    loader = None
    try:
        loader = _Loader(text)  # the reader refuses control characters here, before parsing
        node = loader.get_single_node()
    except yaml.reader.ReaderError as exc:
        line = budget.line_at(exc.position) if isinstance(exc.position, int) else first_line
        raise YamlError(line, f"YAML cannot contain the character U+{exc.character:04X}: remove it") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = budget.line(mark) if mark else first_line
        problem = exc.problem or exc.context or "invalid YAML"
        context = f" {exc.context}" if exc.context and exc.problem else ""
        raise YamlError(line, f"YAML syntax error: {problem}{context}") from None
    except yaml.YAMLError as exc:
        raise YamlError(first_line, f"YAML error: {exc}") from None
    except RecursionError:
        mark = loader.get_mark() if loader is not None else None  # where the reader had got to
        raise YamlError(budget.line(mark) if mark else first_line, "YAML is nested too deeply") from None
    finally:
        if loader is not None:
            loader.dispose()
    if node is None:
        return None
    return _convert(node, offset, 0, budget)


class _Budget:
    """One document's conversion: file lines of marks, and what aliases may still expand to."""

    def __init__(self, text: str, offset: int):
        self.text = text
        self.offset = offset
        self.nodes = MAX_NODES
        self.chars = MAX_ALIAS_CHARS
        self.seen: set[int] = set()
        self.aliased = "*" in text      # else no alias: no node is reached twice
        self.base = offset + 1          # a mark's line plus this is the file line (when `starts` is None)
        # Line starts are only needed where YAML's line count differs from the file's.
        self.starts = ([0] + [m.end() for m in re.finditer("\n", text)]
                       if _OTHER_BREAKS.search(text) else None)

    def line_at(self, index: int) -> int:
        """The file line of a character index into the text."""
        if self.starts is None:
            return self.text.count("\n", 0, index) + 1 + self.offset
        return bisect.bisect_right(self.starts, index) + self.offset

    def line(self, mark) -> int:
        if self.starts is None or mark.index is None:
            return mark.line + 1 + self.offset
        return self.line_at(mark.index)

    def visit(self, node) -> None:
        """Count a node; a node seen before is reached through an alias and costs its size."""
        if id(node) not in self.seen:
            self.seen.add(id(node))
            return
        self.nodes -= 1
        if isinstance(node, ScalarNode):
            self.chars -= len(node.value)
        if self.nodes < 0:
            raise YamlError(self.line(node.start_mark),
                            f"YAML aliases expand to more than {MAX_NODES} values")
        if self.chars < 0:
            raise YamlError(self.line(node.start_mark),
                            f"YAML aliases repeat more than {MAX_ALIAS_CHARS} characters")


_EMPTY = object()


def _compose_fast(text: str):
    """The node tree by libyaml; _EMPTY for an empty document; None when the slow path must decide.

    libyaml limits nesting itself (1000 levels), and its composer calls back into the Python
    resolver, so deep input ends in an error here (and the slow path reports it), never a crash.
    """
    if _CParser is None:
        return None
    loader = _CLoader(text)
    try:
        node = loader.get_single_node()
    except (yaml.YAMLError, RecursionError, ValueError, TypeError):
        return None
    finally:
        loader.dispose()
    return _EMPTY if node is None else node


def _fast_error(text: str, budget: _Budget, first_line: int) -> YamlError | None:
    """libyaml's error in `text`, located; None when libyaml finds none (the slow path decides)."""
    if _CParser is None:
        return None
    loader = _CLoader(text)
    try:
        loader.get_single_node()
    except yaml.reader.ReaderError as exc:
        line = budget.line_at(exc.position) if isinstance(exc.position, int) else first_line
        return YamlError(line, f"YAML cannot contain the character U+{exc.character:04X}: remove it")
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = budget.line(mark) if mark else first_line
        if "nesting depth" in (exc.problem or ""):
            return YamlError(line, "YAML is nested too deeply")
        problem = exc.problem or exc.context or "invalid YAML"
        context = f" {exc.context}" if exc.context and exc.problem else ""
        return YamlError(line, f"YAML syntax error: {problem}{context}")
    except (yaml.YAMLError, RecursionError, ValueError, TypeError):
        return None
    finally:
        loader.dispose()
    return None


def _convert(node, offset: int, depth: int, budget: _Budget):
    """The plain value of a node and of all below it.

    Most books have no alias and no line break but "\n": then no node is reached twice (nothing
    to count) and a mark's line plus `budget.base` is the file line, so the per-node calls for
    those are skipped, and a mapping's scalar values are converted in its own loop.
    """
    aliased, starts, base = budget.aliased, budget.starts, budget.base
    if aliased:
        budget.visit(node)
    line = node.start_mark.line + base if starts is None else budget.line(node.start_mark)
    if depth > MAX_DEPTH:
        raise YamlError(line, f"YAML is nested deeper than {MAX_DEPTH} levels")
    kind = type(node)
    if kind is ScalarNode:
        return _scalar(node, line)
    if kind is SequenceNode:
        if node.tag != SEQ:
            raise YamlError(line, f"unsupported YAML tag {node.tag!r}")
        result = YList(_convert(item, offset, depth + 1, budget) for item in node.value)
        result.line = line
        result.item_lines = ([item.start_mark.line + base for item in node.value] if starts is None
                             else [budget.line(item.start_mark) for item in node.value])
        return result
    if kind is MappingNode:
        if node.tag != MAP:
            raise YamlError(line, f"unsupported YAML tag {node.tag!r}")
        result = YMap()
        result.line = line
        result.key_lines = key_lines = {}
        direct = not aliased and starts is None and depth < MAX_DEPTH   # values' scalars converted here
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + base if starts is None else budget.line(key_node.start_mark)
            if type(key_node) is not ScalarNode:
                raise YamlError(key_line, "a mapping key must be a plain word")
            key = _text(key_node.value, key_line)
            if key in result:
                raise YamlError(key_line, f"duplicate key {_shown(key)} (first at line {key_lines[key]})")
            if direct and type(value_node) is ScalarNode:
                value = value_node.value
                if value_node.tag == STR and value.isascii() and value.isprintable():
                    result[key] = value     # `_text`'s own first test, without the call
                else:
                    result[key] = _scalar(value_node, value_node.start_mark.line + base)
            else:
                result[key] = _convert(value_node, offset, depth + 1, budget)
            key_lines[key] = key_line
        return result
    raise YamlError(line, "unsupported YAML node")


def _shown(text: str) -> str:
    """A value quoted in a message, cut short (values may be megabytes long)."""
    quoted = repr(text)
    return quoted if len(quoted) <= 60 else f"{quoted[:48]}…{quoted[-8:]} ({len(quoted)} characters)"


def _text(text: str, line: int) -> str:
    """A string as UTF-8 can carry it: escaped surrogate pairs (`"\\ud83d\\ude00"`) joined, lone ones
    refused, and no control character that the file itself could not hold."""
    if text.isascii() and text.isprintable():
        return text     # nearly every string: nothing to join or refuse, and two C calls to know it
    if _SURROGATE.search(text):
        try:
            text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le")
        except UnicodeDecodeError as exc:
            lone = text.encode("utf-16-le", "surrogatepass")[exc.start:exc.start + 2].decode("utf-16-le", "surrogatepass")
            raise YamlError(line, f"\\u{ord(lone):04x} is half of a surrogate pair, not a character") from None
    control = _NON_PRINTABLE.search(text)
    if control:
        raise YamlError(line, f"YAML text cannot contain the control character U+{ord(control.group()):04X}")
    return text


def _scalar(node: ScalarNode, line: int):
    tag, text = node.tag, node.value
    if tag == STR:
        return _text(text, line)
    if tag == NULL:
        return None
    if tag == BOOL:
        return text.lower() == "true"
    if tag == INT:
        try:
            return int(text)
        except ValueError:
            raise YamlError(line, f"not an integer: {_shown(text)}") from None
    if tag == FLOAT:
        try:
            return Decimal(text)
        except InvalidOperation:
            raise YamlError(line, f"not a number: {_shown(text)}") from None
    if tag == DATE:
        try:
            return datetime.date.fromisoformat(text)
        except ValueError:
            # No such day (2026-02-30): the text, which the field that wants a date reports at its
            # line (`scalars.parse_date`), so that the rest of the file is still read and checked.
            return _text(text, line)
    raise YamlError(line, f"unsupported YAML tag {tag!r}")
