"""A transaction PostgreSQL aborts as a deadlock victim or serialization failure is run again."""

from __future__ import annotations

import pytest

from lending.database import RETRY_ATTEMPTS, retry_on_conflict


class FakeDatabaseError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def _failing(times: int, sqlstate: str):
    calls = []

    @retry_on_conflict
    async def operation(value: int) -> int:
        calls.append(value)
        if len(calls) <= times:
            raise FakeDatabaseError(sqlstate)
        return value * 2

    return operation, calls


@pytest.mark.parametrize("sqlstate", ["40P01", "40001"])
async def test_a_deadlock_victim_is_run_again_and_succeeds(sqlstate):
    operation, calls = _failing(RETRY_ATTEMPTS - 1, sqlstate)
    assert await operation(21) == 42
    assert calls == [21] * RETRY_ATTEMPTS


async def test_the_last_failure_is_raised_after_the_attempts_run_out():
    operation, calls = _failing(RETRY_ATTEMPTS, "40P01")
    with pytest.raises(FakeDatabaseError):
        await operation(1)
    assert len(calls) == RETRY_ATTEMPTS


async def test_other_errors_are_not_retried():
    operation, calls = _failing(1, "23505")  # unique violation: a real refusal, not a lost race
    with pytest.raises(FakeDatabaseError):
        await operation(1)
    assert calls == [1]
