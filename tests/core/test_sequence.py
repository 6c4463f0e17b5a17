"""Exactly-once sequencing and the epoch/identity rules (edge_hub_core.sequence)."""

from __future__ import annotations

import random

from hypothesis import given, strategies as st

from edge_hub_core.protocol import Record
from edge_hub_core.sequence import AgentIdentity, EpochDecision, Gap, Sequencer


def recs(*seqs: int) -> list[Record]:
    return [Record(seq=s, ts=0.0, type="readings", data={"n": s}) for s in seqs]


def seqs_of(records: list[Record]) -> list[int]:
    return [r.seq for r in records]


def test_in_order_and_duplicates() -> None:
    seq = Sequencer()
    out = seq.offer(recs(1, 2, 3), now=0)
    assert seqs_of(out.ready) == [1, 2, 3]
    out = seq.offer(recs(2, 3, 4), now=0)  # a replay overlapping what was applied
    assert seqs_of(out.ready) == [4]
    assert out.duplicates == 2
    assert seq.applied == 4


def test_a_gap_waits_then_fills() -> None:
    seq = Sequencer(applied=10)
    out = seq.offer(recs(13, 14), now=100.0)
    assert out.ready == []
    assert seq.waiting == 2
    assert seq.deadline == 105.0
    assert seq.expire(104.9).ready == []
    out = seq.offer(recs(11, 12), now=101.0)
    assert seqs_of(out.ready) == [11, 12, 13, 14]
    assert seq.deadline is None
    assert out.gaps == []


def test_a_gap_that_does_not_fill_is_reported_and_skipped() -> None:
    seq = Sequencer(applied=10)
    seq.offer(recs(13, 14), now=100.0)
    seq.offer(recs(20), now=103.0)  # a second, younger gap
    out = seq.expire(105.0)
    assert out.gaps == [Gap(11, 12)]
    assert out.gaps[0].missing == 2
    assert seqs_of(out.ready) == [13, 14]
    assert seq.deadline == 108.0  # the younger gap waits its own 5 s
    out = seq.expire(108.0)
    assert out.gaps == [Gap(15, 19)]
    assert seqs_of(out.ready) == [20]
    # a late arrival from a skipped gap is a duplicate now
    assert seq.offer(recs(12), now=109).duplicates == 1


def test_the_deadline_counts_from_the_first_record_beyond_the_gap() -> None:
    seq = Sequencer(applied=4)
    seq.offer(recs(10), now=0.0)
    seq.offer(recs(7), now=3.0)
    assert seq.deadline == 5.0
    out = seq.expire(5.0)
    # 8-9 have been missing as long, since 10 arrived at 0: both gaps go at once
    assert out.gaps == [Gap(5, 6), Gap(8, 9)]
    assert seqs_of(out.ready) == [7, 10]


def test_a_full_buffer_skips_the_oldest_gap() -> None:
    seq = Sequencer(applied=0, max_buffer=3)
    seq.offer(recs(3, 4, 5), now=0)
    out = seq.offer(recs(7), now=1)
    assert out.gaps == [Gap(1, 2)]
    assert seqs_of(out.ready) == [3, 4, 5]
    assert seq.waiting == 1
    out = seq.offer(recs(6), now=1)
    assert seqs_of(out.ready) == [6, 7]


def test_reset_for_a_new_epoch() -> None:
    seq = Sequencer()
    seq.offer(recs(1, 2, 5), now=0)
    seq.reset()
    assert seq.waiting == 0
    assert seqs_of(seq.offer(recs(1), now=0).ready) == [1]


@given(st.lists(st.integers(1, 60), max_size=200), st.integers(0, 2**32))
def test_any_arrival_order_applies_each_seq_once_in_order(arrivals: list[int], seed: int) -> None:
    # whatever arrives (repeats, any order), followed by a full in-order replay, gives 1..N
    seq = Sequencer()
    applied: list[int] = []
    for s in arrivals:
        applied += seqs_of(seq.offer(recs(s), now=0).ready)
    top = max(arrivals, default=0)
    replay = list(range(1, top + 1))
    applied += seqs_of(seq.offer(recs(*replay), now=1).ready)
    assert applied == list(range(1, top + 1))
    shuffled = replay[:]
    random.Random(seed).shuffle(shuffled)
    assert seq.offer(recs(*shuffled), now=2).duplicates == top


# --- identity ------------------------------------------------------------------------------

E1, E2 = "1" * 16, "2" * 16
I1, I2, I3 = "a" * 16, "b" * 16, "c" * 16


def test_first_epoch_binds_and_restarts_keep_it() -> None:
    ident = AgentIdentity()
    assert ident.announce(E1, I1) is EpochDecision.BOUND
    ident.status(True, I1)
    # the agent restarts (SIGKILL: the broker sends its will), same database
    ident.status(False, I1)
    ident.status(True, I2)
    assert ident.announce(E1, I2) is EpochDecision.SAME
    assert ident.instance == I2
    assert ident.bound_online


def test_reinstalled_agent_starts_a_new_epoch() -> None:
    ident = AgentIdentity(epoch=E1, instance=I1)
    ident.status(True, I1)
    ident.status(False, I1)  # its last words
    ident.status(True, I2)  # the re-installed agent comes up with a new database
    assert ident.announce(E2, I2) is EpochDecision.NEW_EPOCH
    assert (ident.epoch, ident.instance) == (E2, I2)


def test_second_agent_with_the_same_id_is_rejected() -> None:
    ident = AgentIdentity(epoch=E1, instance=I1)
    ident.status(True, I1)
    ident.status(True, I2)  # another process says online...
    assert ident.announce(E2, I2) is EpochDecision.SECOND_AGENT
    assert ident.epoch == E1  # ...and stays unbound
    ident.status(False, I2)  # the intruder leaves: the bound agent is still online
    assert ident.bound_online
    assert ident.announce(E2, I3) is EpochDecision.SECOND_AGENT


def test_an_anonymous_offline_clears_everyone() -> None:
    ident = AgentIdentity(epoch=E1, instance=I1)
    ident.status(True, I1)
    ident.status(False, None)  # an old-style will: nobody is known online
    assert ident.announce(E2, I2) is EpochDecision.NEW_EPOCH


def test_after_ha_restart_the_bound_instance_is_unknown_online() -> None:
    ident = AgentIdentity(epoch=E1, instance=I1)  # restored from storage
    assert not ident.bound_online
    ident.status(True, I1)
    ident.connection_lost()
    assert not ident.bound_online
