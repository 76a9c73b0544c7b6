"""The host's code for ``orderfsm worker``: handlers, sinks and classifiers by reference.

``--handlers MODULE:NAME`` names a :class:`~orderfsm.dispatch.HandlerRegistry`
or a function that fills one, ``--sink jsonl:PATH`` writes the remaining
effects to a JSON-lines file, and ``--classifier`` is ``physical``,
``digital`` or a ``MODULE:NAME`` function. A reference that cannot be used is
a usage error naming its option.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import click

from orderfsm.adapters.handlers import JsonlSink
from orderfsm.dispatch import BUILT_IN_CLASSIFIERS, Classifier, HandlerRegistry
from orderfsm.fsm.effects import EffectName

SINK_SCHEMES = ("jsonl",)
"""The ``--sink`` kinds: ``jsonl:PATH``."""


def build_registry(handler_refs: Sequence[str], sinks: Sequence[str]) -> HandlerRegistry:
    """A registry from ``--handlers`` references, then ``--sink`` for the remaining effects."""
    registry = HandlerRegistry()
    for ref in handler_refs:
        load_handlers(registry, ref)
    add_sinks(registry, sinks)
    return registry


def add_sinks(registry: HandlerRegistry, sinks: Sequence[str]) -> None:
    """``--sink`` as the handler of every effect ``registry`` has none for yet."""
    for sink in sinks:
        scheme, _, target = sink.partition(":")
        if scheme not in SINK_SCHEMES or not target:
            raise click.BadParameter(f"{sink!r}: expected jsonl:PATH", param_hint="'--sink'")
        remaining = [name for name in EffectName if name not in registry]
        JsonlSink(Path(target)).register(registry, remaining)


def load_classifier(ref: str) -> Classifier:
    """``physical``, ``digital`` or a ``MODULE:NAME`` function taking an item."""
    if ref in BUILT_IN_CLASSIFIERS:
        return BUILT_IN_CLASSIFIERS[ref]
    target = import_target(ref, "'--classifier'", expected="physical, digital or MODULE:NAME")
    if not callable(target):
        raise click.BadParameter(
            f"{ref!r} is not a function taking an item", param_hint="'--classifier'"
        )
    classifier: Classifier = target
    return classifier


def import_target(ref: str, hint: str, *, expected: str = "MODULE:NAME") -> object:
    """The object ``MODULE:NAME`` names (the current folder importable); else a usage error."""
    module_name, _, attribute = ref.partition(":")
    if not module_name or not attribute:
        raise click.BadParameter(f"{ref!r}: expected {expected}", param_hint=hint)
    if os.getcwd() not in sys.path:
        # Like uvicorn and celery: the host's modules in the current folder are importable.
        sys.path.insert(0, os.getcwd())
    try:
        return getattr(importlib.import_module(module_name), attribute)
    except Exception as exc:  # the host's module may fail in any way as it loads
        raise click.BadParameter(f"{ref!r}: {one_line(exc)}", param_hint=hint) from exc


def one_line(exc: BaseException) -> str:
    """An exception as its type and the first line of its message."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def load_handlers(registry: HandlerRegistry, ref: str) -> None:
    """Add the handlers of ``ref``: a HandlerRegistry, or a function that fills one."""
    target = import_target(ref, "'--handlers'")
    if isinstance(target, HandlerRegistry):
        for name in target:
            handler = target.get(name)
            assert handler is not None
            registry.register(name, handler)
        if target.classifier is not None:
            if registry.classifier not in (None, target.classifier):
                # Which of two hosts' classifiers should win is not ours to guess.
                raise click.BadParameter(
                    f"{ref!r} brings a classifier and an earlier registry another one; "
                    "choose one with --classifier",
                    param_hint="'--handlers'",
                )
            registry.classifier = target.classifier
    elif callable(target):
        try:
            target(registry)
        except Exception as exc:
            raise click.BadParameter(
                f"{ref!r} is neither a HandlerRegistry nor a function filling one: "
                f"calling it with a HandlerRegistry raised {one_line(exc)}",
                param_hint="'--handlers'",
            ) from exc
    else:
        raise click.BadParameter(
            f"{ref!r} is neither a HandlerRegistry nor a function taking one",
            param_hint="'--handlers'",
        )
