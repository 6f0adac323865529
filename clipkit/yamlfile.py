"""The one safe way clipkit reads a YAML file a person may have written (presets, plans).

``yaml.safe_load`` builds no Python objects from tags, but it still trusts a file in
ways that hostile or mistaken input breaks:

- Aliases: a "billion laughs" file of a few lines expands, through anchors that
  refer to anchors, into billions of nodes; anything that walks, prints or copies
  the result runs out of time or memory. The node graph is composed first and its
  expanded size counted (each node once, shared ones by reference), and a file that
  expands past ``MAX_NODES`` is refused before anything is built from it.
- Nesting: PyYAML's scanner takes time quadratic in how deep ``[[[[...]]]]`` nests,
  and its composer recurses (RecursionError a few hundred deep; json or repr of the
  result would fail later too). Past ``MAX_DEPTH`` levels, as written or through
  aliases, the file is refused.
- Values: ``.inf``, ``-.inf`` and ``.nan`` (and ``1e999``) are floats to YAML, but no
  clipkit setting or time may be one; an integer of hundreds of digits overflows
  any float (and past 4,300 digits Python refuses to read it); a date that does not
  exist (2001-13-45) or a tagged value that is not one (``!!int abc``) raises a plain
  ValueError or worse from PyYAML. Each is refused here, with the line and key.
- Keys: clipkit's files are mappings of names; a key that is not text (``1:``,
  ``yes:``, ``~:``) is refused with its line, so readers can rely on text keys.

``YamlLimitError`` carries the message without the file; callers add the file and
raise their own error (PresetError, InputError).
"""

from __future__ import annotations

import math
from typing import Any

import yaml

# No preset or plan comes near this (a plan of a thousand clips is ~30,000 nodes).
MAX_NODES = 200_000
# A plan nests 3 deep, a preset 1; PyYAML's own recursion gives out at about 300.
MAX_DEPTH = 100
TOO_DEEP = f"the file nests deeper than {MAX_DEPTH} levels; refused"
# No clipkit number comes near this; anything larger is a typo or an attack. (An
# integer's text longer than MAX_INT_TEXT is refused unread: reading a long
# sexagesimal 1:2:3:... one takes time quadratic in its length.)
MAX_INT = 2**63
MAX_INT_TEXT = 64

INT_TAG = "tag:yaml.org,2002:int"
# Tags PyYAML resolves only inside a mapping's keys: the merge key << and the = key.
KEY_ONLY_TAGS = ("tag:yaml.org,2002:merge", "tag:yaml.org,2002:value")


class YamlLimitError(ValueError):
    """A file that parses but that clipkit refuses to build (too big once expanded, too
    deep, or a value no clipkit file holds); the message starts with the line when
    there is one."""


def _extent(root: yaml.Node) -> tuple[int, int]:
    """How many nodes ``root`` stands for once every alias is expanded, and how deep it
    nests (each stops counting a little past ``MAX_NODES`` / ``MAX_DEPTH``). Iterative,
    memoised per node: linear in the graph."""
    sizes: dict[int, tuple[int, int]] = {}
    open_: set[int] = set()  # the nodes being counted: the path down to this one
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if id(node) in sizes:
            continue
        children = _children(node)
        if not done:
            if id(node) in open_:  # &a [*a]: a value inside itself, endless once expanded
                return MAX_NODES + 1, MAX_DEPTH + 1
            open_.add(id(node))
            stack.append((node, True))
            stack.extend((c, False) for c in children if id(c) not in sizes)
            continue
        below = [sizes.get(id(c), (0, 0)) for c in children]
        size = 1 + sum(n for n, _ in below)
        depth = 1 + max((d for _, d in below), default=0)
        sizes[id(node)] = min(size, MAX_NODES + 1), min(depth, MAX_DEPTH + 1)
        open_.discard(id(node))
    return sizes[id(root)]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _check_values(loader: yaml.SafeLoader, root: yaml.Node) -> None:
    """Build every scalar of ``root`` (the document's build then reuses them) and raise
    YamlLimitError, with the line and key, at the first that fails to build, is not a
    finite number, is too large an integer, or is a key that is not text."""
    seen: set[tuple[int, bool]] = set()  # (an alias may be a value here, a key there)
    stack: list[tuple[yaml.Node, str, bool]] = [(root, "", False)]
    while stack:
        n, key, is_key = stack.pop()
        if (id(n), is_key) in seen:
            continue
        seen.add((id(n), is_key))
        if is_key and not isinstance(n, yaml.ScalarNode):
            raise _refused(n, "", "a key must be text, not a list or mapping")
        if isinstance(n, yaml.ScalarNode) and n.tag not in KEY_ONLY_TAGS:
            _check_scalar(loader, n, key, is_key)
        elif isinstance(n, yaml.MappingNode):
            for k, v in reversed(n.value):
                name = k.value if isinstance(k, yaml.ScalarNode) else key
                stack.append((v, str(name), False))
                stack.append((k, key, True))
        elif isinstance(n, yaml.SequenceNode):
            stack.extend((c, key, False) for c in reversed(n.value))


