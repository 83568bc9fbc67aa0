-- Member support. A blocked member's card is refused at the tills with its
-- own code (MEMBER_BLOCKED), decided in the lookup the till already makes, so
-- it costs no extra round trip. And the operator's adjustments of a wallet:
-- an ADJUST posting against the coalition's ADJUSTMENTS account, one
-- statement, idempotent per coalition and key like every posting.

INSERT INTO accounts (coalition_id, kind)
SELECT c.id, 'ADJUSTMENTS' FROM coalitions c
 WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.coalition_id = c.id AND a.kind = 'ADJUSTMENTS');

CREATE OR REPLACE FUNCTION ledger_till_member(
  p_partner_id uuid, p_card_number text,
  OUT o_outcome text, OUT o_member_id uuid, OUT o_coalition_id uuid
) LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_partner_status text;
  v_member_status text;
BEGIN
  SELECT status, coalition_id INTO v_partner_status, o_coalition_id FROM partners WHERE id = p_partner_id;
  IF v_partner_status IS DISTINCT FROM 'ACTIVE' THEN
    o_outcome := 'PARTNER_NOT_ACTIVE';
    RETURN;
  END IF;
  SELECT id, status INTO o_member_id, v_member_status FROM members
   WHERE coalition_id = o_coalition_id AND card_number = p_card_number;
  IF o_member_id IS NULL THEN
    o_outcome := 'NOT_FOUND';
  ELSIF v_member_status = 'BLOCKED' THEN
    o_outcome := 'MEMBER_BLOCKED';
  ELSIF v_member_status <> 'ACTIVE' THEN
    o_outcome := 'MEMBER_NOT_ELIGIBLE';
  END IF;
END $$;

-- Adds (p_points > 0) or takes away (p_points < 0) points. Added points are
-- one lot the coalition funds, spendable at once, expiring as earned points
-- do. Taken points leave the soonest-expiring available lots as clawbacks:
-- for settlement as if they had never been issued. A blocked member's wallet
-- may be corrected too; an erased one may not.
CREATE FUNCTION ledger_adjust(
  p_coalition_id uuid, p_member_id uuid, p_key text, p_hash text, p_points bigint, p_reason text
) RETURNS ledger_posting LANGUAGE plpgsql AS $$
DECLARE
  r ledger_posting;
  v_txn uuid := coalition_uuid7();
  v_date date;
  v_expiry int;
  v_account uuid;
BEGIN
  r := ledger_replay(p_coalition_id, p_key, p_hash);
  IF r.outcome IS NOT NULL THEN RETURN r; END IF;
  PERFORM 1 FROM members m WHERE m.id = p_member_id AND m.coalition_id = p_coalition_id AND m.status <> 'ERASED';
  IF NOT FOUND THEN RETURN ledger_refusal('NOT_FOUND', NULL); END IF;

  PERFORM 1 FROM wallets WHERE member_id = p_member_id FOR UPDATE;
  r := ledger_replay(p_coalition_id, p_key, p_hash);
  IF r.outcome IS NOT NULL THEN RETURN r; END IF;
  IF p_points < 0 AND ledger_available(p_member_id) < -p_points THEN
    RETURN ledger_refusal('INSUFFICIENT_POINTS', p_member_id);
  END IF;
  IF NOT ledger_claim_key(p_coalition_id, p_key, p_hash, p_member_id, v_txn) THEN
    RETURN ledger_replay(p_coalition_id, p_key, p_hash);
  END IF;
  v_date := ledger_business_date(p_coalition_id);
  v_account := ledger_house_account(p_coalition_id, 'ADJUSTMENTS');
  INSERT INTO ledger_transactions (member_id, id, coalition_id, partner_id, kind, points,
      business_date, reason, explanation)
  VALUES (p_member_id, v_txn, p_coalition_id, NULL, 'ADJUST', p_points, v_date, p_reason,
      ARRAY['Adjusted by the coalition: ' || CASE WHEN p_points > 0 THEN '+' ELSE '' END || p_points]);
  INSERT INTO ledger_entries (member_id, transaction_id, line, on_wallet, account_id, amount)
  VALUES (p_member_id, v_txn, 1, true, NULL, p_points),
         (p_member_id, v_txn, 2, false, v_account, -p_points);
  IF p_points > 0 THEN
    SELECT expiry_months INTO v_expiry FROM coalitions WHERE id = p_coalition_id;
    INSERT INTO lots (member_id, id, coalition_id, transaction_id, issuer_partner_id, points,
        remaining, available_at, expires_at)
    VALUES (p_member_id, coalition_uuid7(), p_coalition_id, v_txn, NULL, p_points, p_points,
        ledger_now(), ledger_now() + make_interval(months => v_expiry));
  ELSE
    PERFORM ledger_consume_fifo(p_member_id, v_txn, NULL, v_date, 'CLAWBACK', -p_points);
  END IF;
  RETURN ledger_result('POSTED', p_member_id, v_txn);
END $$;
