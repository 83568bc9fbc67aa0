"""A member's personal data: their profile, the download of everything held
about them, erasure; for the member themself and the operator's support (whose
every read and change is audited). The coalition's retention setting."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from coalition.graphql.common import MutationError
from coalition.graphql.context import Context
from coalition.graphql.permissions import personal_data_subject, refusals_as, require_member, require_operator
from coalition.graphql.privacy.inputs import ErasePersonalDataInput, UpdateProfileInput
from coalition.graphql.privacy.types import (
    CodeRefusal,
    ConfirmEmailChangePayload,
    ErasePersonalDataPayload,
    ExportPersonalDataPayload,
    MemberProfile,
    RequestEmailChangePayload,
    RetentionPayload,
    UpdateProfilePayload,
)
from coalition.platform.errors import DomainError, ErrorCode, validation
from coalition.platform.members import email_change, privacy
from coalition.platform.members.codes import Codes, Mailing, TooMany


def _given(value: Any) -> Any:
    return privacy.UNSET if value is strawberry.UNSET else value


@strawberry.type
class PrivacyMutations:
    @strawberry.mutation(
        description="Change a member's e-mail, phone, birth date, language or marketing consent. A member's own "
        "new e-mail address is refused (FORBIDDEN on email): requestEmailChange and confirmEmailChange prove it; "
        "the operator's support sets one directly."
    )
    @refusals_as(UpdateProfilePayload)
    async def update_profile(self, info: Info[Context, None], input: UpdateProfileInput) -> UpdateProfilePayload:
        member_id = personal_data_subject(info.context, "change members' profiles", input.member_id)
        changes = privacy.ProfileChanges(
            email=_given(input.email),
            phone=_given(input.phone),
            birth_date=_given(input.birth_date),
            language=_given(input.language),
            marketing_consent=_given(input.marketing_consent),
        )
        async with info.context.unit_of_work() as session:
            profile = await privacy.update_profile(session, info.context.principal, member_id, changes)
        return UpdateProfilePayload(profile=MemberProfile.of(profile))

    @strawberry.mutation(
        description="Member: mail a code to a new e-mail address (and a notice to the current one); "
        "the address changes when confirmEmailChange is given the code."
    )
    @refusals_as(RequestEmailChangePayload)
    async def request_email_change(self, info: Info[Context, None], email: str) -> RequestEmailChangePayload:
        principal = require_member(info.context, "move a wallet to a new e-mail address by code")
        assert principal.member_id is not None
        services = info.context.services
        name = (await services.coalitions.get(principal.coalition_id)).name
        mailing = Mailing(services.mailing.public_url, services.mailing.mail_from)
        async with info.context.unit_of_work() as session:
            address = await email_change.request(
                session, Codes(services.redis), principal, principal.member_id, email,
                letters=email_change.english(name), mailing=mailing, client=None,
            )  # fmt: skip
        if isinstance(address, TooMany):
            wait = address.retry_after_seconds
            raise DomainError(ErrorCode.LIMIT_EXCEEDED, f"too many codes asked for: wait {wait} seconds", ("email",))
        return RequestEmailChangePayload(sent_to=address)

    @strawberry.mutation(description="Member: the e-mail address becomes the one the code was mailed to.")
    @refusals_as(ConfirmEmailChangePayload)
    async def confirm_email_change(self, info: Info[Context, None], code: str) -> ConfirmEmailChangePayload:
        principal = require_member(info.context, "move a wallet to a new e-mail address by code")
        assert principal.member_id is not None
        async with info.context.unit_of_work() as session:
            outcome = await email_change.confirm(
                session, Codes(info.context.services.redis), principal, principal.member_id, code
            )
        if isinstance(outcome, privacy.Profile):
            return ConfirmEmailChangePayload(profile=MemberProfile.of(outcome))
        refused = DomainError(ErrorCode.VALIDATION, f"the code was not taken: {outcome.value}", ("code",))
        return ConfirmEmailChangePayload(refusal=CodeRefusal(outcome.value), errors=[MutationError.of(refused)])

    @strawberry.mutation(description="Everything held about a member, as JSON (audited when not the member).")
    @refusals_as(ExportPersonalDataPayload)
    async def export_personal_data(
        self, info: Info[Context, None], member_id: strawberry.ID | None = None
    ) -> ExportPersonalDataPayload:
        subject = personal_data_subject(info.context, "export personal data", member_id)
        async with info.context.unit_of_work() as session:
            data = await privacy.export(session, info.context.principal, subject, info.context.services.redis)
        return ExportPersonalDataPayload(data=JSON(data))

    @strawberry.mutation(
        description="Erase a member: personal data pseudonymised, credentials revoked and sessions ended; "
        "the ledger and settled figures stay. Cannot be undone."
    )
    @refusals_as(ErasePersonalDataPayload)
    async def erase_personal_data(
        self, info: Info[Context, None], input: ErasePersonalDataInput
    ) -> ErasePersonalDataPayload:
        subject = personal_data_subject(info.context, "erase members", input.member_id)
        if not input.confirm:
            raise validation("confirm must be true: erasure cannot be undone", "confirm")
        async with info.context.unit_of_work() as session:
            erased = await privacy.erase(session, info.context.principal, subject)
        await privacy.end_sessions(info.context.services.redis, subject)
        return ErasePersonalDataPayload(erased=True, points_left=erased.points_left)

    @strawberry.mutation(
        description="Operator: keep basket lines and receipt references this many months (null: as long as the member)."
    )
    @refusals_as(RetentionPayload)
    async def set_personal_data_retention(self, info: Info[Context, None], months: int | None) -> RetentionPayload:
        principal = require_operator(info.context, "set the retention of personal data")
        async with info.context.unit_of_work() as session:
            kept = await privacy.set_retention(session, principal, months)
        return RetentionPayload(months=kept)
