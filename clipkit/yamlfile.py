"""The one safe way clipkit reads a YAML file a person may have written (presets, plans).

``yaml.safe_load`` builds no Python objects from tags, but it still trusts a file in
two ways that hostile or mistaken input breaks:

- Aliases: a "billion laughs" file of a few lines expands, through anchors that
  refer to anchors, into billions of nodes; anything that walks, prints or copies
  the result runs out of time or memory. The node graph is composed first and its
  expanded size counted (each node once, shared ones by reference), and a file that
  expands past ``MAX_NODES`` is refused before anything is built from it.
- Non-finite numbers: ``.inf``, ``-.inf`` and ``.nan`` (and ``1e999``) are floats to
  YAML, but no clipkit setting or time may be one. They are refused here, with the
  line and key.

``YamlLimitError`` carries the message without the file; callers add the file and
raise their own error (PresetError, InputError).
"""

from __future__ import annotations

import math
from typing import Any

import yaml

# No preset or plan comes near this (a plan of a thousand clips is ~30,000 nodes).
MAX_NODES = 200_000

FLOAT_TAG = "tag:yaml.org,2002:float"


class YamlLimitError(ValueError):
    """A file that parses but that clipkit refuses to build (too big once expanded, or a
    non-finite number); the message starts with the line when there is one."""


def _expanded_size(root: yaml.Node) -> int:
    """How many nodes ``root`` stands for once every alias is expanded (stops counting a
    little past ``MAX_NODES``). Iterative, memoised per node: linear in the graph."""
    sizes: dict[int, int] = {}
    open_: set[int] = set()  # the nodes being counted: the path down to this one
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if id(node) in sizes:
            continue
        children = _children(node)
        if not done:
            if id(node) in open_:  # &a [*a]: a value inside itself, endless once expanded
                return MAX_NODES + 1
            open_.add(id(node))
            stack.append((node, True))
            stack.extend((c, False) for c in children if id(c) not in sizes)
            continue
        total = 1 + sum(sizes.get(id(c), 0) for c in children)
        sizes[id(node)] = min(total, MAX_NODES + 1)
        open_.discard(id(node))
    return sizes[id(root)]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _non_finite(node: yaml.Node) -> tuple[int, str, str] | None:
    """(line, key, text) of the first non-finite float in ``node``, or None."""
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, str]] = [(node, "")]
    while stack:
        n, key = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        if isinstance(n, yaml.ScalarNode):
            if n.tag == FLOAT_TAG and not math.isfinite(_as_float(n.value)):
                return n.start_mark.line + 1, key, n.value
        elif isinstance(n, yaml.MappingNode):
            for k, v in reversed(n.value):
                name = k.value if isinstance(k, yaml.ScalarNode) else key
                stack.append((v, str(name)))
                stack.append((k, key))
        elif isinstance(n, yaml.SequenceNode):
            stack.extend((c, key) for c in reversed(n.value))
    return None


def _as_float(text: str) -> float:
    """A YAML float's value as SafeLoader reads it (1e999 is inf too)."""
    v = text.replace("_", "").lower()
    if v.lstrip("+-") in (".inf", ".nan"):
        return math.nan
    try:
        return float(v)
    except ValueError:  # sexagesimal (1:30.5): always finite
        return 0.0


def load_yaml(text: str) -> tuple[Any, yaml.Node | None]:
    """The document in ``text`` and its composed node (None for an empty file).

    Raises yaml.YAMLError for text that does not parse, YamlLimitError for a file that
    expands past MAX_NODES or holds a non-finite number."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None
        if _expanded_size(node) > MAX_NODES:
            raise YamlLimitError(
                f"the file expands to more than {MAX_NODES:,} values through its aliases "
                "(&anchor / *alias); refused"
            )
        bad = _non_finite(node)
        if bad is not None:
            line, key, value = bad
            where = f"'{key}' " if key else ""
            raise YamlLimitError(f"line {line}: {where}must be a finite number, not {value}")
        return loader.construct_document(node), node
    finally:
        loader.dispose()
