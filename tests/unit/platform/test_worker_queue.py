"""Workers of several databases may share one Redis: each database's workers
get a queue and cron ticks of their own."""

from coalition.platform.runtime.settings import Settings
from coalition.worker import database_tag


def _settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, redis_url="redis://127.0.0.1:6379/0")


def test_each_database_has_its_own_queue_and_its_password_does_not_matter() -> None:
    one = database_tag(_settings("postgresql://postgres@127.0.0.1:5432/town_a"))
    other = database_tag(_settings("postgresql://postgres@127.0.0.1:5432/town_b"))
    same = database_tag(_settings("postgresql://postgres:secret@127.0.0.1:5432/town_a"))
    assert one != other
    assert one == same
    assert "secret" not in same
    assert len(same) == 12
