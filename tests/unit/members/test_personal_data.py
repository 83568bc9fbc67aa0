"""The personal-data classification covers every column of every table the
application declares: a new table or column fails here until it is
classified personal (with its erased form) or declared not personal (with a
reason). The database's own list is checked by the integration tests."""

from __future__ import annotations

import pytest

from coalition.migrations.models import metadata  # every table registered on it
from coalition.platform.errors import DomainError
from coalition.platform.members import privacy
from coalition.platform.members.personal_data import CLASSIFICATION, unclassified


def test_every_column_of_every_table_is_classified() -> None:
    schema = {table.name: frozenset(column.name for column in table.columns) for table in metadata.sorted_tables}
    assert unclassified(schema) == []


def test_an_unclassified_column_or_table_is_named() -> None:
    schema = {table.name: frozenset(column.name for column in table.columns) for table in metadata.sorted_tables}
    schema["members"] = schema["members"] | {"nickname"}
    schema["member_pets"] = frozenset({"member_id", "name"})
    assert unclassified(schema) == [
        "member_pets.member_id: not classified",
        "member_pets.name: not classified",
        "members.nickname: not classified",
    ]


def test_every_table_with_personal_columns_says_whose_rows_are_whose_and_why_the_rest_stays() -> None:
    for table in CLASSIFICATION:
        if table.personal:
            assert table.whose is not None, table.name
        assert table.personal or table.reason, f"{table.name}: a table kept whole says why"


@pytest.mark.parametrize("months", [0, -1, 241])
def test_a_retention_outside_1_to_240_months_is_refused(months: int) -> None:
    with pytest.raises(DomainError) as refused:
        privacy.check_retention(months)
    assert refused.value.field == ("months",)


def test_no_retention_and_a_plausible_one_are_accepted() -> None:
    assert privacy.check_retention(None) is None
    assert privacy.check_retention(24) == 24


@pytest.mark.parametrize("language", ["de", "EN", "english", "n"])
def test_a_language_not_offered_is_refused(language: str) -> None:
    with pytest.raises(DomainError) as refused:
        privacy.check_language(language)
    assert refused.value.field == ("language",)
