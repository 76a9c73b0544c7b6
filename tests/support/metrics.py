"""Reading a Prometheus page the way Prometheus does (prometheus_client's own parser)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
"""Every sample of a page: (name, labels) -> value."""


def parse(page: str) -> Samples:
    """The samples of a text-format page."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(page)
        for sample in family.samples
    }


def scrape(registry: CollectorRegistry) -> Samples:
    """The samples a scrape of ``registry`` gives now."""
    return parse(generate_latest(registry).decode())


def value(samples: Samples, name: str, **labels: str) -> float | None:
    """One sample's value, ``None`` if the page does not have it."""
    return samples.get((name, frozenset(labels.items())))


def by_label(samples: Samples, name: str, label: str) -> dict[str, float]:
    """The samples of ``name`` keyed by one label (the others must not vary)."""
    return {dict(labels)[label]: v for (n, labels), v in samples.items() if n == name and labels}
