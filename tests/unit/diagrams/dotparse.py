"""A small parser for the DOT that ``graphviz.Digraph`` writes, so tests read structure.

It knows statements, attribute lists, subgraphs and the three kinds of DOT
strings (bare, quoted, HTML); enough to find every node and edge statement and
each one's attributes without relying on substrings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import pairwise
from xml.etree import ElementTree

_TOKEN = re.compile(
    r'\s*(?:(?P<arrow>->|--)|(?P<punct>[{}\[\]=;,])|"(?P<quoted>(?:[^"\\]|\\.)*)"'
    r"|(?P<html><)|(?P<bare>[A-Za-z0-9_.\-\u0080-\uffff]+))",
    re.S,
)


@dataclass(frozen=True)
class Token:
    kind: str  # "arrow", "punct", "id"
    text: str


@dataclass
class Node:
    name: str
    attrs: dict[str, str]
    cluster: str | None


@dataclass
class Edge:
    tail: str
    head: str
    attrs: dict[str, str]


@dataclass
class Dot:
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    clusters: list[str] = field(default_factory=list)

    def node(self, name: str) -> Node:
        (found,) = [n for n in self.nodes if n.name == name]
        return found


def tokenize(source: str) -> list[Token]:
    tokens, at = [], 0
    while at < len(source):
        if source[at:].strip() == "":
            break
        match = _TOKEN.match(source, at)
        if match is None:
            raise ValueError(f"cannot tokenize DOT at {source[at : at + 40]!r}")
        if match["html"] is not None:
            start, depth, at = match.start("html"), 0, match.start("html")
            while True:
                depth += {"<": 1, ">": -1}.get(source[at], 0)
                at += 1
                if depth == 0:
                    break
            tokens.append(Token("id", source[start:at]))
            continue
        at = match.end()
        if match["arrow"]:
            tokens.append(Token("arrow", match["arrow"]))
        elif match["punct"]:
            tokens.append(Token("punct", match["punct"]))
        elif match["quoted"] is not None:
            tokens.append(Token("id", match["quoted"].replace('\\"', '"')))
        else:
            tokens.append(Token("id", match["bare"]))
    return tokens


def parse(source: str) -> Dot:
    tokens = tokenize(source)
    dot = Dot()
    pos = 0

    def take(text: str | None = None) -> Token:
        nonlocal pos
        token = tokens[pos]
        if text is not None and token.text != text:
            raise ValueError(f"expected {text!r}, got {token.text!r}")
        pos += 1
        return token

    def attrs() -> dict[str, str]:
        found: dict[str, str] = {}
        while pos < len(tokens) and tokens[pos].text == "[":
            take("[")
            while tokens[pos].text != "]":
                key = take().text
                take("=")
                found[key] = take().text
                if tokens[pos].text in {",", ";"}:
                    take()
            take("]")
        return found

    def statements(cluster: str | None) -> None:
        while tokens[pos].text != "}":
            token = take()
            if token.text == ";":
                continue
            if token.kind == "id" and token.text in {"graph", "node", "edge"}:
                attrs()
            elif token.kind == "id" and token.text == "subgraph":
                name = take().text
                if name.startswith("cluster"):
                    dot.clusters.append(name)
                take("{")
                statements(name if name.startswith("cluster") else cluster)
                take("}")
            elif tokens[pos].text == "=":
                take("=")
                take()
            elif tokens[pos].kind == "arrow":
                chain = [token.text]
                while tokens[pos].kind == "arrow":
                    take()
                    chain.append(take().text)
                found = attrs()
                dot.edges += [Edge(a, b, found) for a, b in pairwise(chain)]
            else:
                dot.nodes.append(Node(token.text, attrs(), cluster))

    take()  # digraph
    if tokens[pos].text != "{":
        take()  # its name
    take("{")
    statements(None)
    take("}")
    return dot


def html(label: str) -> ElementTree.Element:
    """An HTML-like label (``<...>``) as an XML element."""
    assert label.startswith("<") and label.endswith(">"), label
    return ElementTree.fromstring(label[1:-1])


def cell_ids(label: str) -> list[str]:
    """The ``ID`` of every table cell in an HTML-like label, in order (none in a plain one)."""
    if not label.startswith("<"):
        return []
    return [td.get("ID", "") for td in html(label).iter("TD") if td.get("ID")]


def text_of(label: str) -> str:
    """The visible text of a label (HTML or plain), lines joined by spaces."""
    if label.startswith("<"):
        return " ".join(" ".join(html(label).itertext()).split())
    return " ".join(label.split())
