"""Where a member's personal data lives: every table and every column of the
database, each either classified personal (with what erasure turns it into)
or declared not personal (with the reason). Export and erasure are driven by
this list, and a test fails when a table or column is in neither, so a new
table must be classified here before it can land.

What erasure keeps, on purpose: the ledger and everything settled from it.
Those rows name the member only by ``member_id``, a random id; once the
member's row has lost its card, contact details and codes, nothing links that
id to a person any more (pseudonymisation, as DESIGN §8 says). Their
purchases keep their totals (insights count them), without basket lines or
receipt references.

Each erasure expression is SQL evaluated on the member's own row; none takes
input from anybody."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

# A value nobody can type at a till or into a form: derived from the row's own
# random id, so unique where the column must be, and never a valid card number
# (those are digits only), coupon code or referral code (at most 8 characters).
_HEX_ID = "replace(id::text, '-', '')"


@dataclass(frozen=True)
class MemberTable:
    name: str
    # SQL selecting one member's rows (binds :member_id, and :email for mail);
    # None: the table holds no rows of any member.
    whose: str | None
    # Column -> the SQL expression erasure sets it to.
    personal: Mapping[str, str] = field(default_factory=dict)
    not_personal: frozenset[str] = frozenset()
    # Why what is not personal stays (and why the table is not erased further).
    reason: str = ""
    # Erasure deletes the member's rows rather than updating them.
    erase_rows: bool = False
    # Never exported: secrets (a credential's hash, a sign-in code) are nobody's business.
    never_exported: frozenset[str] = frozenset()

    @property
    def columns(self) -> frozenset[str]:
        return frozenset(self.personal) | self.not_personal


def _columns(names: str) -> frozenset[str]:
    return frozenset(names.split())


def _kept(name: str, whose: str | None, reason: str, columns: str, never_exported: str = "") -> MemberTable:
    """A table none of whose columns (space-separated) is personal."""
    return MemberTable(
        name, whose, not_personal=_columns(columns), reason=reason, never_exported=_columns(never_exported)
    )


_BY_MEMBER = "member_id = :member_id"
_LEDGER = "the ledger: written once and never changed (triggers refuse it); names the member only by member_id"
_FIGURES = "figures about a member's activity keyed by member_id only: the programme and insights count them"
_INSIGHTS = "totals by shop or coalition and day, counting members but naming none"
_SETTLED = "settlement and configuration: about shops and the coalition, never a member"
_STAFF = "staff people's data, not members': staff removal deals with it"

CLASSIFICATION: tuple[MemberTable, ...] = (
    MemberTable(
        "members",
        "id = :member_id",
        personal={
            "card_number": "'E' || substr(replace(id::text, '-', ''), 2)",
            "email": "NULL",
            "phone": "NULL",
            "birth_date": "NULL",
            "referral_code": "'~' || substr(replace(id::text, '-', ''), 18)",
            "referred_by_member_id": "NULL",
        },
        not_personal=_columns("id coalition_id status enrolled_by_partner_id created_at"),
        reason="the random id the ledger refers to; status ERASED says what happened",
    ),
    MemberTable(
        "member_preferences",
        _BY_MEMBER,
        personal={
            "language": "NULL",
            "marketing_consent": "false",
            "marketing_consent_at": "NULL",
        },
        not_personal=_columns("member_id updated_at"),
    ),
    MemberTable(
        "credentials",
        _BY_MEMBER,
        personal={
            "label": "NULL",
        },
        not_personal=_columns(
            "id coalition_id kind role partner_id member_id token_hash created_at expires_at revoked_at"
        ),
        reason="revoked by erasure; the hash of a random token says nothing about anybody",
        never_exported=_columns("token_hash"),
    ),
    MemberTable(
        "outbox_mails",
        "lower(recipient) = lower(:email)",
        personal={
            "recipient": "NULL",
            "subject": "NULL",
            "body": "NULL",
            "last_error": "NULL",
        },
        not_personal=_columns("id coalition_id message_id created_at next_attempt_at attempts sent_at"),
        erase_rows=True,
        # A mail's text may hold a live sign-in code or link: whoever downloads
        # the data (the operator's support too) must not be able to sign in with it.
        never_exported=_columns("body"),
    ),
    MemberTable(
        "notices",
        _BY_MEMBER,
        personal={
            "payload": "'{}'::jsonb",
            "last_error": "NULL",
        },
        not_personal=_columns("id coalition_id member_id kind dedupe_key created_at delivered_at attempts"),
        reason="kept so that a notice is never sent twice",
    ),
    MemberTable(
        "coupons",
        _BY_MEMBER,
        personal={
            "code": "'erased-' || substr(replace(id::text, '-', ''), 9)",
            "used_receipt_ref": "NULL",
        },
        not_personal=_columns(
            "id coalition_id member_id partner_id reward_id source status expires_at issued_at transaction_id used_at"
        ),
        reason="the ledger's redemption that bought the coupon refers to it; its code no longer works",
    ),
    MemberTable(
        "purchases",
        _BY_MEMBER,
        personal={
            "receipt_ref": "CASE WHEN source = 'IMPORT' THEN 'erased:' || id::text END",
        },
        not_personal=_columns(
            "member_id id coalition_id partner_id source transaction_id total_minor occurred_at local_date created_at"
        ),
        reason="totals by shop and day: the insights' figures stay",
    ),
    MemberTable(
        "purchase_receipts",
        _BY_MEMBER,
        # The same value the member's imported purchase gets: one claim per purchase.
        personal={"receipt_ref": "'erased:' || purchase_id::text"},
        not_personal=_columns("partner_id member_id purchase_id"),
        reason="the claim that an imported receipt is in: a shop's id and the purchase's random id",
    ),
    MemberTable(
        "member_passkeys",
        _BY_MEMBER,
        personal={"credential_id": "NULL", "public_key": "NULL", "name": "NULL"},
        not_personal=_columns("id member_id sign_count created_at last_used_at"),
        erase_rows=True,
        never_exported=_columns("public_key"),
    ),
    MemberTable(
        "purchase_lines",
        _BY_MEMBER,
        personal={
            "sku": "NULL",
            "category": "NULL",
            "quantity": "NULL",
            "amount_minor": "NULL",
        },
        not_personal=_columns("member_id purchase_id line_no"),
        erase_rows=True,
    ),
    _kept(
        "ledger_transactions",
        _BY_MEMBER,
        _LEDGER,
        "member_id id coalition_id partner_id kind points business_date created_at "
        "occurred_at purchase_minor receipt_ref reverses_id reason explanation "
        "charity_id matched_points counterparty_member_id",
    ),
    _kept("ledger_entries", _BY_MEMBER, _LEDGER, "member_id transaction_id line on_wallet account_id amount"),
    _kept(
        "lots",
        _BY_MEMBER,
        _LEDGER,
        "member_id id coalition_id transaction_id issuer_partner_id points "
        "remaining consumed reversed expired available_at expires_at created_at",
    ),
    _kept(
        "lot_consumptions",
        _BY_MEMBER,
        _LEDGER,
        "member_id transaction_id lot_id issuer_partner_id partner_id business_date kind points",
    ),
    _kept("wallets", _BY_MEMBER, _LEDGER, "member_id coalition_id balance lots_remaining"),
    _kept(
        "idempotency_keys",
        _BY_MEMBER,
        _LEDGER + "; a request's hash, not the request",
        "scope_id key request_hash member_id transaction_id created_at",
        never_exported="request_hash",
    ),
    _kept(
        "member_activity",
        _BY_MEMBER,
        _FIGURES,
        "member_id seq tier_code tier_since birthday_bonus_year referral_paid_at",
    ),
    _kept("member_activity_days", _BY_MEMBER, _FIGURES, "member_id day points spend_minor partner_ids"),
    _kept("stamp_progress", _BY_MEMBER, _FIGURES, "member_id card_id stamps updated_at"),
    _kept(
        "insight_member_days",
        _BY_MEMBER,
        _FIGURES,
        "coalition_id scope_id local_date member_id purchases revenue_minor",
    ),
    _kept("insight_member_firsts", _BY_MEMBER, _FIGURES, "coalition_id scope_id member_id first_date"),
    _kept(
        "insight_shop_days",
        None,
        _INSIGHTS,
        "coalition_id scope_id local_date purchases revenue_minor members basket_receipts",
    ),
    _kept("insight_category_days", None, _INSIGHTS, "coalition_id scope_id local_date category receipts"),
    _kept(
        "insight_pair_days",
        None,
        _INSIGHTS,
        "coalition_id scope_id local_date first_category second_category receipts",
    ),
    _kept(
        "insight_points_days",
        None,
        _INSIGHTS,
        "coalition_id scope_id business_date issued redeemed expired outstanding_delta",
    ),
    _kept("insight_rollup_state", None, _INSIGHTS, "coalition_id watermark rolled_at"),
    _kept("challenge_completions", _BY_MEMBER, _FIGURES, "member_id challenge_id period_start transaction_id"),
    _kept(
        "campaign_members",
        _BY_MEMBER,
        "an aimed campaign's audience as drawn at its start (the member's arm, exported with their data); "
        "keyed by member_id only, and the experiment report counts it",
        "member_id campaign_id arm",
    ),
    _kept(
        "audit_log",
        "subject_id = :member_id",
        "who changed what: changes to a member record field names and figures, never personal values",
        "id coalition_id actor action subject_id before after at",
    ),
    _kept(
        "coalitions",
        None,
        _SETTLED,
        "id slug name points_name currency point_value timezone pending_days expiry_months created_at",
    ),
    _kept(
        "partners",
        None,
        _SETTLED,
        "id coalition_id name status status_reason created_at reference kind named_in_insights margin",
    ),
    _kept("accounts", None, _SETTLED, "id coalition_id partner_id kind charity_id"),
    _kept("coalition_rules", None, _SETTLED, "coalition_id document updated_at"),
    _kept("personal_data_retention", None, _SETTLED, "coalition_id months updated_at"),
    _kept(
        "invites",
        None,
        "codes the operator hands out; used ones are counted, not linked to members",
        "id coalition_id code label max_uses uses expires_at created_at",
    ),
    _kept("charities", None, _SETTLED, "id coalition_id name description active account_id created_at"),
    _kept(
        "settlement_policies",
        None,
        _SETTLED,
        "coalition_id funding_model issuance_price redemption_value breakage_percent "
        "payer_name payer_iban payer_bic exit_model updated_at",
    ),
    _kept(
        "settlement_runs",
        None,
        _SETTLED,
        "id coalition_id business_date status funding_model "
        "currency rounding_minor computed_at approved_at approved_by paid_at",
    ),
    _kept(
        "settlement_lines",
        None,
        _SETTLED,
        "run_id line partner_id points_issued points_redeemed receivable_minor payable_minor fees_minor net_minor",
    ),
    _kept("settlement_matrix", None, _SETTLED, "run_id line issuer_partner_id redeemer_partner_id points"),
    _kept(
        "settlement_obligations",
        None,
        _SETTLED,
        "run_id line debtor_partner_id creditor_partner_id reason points amount_minor exact_minor",
    ),
    _kept("partner_contracts", None, _SETTLED, "partner_id fee_per_point_issued fee_percent_of_redemption updated_at"),
    _kept("partner_exits", None, _SETTLED, "partner_id coalition_id business_date exit_model reason terminated_at"),
    _kept("partner_programmes", None, _SETTLED, "partner_id earn_rate_per_unit iban updated_at rules"),
    _kept("rewards", None, _SETTLED, "id partner_id name kind points_cost value valid_days active created_at"),
    _kept(
        "campaigns",
        None,
        _SETTLED,
        "id coalition_id partner_id name kind starts_at ends_at "
        "multiplier bonus_points reward_id categories tiers min_spend created_at "
        "audience_kind audience_segment holdout_share holdout_seed drawn_at",
    ),
    _kept(
        "challenges",
        None,
        _SETTLED,
        "id coalition_id name distinct_partners period bonus_points funding partner_ids starts_at ends_at created_at",
    ),
    _kept(
        "stamp_cards",
        None,
        _SETTLED,
        "id partner_id name stamps_required reward_id categories min_spend active created_at",
    ),
    _kept(
        "staff_people",
        None,
        _STAFF,
        "id coalition_id email name language password_hash totp_secret created_at removed_at",
    ),
    _kept("staff_roles", None, _STAFF, "id person_id role partner_id"),
    _kept("staff_recovery_codes", None, _STAFF, "id person_id code_hash used_at"),
    _kept("staff_links", None, _STAFF, "token_hash person_id purpose expires_at used_at"),
)

# Tables of the database's own machinery, not of the application.
MACHINERY = frozenset({"alembic_version"})


def classified() -> dict[str, MemberTable]:
    return {table.name: table for table in CLASSIFICATION}


def unclassified(schema: Mapping[str, frozenset[str]]) -> list[str]:
    """``table.column`` for every column of ``schema`` (table -> its columns)
    that is neither personal nor declared not personal, and every classified
    column the schema does not have (a stale entry)."""
    known = classified()
    problems: list[str] = []
    for table, columns in sorted(schema.items()):
        if table in MACHINERY:
            continue
        entry = known.get(table)
        listed = entry.columns if entry else frozenset()
        problems.extend(f"{table}.{column}: not classified" for column in sorted(columns - listed))
        problems.extend(f"{table}.{column}: classified but not in the database" for column in sorted(listed - columns))
    for table in sorted(set(known) - set(schema)):
        problems.append(f"{table}: classified but not in the database")
    for entry in CLASSIFICATION:
        both = set(entry.personal) & entry.not_personal
        problems.extend(f"{entry.name}.{column}: both personal and not" for column in sorted(both))
    return problems
