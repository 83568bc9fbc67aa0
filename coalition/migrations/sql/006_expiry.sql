-- Expiry: lots whose expires_at has passed give up what remains, as an EXPIRE
-- transaction per member (wallet -> the coalition's BREAKAGE account) with one
-- EXPIRE consumption per lot, carrying its issuer for settlement.

CREATE FUNCTION ledger_expire_member(p_member_id uuid, p_coalition_id uuid) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  v_total bigint;
  v_txn uuid := coalition_uuid7();
  v_date date := ledger_business_date(p_coalition_id);
BEGIN
  PERFORM 1 FROM wallets WHERE member_id = p_member_id FOR UPDATE;
  SELECT coalesce(sum(remaining), 0) INTO v_total FROM lots
   WHERE member_id = p_member_id AND remaining > 0 AND expires_at <= now();
  IF v_total = 0 THEN
    RETURN 0;  -- another run expired them first
  END IF;
  INSERT INTO ledger_transactions (member_id, id, coalition_id, kind, points, business_date, explanation)
  VALUES (p_member_id, v_txn, p_coalition_id, 'EXPIRE', -v_total, v_date,
          ARRAY['Expired: ' || v_total || ' points']);
  INSERT INTO ledger_entries (member_id, transaction_id, line, on_wallet, account_id, amount)
  VALUES (p_member_id, v_txn, 1, true, NULL, -v_total),
         (p_member_id, v_txn, 2, false, ledger_house_account(p_coalition_id, 'BREAKAGE'), v_total);
  INSERT INTO lot_consumptions (member_id, transaction_id, lot_id, issuer_partner_id, partner_id,
      business_date, kind, points)
  SELECT member_id, v_txn, id, issuer_partner_id, NULL, v_date, 'EXPIRE', remaining
    FROM lots WHERE member_id = p_member_id AND remaining > 0 AND expires_at <= now();
  RETURN v_total;
END $$;

-- Up to p_batch members with lots past expiry, each in the same transaction;
-- call until it returns 0 members.
CREATE FUNCTION ledger_expire_due(p_coalition_id uuid, p_batch int, OUT members int, OUT points bigint)
LANGUAGE plpgsql AS $$
DECLARE
  v_member uuid;
BEGIN
  members := 0;
  points := 0;
  FOR v_member IN
    SELECT DISTINCT member_id FROM lots
     WHERE coalition_id = p_coalition_id AND remaining > 0 AND expires_at <= now()
     LIMIT p_batch
  LOOP
    points := points + ledger_expire_member(v_member, p_coalition_id);
    members := members + 1;
  END LOOP;
END $$;
