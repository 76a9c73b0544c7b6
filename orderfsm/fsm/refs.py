"""The ways an order is known: DR's order id, DR's checkout id, the platform's id."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum


class RefKind(StrEnum):
    """One kind of order reference (the values are the column names that hold them)."""

    DR_ORDER_ID = "dr_order_id"
    CHECKOUT_ID = "checkout_id"
    UPSTREAM_ID = "upstream_id"


Identity = tuple[RefKind, str]
"""One way to find an order, e.g. ``(RefKind.CHECKOUT_ID, "CO1")``."""


@dataclass(frozen=True, slots=True)
class OrderRefs:
    """The identity triple of an order, any part of which may be unknown (``None``).

    Lookups try the parts in this order (DR order id, checkout id, upstream
    id): DR's ids are what DR's events carry.
    """

    dr_order_id: str | None = None
    checkout_id: str | None = None
    upstream_id: str | None = None

    def known(self) -> Iterator[Identity]:
        """The parts that are known, in lookup order."""
        if self.dr_order_id is not None:
            yield RefKind.DR_ORDER_ID, self.dr_order_id
        if self.checkout_id is not None:
            yield RefKind.CHECKOUT_ID, self.checkout_id
        if self.upstream_id is not None:
            yield RefKind.UPSTREAM_ID, self.upstream_id

    def identities(self) -> frozenset[Identity]:
        """The known parts as a set (what identity locks are taken on)."""
        return frozenset(self.known())

    def get(self, kind: RefKind) -> str | None:
        """The part of ``kind`` (``None`` when unknown)."""
        if kind is RefKind.DR_ORDER_ID:
            return self.dr_order_id
        if kind is RefKind.CHECKOUT_ID:
            return self.checkout_id
        return self.upstream_id

    @classmethod
    def of(cls, identities: frozenset[Identity]) -> OrderRefs:
        """The triple holding ``identities`` (at most one per kind)."""
        parts = dict(identities)
        return cls(
            parts.get(RefKind.DR_ORDER_ID),
            parts.get(RefKind.CHECKOUT_ID),
            parts.get(RefKind.UPSTREAM_ID),
        )

    @classmethod
    def anything(cls, ref: str) -> OrderRefs:
        """A reference a person typed: it may be any of the three."""
        return cls(ref, ref, ref)

    def __str__(self) -> str:
        return next((value for _, value in self.known()), "?")
