"""The Me page moving the wallet to a new e-mail address: the address is
checked, a code is mailed to it (and a notice, without the code, to the
current one), and the address changes when the member types the code.

These call the members' services directly, as signing in does: the mails'
words are in the member's language, which only the pages know."""

from __future__ import annotations

from coalition.graphql.context import Services
from coalition.platform.errors import DomainError
from coalition.platform.members import email_change
from coalition.platform.members.codes import Codes, Letter, Refusal, TooMany
from coalition.platform.members.privacy import Profile
from coalition.platform.runtime.unit_of_work import unit_of_work
from coalition.web.i18n import translations
from coalition.web.pages import AnyRequest
from coalition.web.viewers import MemberViewer
from coalition.web.wallet.account.common import client_address, mailing
from coalition.web.wallet.account.sign_in import REFUSALS, TOO_MANY
from coalition.web.wallet.layout import N_


def letters(language: str, coalition_name: str) -> email_change.Letters:
    """The code mail to the new address and the notice to the old one, in ``language``."""
    _ = translations(language).gettext

    def code(typed: str, _link: str) -> Letter:
        values = {"coalition": coalition_name, "code": typed, "minutes": 10}
        body = "\n\n".join(
            [
                _("You asked to move your wallet of %(coalition)s to this e-mail address.") % values,
                _("Your code is %(code)s. It works once, within %(minutes)s minutes.") % values,
                _("If you did not ask for this, ignore this mail: nothing happens without the code."),
            ]
        )
        return Letter(
            subject=_("Confirm your new e-mail address for %(coalition)s: %(code)s") % values, body=body + "\n"
        )

    def notice(new: str) -> Letter:
        values = {"coalition": coalition_name, "address": new}
        body = _(
            "Someone asked to move your wallet of %(coalition)s to %(address)s. If it was not you, sign in and "
            "look at your details: the address changes only when the code sent there is entered."
        )
        return Letter(
            subject=_("Your wallet of %(coalition)s: a new e-mail address was asked for") % values,
            body=body % values + "\n",
        )

    return email_change.Letters(code, notice)


async def refusal(services: Services, viewer: MemberViewer, email: str) -> str | None:
    """The API's code for a new address that cannot be the member's (VALIDATION, CONFLICT); None when it can."""
    try:
        async with services.reads.connect() as connection:
            await email_change.check_new_address(connection, viewer.principal, viewer.member_id, email)
    except DomainError as refused:
        return refused.code.value
    return None


async def ask(request: AnyRequest, services: Services, viewer: MemberViewer, email: str, language: str) -> str | None:
    """Mail the code (and the notice); the reason, translated, when no code went out."""
    name = (await services.coalitions.get(viewer.coalition_id)).name
    async with unit_of_work(services.sessions) as session:
        outcome = await email_change.request(
            session, Codes(services.redis), viewer.principal, viewer.member_id, email,
            letters=letters(language, name), mailing=mailing(request), client=client_address(request),
        )  # fmt: skip
    if isinstance(outcome, TooMany):
        minutes = max(1, -(-outcome.retry_after_seconds // 60))
        return translations(language).gettext(TOO_MANY) % {"minutes": minutes}
    return None


async def confirm(services: Services, viewer: MemberViewer, typed: str) -> Profile | str:
    """The member's address changed to the one the code went to; else the reason (untranslated)."""
    try:
        async with unit_of_work(services.sessions) as session:
            outcome = await email_change.confirm(session, Codes(services.redis), viewer.principal, viewer.member_id,
                                                 typed)  # fmt: skip
    except DomainError:
        # Taken by another member since the code was sent: the code is spent.
        return TAKEN
    return REFUSALS[outcome] if isinstance(outcome, Refusal) else outcome


TAKEN = N_("Another member already uses this e-mail address.")
