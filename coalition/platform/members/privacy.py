"""A member's personal data: their profile and choices, the download of
everything held about them, erasure, and the retention of what identifies
their purchases. The member uses these themselves (the wallet's Me page);
the operator's support uses the same services, and every one of its reads
and changes is audited.

Erasure pseudonymises: every personal column (``personal_data``) is set to
its erased form, credentials are revoked and the member is ERASED; the ledger
and every figure settled from it stay as they are. The entry point ends the
member's wallet sessions (in Redis) once the erasure has committed."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from coalition.platform.audit.service import Changer, record_change
from coalition.platform.errors import DomainError, ErrorCode, validation
from coalition.platform.members import privacy_repository as repository
from coalition.platform.members import repository as members
from coalition.platform.members import rules, sessions
from coalition.platform.members.personal_data import CLASSIFICATION
from coalition.platform.members.privacy_repository import NO_PREFERENCES as NO_PREFERENCES
from coalition.platform.members.privacy_repository import Preferences
from coalition.platform.members.repository import MemberRecord
from coalition.platform.programme.rules import LANGUAGES
from coalition.platform.runtime.broadcasts import CREDENTIALS_REVOKED
from coalition.platform.runtime.database import AsyncSession, Executor
from coalition.platform.runtime.unit_of_work import announce_after_commit

EXPORT_FORMAT = "coalition.personal-data/1"
# A member's own new address is proven by a code mailed to it (email_change);
# only the operator's support sets one directly.
EMAIL_NEEDS_CODE = (
    "members change their e-mail address with requestEmailChange, then confirmEmailChange with the code mailed to it"
)


@dataclass(frozen=True)
class Profile:
    member: MemberRecord
    preferences: Preferences


UNSET: Any = object()


@dataclass(frozen=True)
class ProfileChanges:
    """What to change; a field left UNSET stays as it is, None clears it."""

    email: str | None = UNSET
    phone: str | None = UNSET
    birth_date: date | None = UNSET
    language: str | None = UNSET
    marketing_consent: bool | None = UNSET


def check_language(language: str | None) -> str | None:
    if language is None or language == "":
        return None
    if language not in LANGUAGES:
        raise validation(f"language must be one of {', '.join(LANGUAGES)}", "language")
    return language


def is_member_self(by: Changer, member_id: uuid.UUID) -> bool:
    return getattr(by, "member_id", None) == member_id


async def _member(session: Executor, by: Changer, member_id: uuid.UUID, *, lock: bool = False) -> MemberRecord:
    if lock:
        found = await members.member_for_update(session, member_id)
    else:
        found = next(iter(await members.members_by_ids(session, [member_id])), None)
    if found is None or found.coalition_id != by.coalition_id or found.status == "ERASED":
        raise DomainError(ErrorCode.NOT_FOUND, "no such member", ("memberId",))
    return found


async def profiles(connection: Executor, ids: list[uuid.UUID]) -> dict[uuid.UUID, Preferences]:
    """Members' own choices (language, marketing consent), by id."""
    found = await repository.preferences_of(connection, ids)
    return {member_id: found.get(member_id, NO_PREFERENCES) for member_id in ids}


async def record_personal_read(session: AsyncSession, by: Changer, member_id: uuid.UUID, what: str) -> None:
    """Somebody other than the member read their personal data: the audit says who and when."""
    if not is_member_self(by, member_id):
        await record_change(session, by, "member.personal_data.read", member_id, after={"read": what})


async def update_profile(
    session: AsyncSession,
    by: Changer,
    member_id: uuid.UUID,
    changes: ProfileChanges,
    now: datetime | None = None,
    *,
    email_proven: bool = False,
) -> Profile:
    """The member's contact details and choices changed, after every field is
    checked (nothing is changed when one is refused); audited by field name.
    The member's own change of e-mail address is refused unless a mailed code
    proved it (``email_proven``): see ``email_change``."""
    now = now or datetime.now(UTC)
    member = await _member(session, by, member_id, lock=True)
    contact: dict[str, str | date | None] = {}
    if changes.email is not UNSET:
        email_checked = rules.check_email(changes.email or None)
        contact["email"] = email_checked
        moved = (email_checked or "").lower() != (member.email or "").lower()
        if moved and is_member_self(by, member_id) and not email_proven:
            raise DomainError(ErrorCode.FORBIDDEN, EMAIL_NEEDS_CODE, ("email",))
    if changes.phone is not UNSET:
        contact["phone"] = rules.check_phone(changes.phone or None)
    if changes.birth_date is not UNSET:
        contact["birth_date"] = rules.check_birth_date(changes.birth_date, now.date())
    language = check_language(changes.language) if changes.language is not UNSET else UNSET
    email, phone = contact.get("email"), contact.get("phone")
    taken = await repository.contact_taken_by_other(
        session, member.coalition_id, member_id,
        email=email if isinstance(email, str) else None, phone=phone if isinstance(phone, str) else None,
    )  # fmt: skip
    if taken is not None:
        raise DomainError(ErrorCode.CONFLICT, f"another member has this {taken}", (taken,))
    before = (await profiles(session, [member_id]))[member_id]
    after = before
    if language is not UNSET:
        after = replace(after, language=language)
    consent = changes.marketing_consent
    if consent is not UNSET and consent is not None and consent != before.marketing_consent:
        after = replace(after, marketing_consent=consent, marketing_consent_at=now)
    changed = [name for name, value in contact.items() if getattr(member, name) != value]
    changed += [name for name in ("language", "marketing_consent") if getattr(before, name) != getattr(after, name)]
    if contact:
        await repository.update_contact(session, member_id, contact)
    if after != before:
        await repository.save_preferences(session, member_id, after)
    if changed:
        # Field names only: the audit log holds no personal values (see personal_data).
        await record_change(
            session, by, "member.profile", member_id,
            after={"changed": sorted(changed), "marketingConsent": after.marketing_consent},
        )  # fmt: skip
    updated = await _member(session, by, member_id)
    return Profile(updated, after)


