-- Undoes 007_hot_path.sql: the posting path's helpers as they were in
-- 003_postings.sql and 004_programme.sql.

CREATE OR REPLACE FUNCTION ledger_wallet_figures(p_member_id uuid, OUT balance bigint, OUT available bigint, OUT pending bigint)
LANGUAGE sql STABLE AS $$
  SELECT w.balance - coalesce(x.expired, 0),
         w.balance - coalesce(x.expired, 0) - coalesce(x.pending, 0),
         coalesce(x.pending, 0)
    FROM wallets w
    LEFT JOIN LATERAL (
      SELECT sum(l.remaining) FILTER (WHERE l.expires_at <= now()) AS expired,
             sum(l.remaining) FILTER (WHERE l.available_at > now()
                                        AND (l.expires_at IS NULL OR l.expires_at > now())) AS pending
        FROM lots l
       WHERE l.member_id = w.member_id AND l.remaining > 0
         AND (l.available_at > now() OR l.expires_at <= now())
    ) x ON true
   WHERE w.member_id = p_member_id
$$;

CREATE OR REPLACE FUNCTION ledger_result(p_outcome text, p_member_id uuid, p_transaction_id uuid)
RETURNS ledger_posting LANGUAGE sql STABLE AS $$
  SELECT p_outcome, t.id, t.member_id, t.kind, t.points, t.partner_id, t.business_date,
         t.created_at, t.purchase_minor, t.reverses_id, t.explanation,
         f.balance, f.available, f.pending
    FROM ledger_transactions t, ledger_wallet_figures(t.member_id) f
   WHERE t.member_id = p_member_id AND t.id = p_transaction_id
$$;

CREATE OR REPLACE FUNCTION ledger_partner_account(p_partner_id uuid, p_kind text) RETURNS uuid
LANGUAGE sql STABLE AS $$
  SELECT id FROM accounts WHERE partner_id = p_partner_id AND kind = p_kind
$$;

CREATE OR REPLACE FUNCTION ledger_business_date(p_coalition_id uuid) RETURNS date
LANGUAGE sql STABLE AS $$
  SELECT (now() AT TIME ZONE timezone)::date FROM coalitions WHERE id = p_coalition_id
$$;

CREATE OR REPLACE FUNCTION ledger_house_account(p_coalition_id uuid, p_kind text) RETURNS uuid
LANGUAGE sql STABLE AS $$
  SELECT id FROM accounts WHERE coalition_id = p_coalition_id AND kind = p_kind AND partner_id IS NULL
   AND charity_id IS NULL
$$;

CREATE OR REPLACE FUNCTION ledger_funder_account(p_coalition_id uuid, p_issuer uuid) RETURNS uuid
LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN p_issuer IS NULL THEN ledger_house_account(p_coalition_id, 'PROMOTIONS')
              ELSE ledger_partner_account(p_issuer, 'ISSUED') END
$$;
