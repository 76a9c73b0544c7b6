"""The lifecycle table as a versioned JSON document, and such a document back as a graph.

``orderfsm lifecycle export --json`` writes :func:`lifecycle_document`; ``orderfsm
diagram --diff`` reads one (a file, or a git revision's own export) with
:func:`load_lifecycle`. The document is stable, so two exports of one table are
the same bytes and a change to the table is a small text diff:

- keys sorted, two-space indents, UTF-8, one trailing newline;
- ``states`` in the table's order (the order diagrams draw them in);
- ``edges`` sorted by their source's place in ``states``, then trigger, then
  target; an internal edge (news recorded, no state change) has its source as
  target and ``"internal": true``;
- ``"format": "orderfsm-lifecycle/1"``. A reader ignores keys it does not know,
  so adding a key keeps ``/1``; renaming or removing one, or changing what one
  means, is ``/2``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from orderfsm.diagrams.errors import DiagramError
from orderfsm.diagrams.graph import (
    DiagramEdge,
    DiagramState,
    LifecycleGraph,
    effect_label,
    graph_from_lifecycle,
)
from orderfsm.fsm.effects import EffectSpec
from orderfsm.fsm.lifecycle import LIFECYCLE, Lifecycle, StateGroup, StateKind
from orderfsm.fsm.states import OrderState

FORMAT = "orderfsm-lifecycle/1"
"""The ``format`` of the documents this version writes and reads."""
NAME_PATTERN = r"^[a-z][a-z0-9_]*$"
"""States and triggers are identifiers (every renderer uses them as node ids)."""
Text = Annotated[str, Field(pattern=r"^[^\x00-\x1f\x7f-\x9f]*$")]
"""Guards, effects, conditions, meanings: one line of printable text (it reaches terminals)."""


def lifecycle_document(
    lifecycle: Lifecycle = LIFECYCLE,
    *,
    deadlines: Mapping[OrderState, timedelta] | None = None,
) -> dict[str, Any]:
    """The table as the JSON-ready document (``deadlines`` overrides the table's)."""
    graph = graph_from_lifecycle(lifecycle, deadlines=deadlines)
    entry = {spec.state.value: spec.on_enter for spec in lifecycle.states}
    states = [
        {
            "name": state.name,
            "kind": state.kind.value,
            "band": state.group.value,
            "meaning": state.meaning,
            "entryEffects": _effects(entry[state.name]),
            "deadlineSeconds": _seconds(state.deadline),
        }
        for state in graph.states
    ]
    place = {state.name: at for at, state in enumerate(graph.states)}
    edges = [
        {
            "source": edge.source.value,
            "trigger": edge.trigger.value,
            "target": edge.target.value,
            "internal": edge.internal,
            "guards": [guard.name for guard in edge.guards],
            "effects": _effects(edge.effects),
            "disputed": edge.disputed,
        }
        for edge in sorted(
            lifecycle.edges(),
            key=lambda e: (place[e.source.value], e.trigger.value, e.target.value),
        )
    ]
    return {"format": FORMAT, "states": states, "edges": edges}


def dumps(document: Mapping[str, Any]) -> str:
    """The document's one stable text."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def load_lifecycle(text: str | bytes, *, source: str) -> LifecycleGraph:
    """The graph a document describes; anything wrong is one :class:`DiagramError` line.

    ``source`` names where the text came from (a path, "the lifecycle at
    main"), so the error says which input is wrong and where inside it.
    """
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise DiagramError(f"{source} is not JSON: {exc}") from None
    found = data.get("format") if isinstance(data, dict) else None
    if found != FORMAT:
        what = "has no format" if found is None else f"is format {found!r}"
        raise DiagramError(
            f"{source} {what}: this orderfsm reads {FORMAT!r} "
            "(write one with `orderfsm lifecycle export --json`)"
        )
    try:
        document = _Document.model_validate_json(text)
    except ValidationError as exc:
        raise DiagramError(f"{source}: {_first_error(exc)}") from None
    return _graph(document, source)


def load_lifecycle_file(path: Path) -> LifecycleGraph:
    """:func:`load_lifecycle` of a file; a missing or unreadable file is one line too."""
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise DiagramError(f"cannot read {path}: {exc.strerror or exc}") from None
    return load_lifecycle(text, source=str(path))


class _Model(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, frozen=True, extra="ignore", strict=True, populate_by_name=True
    )


class _Effect(_Model):
    effect: Text = Field(min_length=1)
    when: Text | None = None


class _State(_Model):
    name: str = Field(pattern=NAME_PATTERN)
    kind: StateKind
    band: StateGroup
    meaning: Text = ""
    entry_effects: tuple[_Effect, ...] = ()
    deadline_seconds: int | None = Field(default=None, gt=0)


class _Edge(_Model):
    source: str
    trigger: str = Field(pattern=NAME_PATTERN)
    target: str
    internal: bool = False
    guards: tuple[Text, ...] = ()
    effects: tuple[_Effect, ...] = ()
    disputed: bool | None = None


class _Document(_Model):
    states: tuple[_State, ...] = Field(min_length=1)
    edges: tuple[_Edge, ...]


def _graph(document: _Document, source: str) -> LifecycleGraph:
    names = [state.name for state in document.states]
    for at, name in enumerate(names):
        if name in names[:at]:
            raise DiagramError(f"{source}: states.{at}: state {name!r} is declared twice")
    edges: list[DiagramEdge] = []
    for at, edge in enumerate(document.edges):
        # The index finds the entry; the edge itself says which one it is to a reader.
        where = f"{source}: edges.{at} ({edge.trigger} from {edge.source!r} to {edge.target!r})"
        for end in (edge.source, edge.target):
            if end not in names:
                raise DiagramError(f"{where}: {end!r} is not one of the document's states")
        if edge.internal and edge.target != edge.source:
            raise DiagramError(f"{where}: an internal edge ends where it starts ({edge.source!r})")
        drawn = DiagramEdge(
            source=edge.source,
            dest=edge.target,
            trigger=edge.trigger,
            guards=edge.guards,
            effects=tuple(effect_label(e.effect, e.when) for e in edge.effects),
            internal=edge.internal,
            disputed=edge.disputed,
        )
        if any(seen.key == drawn.key and seen.internal == drawn.internal for seen in edges):
            raise DiagramError(f"{where}: edge {drawn.key} is declared twice")
        edges.append(drawn)
    states = tuple(
        DiagramState(
            name=state.name,
            kind=state.kind,
            group=state.band,
            meaning=state.meaning,
            entry_effects=tuple(effect_label(e.effect, e.when) for e in state.entry_effects),
            deadline=_duration(state.deadline_seconds),
        )
        for state in document.states
    )
    return LifecycleGraph(states, tuple(edges))


def _effects(specs: tuple[EffectSpec, ...]) -> list[dict[str, str | None]]:
    return [{"effect": s.name.value, "when": s.when.name if s.when else None} for s in specs]


def _seconds(wait: timedelta | None) -> int | None:
    return None if wait is None else int(wait.total_seconds())


def _duration(seconds: int | None) -> timedelta | None:
    return None if seconds is None else timedelta(seconds=seconds)


def _first_error(exc: ValidationError) -> str:
    errors = exc.errors(include_url=False)
    first = errors[0]
    where = ".".join(str(part) for part in first["loc"]) or "document"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where}: {first['msg']}{more}"
