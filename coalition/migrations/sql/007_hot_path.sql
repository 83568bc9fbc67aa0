-- The posting path's helpers in PL/pgSQL. As LANGUAGE sql functions with a
-- FROM clause they could not be inlined, so PostgreSQL parsed and planned
-- them again on every call (a third of an earn's time); PL/pgSQL keeps each
-- statement's plan for the life of the connection. Same signatures, same
-- results.

CREATE OR REPLACE FUNCTION ledger_wallet_figures(
  p_member_id uuid, OUT balance bigint, OUT available bigint, OUT pending bigint
) LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_balance bigint;
  v_expired bigint;
  v_pending bigint;
BEGIN
  SELECT w.balance INTO v_balance FROM wallets w WHERE w.member_id = p_member_id;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  SELECT coalesce(sum(l.remaining) FILTER (WHERE l.expires_at <= now()), 0),
         coalesce(sum(l.remaining) FILTER (WHERE l.available_at > now()
                                             AND (l.expires_at IS NULL OR l.expires_at > now())), 0)
    INTO v_expired, v_pending
    FROM lots l
   WHERE l.member_id = p_member_id AND l.remaining > 0
     AND (l.available_at > now() OR l.expires_at <= now());
  balance := v_balance - v_expired;
  available := v_balance - v_expired - v_pending;
  pending := v_pending;
END $$;

CREATE OR REPLACE FUNCTION ledger_result(p_outcome text, p_member_id uuid, p_transaction_id uuid)
RETURNS ledger_posting LANGUAGE plpgsql STABLE AS $$
DECLARE
  r ledger_posting;
  f record;
BEGIN
  SELECT p_outcome, t.id, t.member_id, t.kind, t.points, t.partner_id, t.business_date,
         t.created_at, t.purchase_minor, t.reverses_id, t.explanation
    INTO r.outcome, r.transaction_id, r.member_id, r.kind, r.points, r.partner_id, r.business_date,
         r.created_at, r.purchase_minor, r.reverses_id, r.explanation
    FROM ledger_transactions t
   WHERE t.member_id = p_member_id AND t.id = p_transaction_id;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  f := ledger_wallet_figures(p_member_id);
  r.balance := f.balance;
  r.available := f.available;
  r.pending := f.pending;
  RETURN r;
END $$;

CREATE OR REPLACE FUNCTION ledger_partner_account(p_partner_id uuid, p_kind text) RETURNS uuid
LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN (SELECT id FROM accounts WHERE partner_id = p_partner_id AND kind = p_kind);
END $$;

CREATE OR REPLACE FUNCTION ledger_house_account(p_coalition_id uuid, p_kind text) RETURNS uuid
LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN (SELECT id FROM accounts WHERE coalition_id = p_coalition_id AND kind = p_kind
             AND partner_id IS NULL AND charity_id IS NULL);
END $$;

CREATE OR REPLACE FUNCTION ledger_funder_account(p_coalition_id uuid, p_issuer uuid) RETURNS uuid
LANGUAGE plpgsql STABLE AS $$
BEGIN
  IF p_issuer IS NULL THEN
    RETURN ledger_house_account(p_coalition_id, 'PROMOTIONS');
  END IF;
  RETURN ledger_partner_account(p_issuer, 'ISSUED');
END $$;

CREATE OR REPLACE FUNCTION ledger_business_date(p_coalition_id uuid) RETURNS date
LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN (SELECT (now() AT TIME ZONE timezone)::date FROM coalitions WHERE id = p_coalition_id);
END $$;
