"""The one safe way clipkit reads a YAML file a person may have written (presets, plans).

``yaml.safe_load`` builds no Python objects from tags, but it still trusts a file in
two ways that hostile or mistaken input breaks:

- Aliases: a "billion laughs" file of a few lines expands, through anchors that
  refer to anchors, into billions of nodes; anything that walks, prints or copies
  the result runs out of time or memory. The node graph is composed first and its
  expanded size counted (each node once, shared ones by reference), and a file that
  expands past ``MAX_NODES`` is refused before anything is built from it.

``YamlLimitError`` carries the message without the file; callers add the file and
raise their own error (PresetError, InputError).
"""

from __future__ import annotations

from typing import Any

import yaml

# No preset or plan comes near this (a plan of a thousand clips is ~30,000 nodes).
MAX_NODES = 200_000


class YamlLimitError(ValueError):
    """A file that parses but that clipkit refuses to build (too big once expanded)."""


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


def load_yaml(text: str) -> tuple[Any, yaml.Node | None]:
    """The document in ``text`` and its composed node (None for an empty file).

    Raises yaml.YAMLError for text that does not parse, YamlLimitError for a file that
    expands past MAX_NODES."""
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
        return loader.construct_document(node), node
    finally:
        loader.dispose()
