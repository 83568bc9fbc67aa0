"""Every page's GraphQL document is valid against the API's schema, so a page
cannot ask for what the API does not offer; and each is one named operation."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import OperationDefinitionNode, parse, validate

from coalition.graphql.schema import create_schema
from coalition.web.documents import ROOT, Document, document, every_document

SCHEMA = create_schema()
DOCUMENTS = every_document()


def test_the_pages_have_documents() -> None:
    assert ROOT / "public" / "terms.graphql" in DOCUMENTS


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda path: str(path.relative_to(ROOT)))
def test_each_document_is_valid_against_the_schema(path: Path) -> None:
    parsed = parse(path.read_text(encoding="utf-8"))
    assert validate(SCHEMA._schema, parsed) == []
    operations = [d for d in parsed.definitions if isinstance(d, OperationDefinitionNode)]
    assert [o.name is not None for o in operations] == [True], "one named operation per document"
    # The document as the pages load it: by its name under coalition/web.
    assert document(str(path.relative_to(ROOT).with_suffix(""))).text == path.read_text(encoding="utf-8")


def test_a_document_outside_the_pages_is_refused() -> None:
    with pytest.raises(ValueError, match="not a page document"):
        document("../graphql/schema")


def test_a_document_that_changes_something_is_told_apart_from_one_that_reads() -> None:
    assert Document.of("r", "query R { coalition { name } }").is_query
    assert not Document.of("w", "mutation W { revokeCredential(id: 1) { errors { code } } }").is_query