async def profile(connection: Executor, by: Changer, member_id: uuid.UUID) -> Profile:
    member = await _member(connection, by, member_id)
    return Profile(member, (await profiles(connection, [member_id]))[member_id])


# ---------- export ----------


def _plain(value: Any) -> Any:
    """A database value as JSON can hold it."""
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


async def export(session: AsyncSession, by: Changer, member_id: uuid.UUID, redis: Redis | None = None,
                 now: datetime | None = None) -> dict[str, Any]:  # fmt: skip
    """Everything held about the member, table by table as the database holds
    it (less credentials' hashes), with their wallet sessions; audited when
    somebody other than the member asks."""
    now = now or datetime.now(UTC)
    member = await _member(session, by, member_id)
    tables: dict[str, list[dict[str, Any]]] = {}
    for table in CLASSIFICATION:
        if table.whose is None:
            continue
        rows = await repository.rows_of(session, table, member_id, member.email)
        tables[table.name] = [
            {column: _plain(value) for column, value in row.items() if column not in table.never_exported}
            for row in rows
        ]
    try:
        live = await sessions.sessions_of(redis, member_id, now) if redis is not None else []
    except RedisError:
        live = []  # without Redis there is no session anyone could use either
    if not is_member_self(by, member_id):
        await record_change(session, by, "member.personal_data.export", member_id)
    return {
        "format": EXPORT_FORMAT,
        "exportedAt": now.isoformat(),
        "member": {"id": str(member.id), "cardNumber": member.card_number, "email": member.email},
        "tables": tables,
        "sessions": [
            {"signedInAt": s.signed_in_at.isoformat(), "lastSeenAt": s.last_seen_at.isoformat()} for s in live
        ],
    }


# ---------- erasure ----------


@dataclass(frozen=True)
class Erasure:
    member_id: uuid.UUID
    points_left: int
    credentials_revoked: int


async def erase(session: AsyncSession, by: Changer, member_id: uuid.UUID, now: datetime | None = None) -> Erasure:
    """The member pseudonymised: personal columns erased, credentials revoked,
    status ERASED, audited. The ledger is not touched. Sessions end when the
    caller runs ``end_sessions`` after the commit."""
    now = now or datetime.now(UTC)
    member = await _member(session, by, member_id, lock=True)
    points = await repository.wallet_balance(session, member_id)
    await repository.erase_rows(session, member_id, member.email)
    await repository.mark_erased(session, member_id)
    revoked = await repository.revoke_member_credentials(session, member_id, now)
    if revoked:
        announce_after_commit(session, CREDENTIALS_REVOKED)
    await record_change(
        session, by, "member.erase", member_id,
        after={"pointsLeft": points, "credentialsRevoked": revoked, "byMember": is_member_self(by, member_id)},
    )  # fmt: skip
    return Erasure(member_id, points, revoked)


async def end_sessions(redis: Redis, member_id: uuid.UUID) -> int:
    """Every wallet session of the member ended (after an erasure has committed)."""
    return await sessions.close_all_for(redis, member_id)


# ---------- retention ----------

MAX_RETENTION_MONTHS = 240


def check_retention(months: int | None) -> int | None:
    if months is not None and not 1 <= months <= MAX_RETENTION_MONTHS:
        raise validation(f"months must be between 1 and {MAX_RETENTION_MONTHS}, or none to keep", "months")
    return months


async def set_retention(session: AsyncSession, by: Changer, months: int | None) -> int | None:
    checked = check_retention(months)
    before = await repository.retention_months(session, by.coalition_id)
    await repository.set_retention_months(session, by.coalition_id, checked)
    await record_change(
        session, by, "personal_data.retention", by.coalition_id, before={"months": before}, after={"months": checked}
    )
    return checked


async def retention(connection: Executor, coalition_id: uuid.UUID) -> int | None:
    return await repository.retention_months(connection, coalition_id)


def retention_cutoff(now: datetime, months: int) -> datetime:
    """``months`` months before ``now`` (a month counted as 30.44 days: a day
    either way does not matter for keeping, and it needs no calendar)."""
    return now - timedelta(days=round(months * 30.44))


@dataclass(frozen=True)
class Anonymised:
    coalition_id: uuid.UUID
    lines: int
    receipts: int


async def apply_retention(session: AsyncSession, now: datetime) -> list[Anonymised]:
    """Every coalition with a retention setting: what identifies purchases
    older than it (basket lines, receipt references) removed; totals stay."""
    done = []
    for coalition_id, months in await repository.coalitions_with_retention(session):
        lines, receipts = await repository.anonymise_purchases_before(
            session, coalition_id, retention_cutoff(now, months)
        )
        done.append(Anonymised(coalition_id, lines, receipts))
    return done
