"""The pure rules around the machine, property-tested without a database.

Fact absorption never rolls back newer news and never overwrites an id;
dispute staleness is judged with DR's clock alone; effect keys are the same
whoever computes them, and only an internal transition's depends on the event;
the "first application" rule is one predicate.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from orderfsm.fsm.effects import EffectIntent, EffectName
from orderfsm.fsm.outcomes import UNCOUNTED_OUTCOMES, Outcome, SignalOrigin, is_first_application
from orderfsm.fsm.refs import OrderRefs, RefKind
from orderfsm.fsm.rules import (
    DISPUTE_TRIGGERS,
    DrKnowledge,
    absorb,
    effect_key,
    is_stale_dispute_change,
)
from orderfsm.fsm.signals import ChargeFact, Facts, Signal
from orderfsm.fsm.states import OrderState, Trigger

T0 = datetime(2026, 1, 1, tzinfo=UTC)

times = st.builds(lambda minutes: T0 + timedelta(minutes=minutes), st.integers(0, 10_000))
maybe_times = st.none() | times
ids = st.none() | st.sampled_from(["A", "B"])
charges = st.lists(
    st.builds(
        ChargeFact,
        id=st.sampled_from(["ch_1", "ch_2", "ch_3"]),
        state=st.sampled_from(["pending", "capturable", "complete", "failed"]),
    ),
    max_size=3,
    unique_by=lambda c: c.id,
).map(tuple)
snapshots = st.none() | st.dictionaries(st.sampled_from(["id", "state"]), st.text(max_size=3))

knowledge = st.builds(
    DrKnowledge,
    dr_order_id=ids,
    checkout_id=ids,
    fraud_state=st.none() | st.sampled_from(["passed", "blocked"]),
    charges=charges,
    dispute_changed_at=maybe_times,
    dr_time=maybe_times,
    snapshot=snapshots,
)
signals = st.builds(
    Signal,
    trigger=st.sampled_from(list(Trigger)),
    source=st.sampled_from([SignalOrigin.WEBHOOK, SignalOrigin.CREATE_ORDER_RESPONSE]),
    event_type=st.just("order.x"),
    event_id=st.none() | st.sampled_from(["e1", "e2"]),
    dr_time=maybe_times,
    dr_order_id=ids,
    checkout_id=ids,
    facts=st.builds(
        Facts,
        dr_state=st.none() | st.sampled_from(["accepted", "fulfilled"]),
        fraud_state=st.none() | st.sampled_from(["passed", "review_opened"]),
        charges=charges,
    ),
    charge=st.none() | st.builds(ChargeFact, st.sampled_from(["ch_1", "ch_9"]), st.just("failed")),
    snapshot=st.dictionaries(st.just("id"), st.text(max_size=3)),
)


@given(knowledge, signals)
def test_ids_are_only_ever_filled_in(known: DrKnowledge, signal: Signal) -> None:
    after = absorb(known, signal, signal.dr_time)
    for before, told, now in [
        (known.dr_order_id, signal.dr_order_id, after.dr_order_id),
        (known.checkout_id, signal.checkout_id, after.checkout_id),
    ]:
        assert now == (before if before is not None else (told or None))


@given(knowledge, signals)
def test_an_older_signal_never_rolls_back_snapshot_fraud_state_charges_or_dr_time(
    known: DrKnowledge, signal: Signal
) -> None:
    if known.dr_time is None or signal.dr_time is None or signal.dr_time >= known.dr_time:
        return
    after = absorb(known, signal, signal.dr_time)
    assert (after.snapshot, after.fraud_state, after.charges, after.dr_time) == (
        known.snapshot,
        known.fraud_state,
        known.charges,
        known.dr_time,
    )


@given(knowledge, signals)
def test_a_newer_signal_with_dr_state_brings_its_snapshot_and_charges(
    known: DrKnowledge, signal: Signal
) -> None:
    newer = known.dr_time is None or signal.dr_time is None or signal.dr_time >= known.dr_time
    after = absorb(known, signal, signal.dr_time)
    if not newer or signal.facts.dr_state is None:
        return
    assert after.snapshot == signal.snapshot
    assert after.fraud_state == signal.facts.fraud_state
    expected = {c.id: c.state for c in signal.facts.charges}
    if signal.charge is not None:
        expected[signal.charge.id] = signal.charge.state
    assert {c.id: c.state for c in after.charges} == expected
    assert after.dr_time == (signal.dr_time or known.dr_time)


@given(knowledge, signals)
def test_only_dispute_triggers_move_the_dispute_clock(known: DrKnowledge, signal: Signal) -> None:
    after = absorb(known, signal, signal.dr_time)
    if signal.trigger in DISPUTE_TRIGGERS:
        assert after.dispute_changed_at == (signal.dr_time or known.dispute_changed_at)
    else:
        assert after.dispute_changed_at == known.dispute_changed_at


@given(st.sampled_from(list(Trigger)), maybe_times, maybe_times)
def test_a_dispute_change_is_stale_only_when_dr_dates_it_before_the_last_one(
    trigger: Trigger, dr_time: datetime | None, changed_at: datetime | None
) -> None:
    stale = is_stale_dispute_change(trigger, dr_time, changed_at)
    dated_before = dr_time is not None and changed_at is not None and dr_time < changed_at
    assert stale == (trigger in DISPUTE_TRIGGERS and dated_before)


def test_the_dispute_triggers_are_read_from_the_table() -> None:
    assert {Trigger.OPEN_DISPUTE, Trigger.RESOLVE_DISPUTE} == DISPUTE_TRIGGERS


intents = st.builds(
    EffectIntent,
    name=st.sampled_from(list(EffectName)),
    trigger=st.sampled_from(list(Trigger)),
    entered=st.none() | st.sampled_from(list(OrderState)),
)


@given(st.sampled_from(["UP1", "UP2"]), intents, st.none() | st.sampled_from(["e1", "e2"]))
def test_effect_keys_name_the_order_and_the_effect_and_ignore_the_event_for_entered_states(
    upstream: str, intent: EffectIntent, event_id: str | None
) -> None:
    key = effect_key(upstream, intent, event_id)
    assert key.startswith(f"{upstream}:") and key.endswith(f":{intent.name.value}")
    other_event = effect_key(upstream, intent, "another-event")
    if intent.entered is not None:
        assert other_event == key  # a state is entered once, whichever event gets there
    else:
        assert (other_event == key) == (event_id == "another-event")


@given(st.sampled_from(["UP1", "UP2"]), st.sampled_from(["UP1", "UP2"]), intents)
def test_two_orders_never_share_an_effect_key(
    first: str, second: str, intent: EffectIntent
) -> None:
    assert (effect_key(first, intent, "e1") == effect_key(second, intent, "e1")) == (
        first == second
    )


@given(st.integers(0, 3), st.sampled_from(list(Outcome)))
def test_a_first_application_is_a_first_step_that_was_judged(step: int, outcome: Outcome) -> None:
    assert is_first_application(step, outcome) == (step == 0 and outcome not in UNCOUNTED_OUTCOMES)
    assert is_first_application(step, outcome.value) == is_first_application(step, outcome)


@given(st.builds(OrderRefs, ids, ids, ids))
def test_refs_round_trip_through_their_identities(refs: OrderRefs) -> None:
    assert OrderRefs.of(refs.identities()) == refs
    lookup_order = [kind for kind, _ in refs.known()]
    assert lookup_order == [kind for kind in RefKind if refs.get(kind) is not None]


def _charge_states(known: DrKnowledge) -> frozenset[tuple[str, str]]:
    return frozenset((c.id, c.state) for c in known.charges)


@given(
    knowledge,
    st.sampled_from(["passed", "blocked"]),
    charges,
    st.sampled_from(["ch_1", "ch_2", "ch_3"]),
    st.integers(0, 100),
    st.integers(1, 100),
)
def test_a_snapshot_and_a_newer_charge_event_give_the_same_facts_in_either_order(
    known: DrKnowledge,
    fraud_state: str,
    snapshot_charges: tuple[ChargeFact, ...],
    charge_id: str,
    snapshot_after: int,
    charge_after: int,
) -> None:
    """``order.charge.cancel.complete`` overtaking an older ``order.blocked`` (fault run)."""
    base = known.dr_time or T0
    snapshot_time = base + timedelta(minutes=snapshot_after)
    charge_time = snapshot_time + timedelta(minutes=charge_after)
    snapshot = Signal(
        Trigger.BLOCK,
        SignalOrigin.WEBHOOK,
        "order.blocked",
        event_id="e-snapshot",
        dr_time=snapshot_time,
        facts=Facts(dr_state="blocked", fraud_state=fraud_state, charges=snapshot_charges),
        snapshot={"id": "snapshot"},
    )
    charge = Signal(
        Trigger.RECORD_CHARGE_CANCELLED,
        SignalOrigin.WEBHOOK,
        "order.charge.cancel.complete",
        event_id="e-charge",
        dr_time=charge_time,
        charge=ChargeFact(charge_id, "cancelled"),
        snapshot={"id": charge_id},
    )
    in_order = absorb(absorb(known, snapshot, snapshot_time), charge, charge_time)
    overtaken = absorb(absorb(known, charge, charge_time), snapshot, snapshot_time)
    for after in (in_order, overtaken):
        assert after.snapshot == {"id": "snapshot"}
        assert after.fraud_state == fraud_state
        assert (charge_id, "cancelled") in _charge_states(after)
    assert _charge_states(in_order) == _charge_states(overtaken)
    assert in_order.dr_time == overtaken.dr_time == snapshot_time
