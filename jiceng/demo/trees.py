"""Materialized paths for bulk inserts into treebeard MP trees (Area, PartyOrg).

treebeard's add_child costs several queries per node; the demo inserts thousands of nodes, so it
computes path, depth and numchild itself, exactly as treebeard would (steps of `steplen` base-36
digits, children numbered from 1 in their order) and inserts with bulk_create.
Tests run the model's find_problems() on the result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Node:
    fields: dict[str, Any]
    children: list[Node] = field(default_factory=list)
    path: str = ""
    depth: int = 0
    obj: Any = None  # the saved model instance, once inserted

    def add(self, **fields: Any) -> Node:
        child = Node(fields)
        self.children.append(child)
        return child


def assign_paths(model, roots: list[Node], first_root_step: int = 1) -> list[Node]:
    """Give every node its path and depth; return all nodes, parents before children."""
    out: list[Node] = []
    stack: list[tuple[Node, str | None, int, int]] = [
        (root, None, 1, first_root_step + i) for i, root in reversed(list(enumerate(roots)))
    ]
    while stack:
        node, parent_path, depth, step = stack.pop()
        node.path = model._get_path(parent_path, depth, step)
        node.depth = depth
        out.append(node)
        for i, child in reversed(list(enumerate(node.children))):
            stack.append((child, node.path, depth + 1, i + 1))
    return out


def next_root_step(model) -> int:
    """The step number a new root takes after the existing ones."""
    last = model.objects.get_last_root_node()
    if last is None:
        return 1
    return model._str2int(last.path[: model.steplen]) + 1


def instances(model, nodes: list[Node]) -> list[Any]:
    objs = []
    for node in nodes:
        obj = model(path=node.path, depth=node.depth, numchild=len(node.children), **node.fields)
        node.obj = obj
        objs.append(obj)
    return objs
