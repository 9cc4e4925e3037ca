"""YAML from users (assumptions, questionnaire answers) loaded with its size bounded.

A YAML alias (`*a`) refers to an anchored node (`&a`) without copying it, so nine lines can
describe a billion values ("billion laughs"): loading is cheap, but printing or walking the
result is not. `load` refuses a document longer than `MAX_CHARS` or whose nodes, aliases
expanded, number more than `MAX_NODES` (counted over the node graph without expanding it),
and never puts the document into an error message.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

MAX_CHARS = 1_000_000
MAX_NODES = 100_000


class YamlTooLarge(yaml.YAMLError):
    """A document over the bounds; `problem` says which, like PyYAML's own errors."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.problem_mark = None


def expanded_size(node: yaml.Node) -> int:
    """Nodes in the document with every alias expanded (memoised over the node graph)."""
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(node, False)]
    while stack:
        current, children_done = stack.pop()
        if id(current) in sizes:
            continue
        children: list[yaml.Node] = []
        if isinstance(current, yaml.SequenceNode):
            children = list(current.value)
        elif isinstance(current, yaml.MappingNode):
            children = [part for pair in current.value for part in pair]
        if children_done or not children:
            sizes[id(current)] = 1 + sum(sizes.get(id(child), 0) for child in children)
            continue
        stack.append((current, True))
        stack.extend((child, False) for child in children if id(child) not in sizes)
    return sizes[id(node)]


def load(text: str) -> tuple[Any, yaml.Node | None]:
    """(data, root node) of a YAML document, safely constructed and bounded; (None, None) for
    an empty one. Raises `yaml.YAMLError` (`YamlTooLarge` over the bounds)."""
    if len(text) > MAX_CHARS:
        raise YamlTooLarge(f"the file is longer than {MAX_CHARS:,} characters")
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None, None
        if expanded_size(root) > MAX_NODES:
            raise YamlTooLarge(
                f"with its aliases (*name) expanded it holds more than {MAX_NODES:,} values; "
                "write the values out without anchors and aliases"
            )
        return loader.construct_document(root), root
    finally:
        loader.dispose()


_QUOTED = re.compile(r"'[^'\n]*'|\"[^\"\n]*\"")


def problem_text(error: yaml.YAMLError) -> str:
    """What a YAML error says is wrong, without a word of the document: PyYAML's `problem`
    with quoted text (an alias, a tag, a character of the file) replaced by '…', never the
    error's own text (it prints the offending line)."""
    problem = getattr(error, "problem", None) or "a syntax error"
    return _QUOTED.sub("'…'", str(problem))
