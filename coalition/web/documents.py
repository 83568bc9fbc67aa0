"""A page's data: one GraphQL document kept beside the page
(``coalition/web/<area>/<page>.graphql``), executed in process against the
API's own schema as the person viewing the page. A page therefore sees
exactly what that person's credential may see through the API, no more.

Visitors who are not signed in (the public pages) read as a *visitor*: a
member credential of the coalition with no member behind it. It sees what
every member sees of the programme and nothing of anyone, and it may only
run queries."""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graphql import OperationDefinitionNode, OperationType, parse
from strawberry import Schema

from coalition.graphql.context import Context, Services
from coalition.platform.auth.service import Principal
from coalition.platform.auth.tokens import CredentialKind

ROOT = Path(__file__).parent


def visitor(coalition_id: uuid.UUID) -> Principal:
    """Someone reading a coalition's public pages without signing in."""
    return Principal(credential_id=None, kind=CredentialKind.MEMBER, coalition_id=coalition_id, via="web:visitor")


def is_visitor(principal: Principal) -> bool:
    return principal.credential_id is None and principal.kind is CredentialKind.MEMBER and principal.member_id is None


class DocumentFailed(RuntimeError):
    """The API answered a page's document with errors: a defect of the page
    (the documents are ours and validated), never the visitor's input."""


@dataclass(frozen=True)
class Document:
    name: str  # "public/terms": where it lives under coalition/web, without .graphql
    text: str
    is_query: bool  # reads only: no mutation in it

    @classmethod
    def of(cls, name: str, text: str) -> Document:
        operations = [d for d in parse(text).definitions if isinstance(d, OperationDefinitionNode)]
        return cls(name, text, all(d.operation is OperationType.QUERY for d in operations))


@functools.cache
def document(name: str) -> Document:
    """The document ``coalition/web/<name>.graphql`` (read once per process)."""
    path = (ROOT / f"{name}.graphql").resolve()
    if ROOT not in path.parents:
        raise ValueError(f"not a page document: {name!r}")
    return Document.of(name, path.read_text(encoding="utf-8"))


def every_document() -> list[Path]:
    return sorted(ROOT.rglob("*.graphql"))


class PageData:
    """Runs pages' documents against ``schema`` with the application's services."""

    def __init__(self, schema: Schema) -> None:
        self._schema = schema

    async def fetch(
        self, services: Services, principal: Principal, name: str, variables: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """The ``data`` of document ``name`` run as ``principal``."""
        return await self.run(services, principal, document(name), variables)

    async def run(
        self, services: Services, principal: Principal, found: Document, variables: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        if is_visitor(principal) and not found.is_query:
            raise PermissionError(f"a visitor may only read: {found.name} changes something")
        result = await self._schema.execute(
            found.text, variable_values=variables or {}, context_value=Context.create(services, principal)
        )
        if result.errors:
            messages = "; ".join(error.message for error in result.errors)
            raise DocumentFailed(f"{found.name}: {messages}")
        assert result.data is not None
        return result.data
