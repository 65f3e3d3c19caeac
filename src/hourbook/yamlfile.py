"""YAML read the way hourbook's users mean it, with the line of every value.

PyYAML follows YAML 1.1, whose implicit types are traps for books: `10:25` is
the sexagesimal integer 625, `no` is False, `60.50` is a float. This module
composes the node tree with a resolver of its own (YAML 1.2 core types, and
decimals as `Decimal`, never float) and converts it into plain values that
remember their lines: `YMap` and `YList`.

It also bounds what a hostile file can cost: nesting depth and the number of
nodes visited (alias bombs expand through aliases, so each visit counts).
"""

from __future__ import annotations

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
MAX_NODES = 200_000

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


class YMap(dict):
    """A mapping that remembers its own line and the line of each key."""

    line: int
    key_lines: dict

    def line_of(self, key) -> int:
        return self.key_lines.get(key, self.line)


class YList(list):
    """A sequence that remembers its own line and the line of each item."""

    line: int
    item_lines: list

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if index < len(self.item_lines) else self.line


def line_of(node) -> int:
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
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line + 1 if mark else 1) + offset
        problem = exc.problem or exc.context or "invalid YAML"
        context = f" {exc.context}" if exc.context and exc.problem else ""
        raise YamlError(line, f"YAML syntax error: {problem}{context}") from None
    except yaml.YAMLError as exc:
        raise YamlError(first_line, f"YAML error: {exc}") from None
    except RecursionError:
        raise YamlError(first_line, "YAML is nested too deeply") from None
    finally:
        loader.dispose()
    if node is None:
        return None
    budget = [MAX_NODES]
    return _convert(node, offset, 0, budget)


def _convert(node, offset: int, depth: int, budget: list):
    budget[0] -= 1
    if budget[0] < 0:
        raise YamlError(line_of(node) + offset,
                        f"YAML expands to more than {MAX_NODES} values (aliases?)")
    if depth > MAX_DEPTH:
        raise YamlError(line_of(node) + offset, f"YAML is nested deeper than {MAX_DEPTH} levels")
    line = line_of(node) + offset
    if isinstance(node, ScalarNode):
        return _scalar(node, line)
    if isinstance(node, SequenceNode):
        if node.tag != SEQ:
            raise YamlError(line, f"unsupported YAML tag {node.tag!r}")
        result = YList(_convert(item, offset, depth + 1, budget) for item in node.value)
        result.line = line
        result.item_lines = [line_of(item) + offset for item in node.value]
        return result
    if isinstance(node, MappingNode):
        if node.tag != MAP:
            raise YamlError(line, f"unsupported YAML tag {node.tag!r}")
        result = YMap()
        result.line = line
        result.key_lines = {}
        for key_node, value_node in node.value:
            key_line = line_of(key_node) + offset
            if not isinstance(key_node, ScalarNode):
                raise YamlError(key_line, "a mapping key must be a plain word")
            key = key_node.value
            if key in result:
                raise YamlError(key_line, f"duplicate key {key!r} (first at line {result.key_lines[key]})")
            result[key] = _convert(value_node, offset, depth + 1, budget)
            result.key_lines[key] = key_line
        return result
    raise YamlError(line, "unsupported YAML node")


def _scalar(node: ScalarNode, line: int):
    tag, text = node.tag, node.value
    if tag == STR:
        return text
    if tag == NULL:
        return None
    if tag == BOOL:
        return text.lower() == "true"
    if tag == INT:
        try:
            return int(text)
        except ValueError:
            raise YamlError(line, f"not an integer: {text!r}") from None
    if tag == FLOAT:
        try:
            return Decimal(text)
        except InvalidOperation:
            raise YamlError(line, f"not a number: {text!r}") from None
    if tag == DATE:
        try:
            return datetime.date.fromisoformat(text)
        except ValueError:
            raise YamlError(line, f"not a valid date: {text!r}") from None
    raise YamlError(line, f"unsupported YAML tag {tag!r}")
