"""Serial numbers and document numbers: unique and gap-free, also when clerks save at once."""

from __future__ import annotations

import threading

import pytest

from supervision import sequences
from supervision.extensions import db


def test_numbers_count_up_per_scope_and_year(session):
    assert [sequences.next_value(session, "matter:complaint", 2026) for _ in range(3)] == [1, 2, 3]
    assert sequences.next_value(session, "matter:complaint", 2027) == 1
    assert sequences.next_value(session, "matter:suggestion", 2026) == 1
    session.commit()


def test_a_rolled_back_save_gives_its_number_back(session):
    assert sequences.next_value(session, "doc:效整", 2026) == 1
    session.commit()
    assert sequences.next_value(session, "doc:效整", 2026) == 2
    session.rollback()
    assert sequences.next_value(session, "doc:效整", 2026) == 2


@pytest.mark.postgres_only  # concurrent transactions are exercised on PostgreSQL; SQLite has one writer
def test_concurrent_saves_get_distinct_numbers_without_gaps(app, database_url):
    db.session.remove()
    barrier = threading.Barrier(6)
    taken: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def clerk(rollback_one: bool) -> None:
        try:
            with app.app_context():
                barrier.wait(timeout=10)
                for k in range(5):
                    value = sequences.next_value(db.session, "matter:complaint", 2026)
                    if rollback_one and k == 2:
                        db.session.rollback()  # the form failed: the number is not used
                        continue
                    db.session.commit()
                    with lock:
                        taken.append(value)
                db.session.remove()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=clerk, args=(n % 2 == 0,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(taken) == list(range(1, len(taken) + 1))  # no duplicates, no gaps
    assert len(taken) == 27
