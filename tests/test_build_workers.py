"""The one pool factory: forked workers read what their pool handed down, and only while it runs."""

from __future__ import annotations

import multiprocessing

import pytest

from hourbook.build.workers import fork_pool
from hourbook.build.workers import handed_down

pytestmark = pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="no fork here")


def total_of(name: str) -> int:
    """In a worker: the sum of a list its pool handed down."""
    return sum(handed_down(name))


def test_workers_read_what_their_pool_handed_down_without_pickling_it():
    numbers = list(range(100_000))
    with fork_pool(2, numbers=numbers) as pool:
        assert list(pool.map(total_of, ["numbers"] * 4)) == [sum(numbers)] * 4
    with pytest.raises(KeyError):
        handed_down("numbers")                 # gone with the pool


def test_a_pool_that_hands_nothing_down_leaves_another_pools_values():
    with fork_pool(1, numbers=[1, 2, 3]) as pool:
        with fork_pool(1) as other:
            assert other.submit(sum, [4, 5]).result() == 9
        assert pool.submit(total_of, "numbers").result() == 6
        assert handed_down("numbers") == [1, 2, 3]


def test_no_pool_for_no_workers():
    assert fork_pool(0) is None
    assert fork_pool(0, numbers=[1]) is None
    with pytest.raises(KeyError):
        handed_down("numbers")