def _check_scalar(loader: yaml.SafeLoader, n: yaml.ScalarNode, key: str, is_key: bool) -> None:
    if n.tag == INT_TAG and len(n.value) > MAX_INT_TEXT:
        raise _refused(n, key, too_large(n.value))
    try:
        value = loader.construct_object(n)
    except yaml.YAMLError:
        raise  # PyYAML's own errors carry their line already
    except Exception as e:  # PyYAML's value builders raise ValueError (2001-13-45),
        # KeyError (!!bool maybe), IndexError (!!int ''), AttributeError (!!timestamp x)
        raise _refused(n, key, f"{_short(n.value)} is not a valid {_kind(n.tag)} ({e})") from None
    if isinstance(value, float) and not math.isfinite(value):
        raise _refused(n, key, f"must be a finite number, not {_short(n.value)}")
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INT:
        raise _refused(n, key, too_large(n.value))
    if is_key and not isinstance(value, str):
        raise _refused(n, "", f"a key must be text, not {n.value}")


def _refused(n: yaml.Node, key: str, problem: str) -> YamlLimitError:
    where = f"'{key}' " if key else ""
    return YamlLimitError(f"line {n.start_mark.line + 1}: {where}{problem}")


def _short(text: str, most: int = 24) -> str:
    return text if len(text) <= most else f"{text[:most]}... ({len(text)} characters)"


def too_large(text: str) -> str:
    """What is wrong with a number written ``text`` that is past MAX_INT."""
    return f"is too large a number ({_short(text)})"


def _kind(tag: str) -> str:
    """A tag's name as a person says it: tag:yaml.org,2002:timestamp -> timestamp."""
    return tag.rsplit(":", 1)[-1]


class _Loader(yaml.SafeLoader):
    """SafeLoader refusing collections nested past MAX_DEPTH as it scans them: flow ones
    ([ {) before its lookahead for keys (linear in the depth, per token) adds up, block
    ones (by indentation) before it reads on through megabytes of indentation."""

    def fetch_flow_collection_start(self, TokenClass: Any) -> None:  # (PyYAML's name)
        if self.flow_level >= MAX_DEPTH:
            raise YamlLimitError(TOO_DEEP)
        super().fetch_flow_collection_start(TokenClass)

    def add_indent(self, column: int) -> bool:
        if len(self.indents) >= MAX_DEPTH:
            raise YamlLimitError(TOO_DEEP)
        return bool(super().add_indent(column))


def load_yaml(text: str) -> tuple[Any, yaml.Node | None]:
    """The document in ``text`` and its composed node (None for an empty file).

    Raises yaml.YAMLError for text that does not parse, YamlLimitError for a file that
    expands past MAX_NODES, nests past MAX_DEPTH, or holds a value refused above."""
    loader = _Loader(text)
    try:
        try:
            node = loader.get_single_node()
        except RecursionError:  # block and flow levels together, on a deep call stack
            raise YamlLimitError(TOO_DEEP) from None
        if node is None:
            return None, None
        size, depth = _extent(node)
        if size > MAX_NODES:
            raise YamlLimitError(
                f"the file expands to more than {MAX_NODES:,} values through its aliases "
                "(&anchor / *alias); refused"
            )
        if depth > MAX_DEPTH:
            raise YamlLimitError(TOO_DEEP)
        _check_values(loader, node)
        return loader.construct_document(node), node
    finally:
        loader.dispose()
