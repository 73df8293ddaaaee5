"""How the hybrid search fuses its two arms (reciprocal ranks, weighted by question language)."""

from __future__ import annotations

from adapters.postgres.store import RRF_K, fuse


def test_a_passage_both_arms_find_comes_first_and_ties_go_by_id() -> None:
    """A clinician gets the passage both the meaning and the words point to first; equal
    scores come back in the same order every time."""
    fused = fuse([7, 3, 5], [(5, 0.4), (9, 0.2)], (1.0, 1.0))
    assert [id_ for id_, *_ in fused] == [5, 7, 3, 9]
    assert fused[0] == (5, 1 / (RRF_K + 3) + 1 / (RRF_K + 1), 0.4)
    assert fused[2][1] == fused[3][1]  # second of one arm each: a tie, by id
    assert fused[2][2] == 0.0  # found by meaning only: no text rank


def test_an_arm_that_weighs_nothing_brings_nothing() -> None:
    """English questions weigh full text less; an evaluation of one arm alone sees only it."""
    assert [id_ for id_, *_ in fuse([1, 2], [(3, 0.9), (1, 0.1)], (1.0, 0.25))] == [1, 2, 3]
    assert [id_ for id_, *_ in fuse([1, 2], [(3, 0.9)], (1.0, 0.0))] == [1, 2]
    assert [id_ for id_, *_ in fuse([], [(3, 0.9), (4, 0.1)], (0.0, 1.0))] == [3, 4]
