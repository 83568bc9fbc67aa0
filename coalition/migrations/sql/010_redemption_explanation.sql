-- A redemption explains itself like an earn does: one line saying how many
-- points were redeemed and at which shop. The line is written by
-- ledger_redeem in the same statement (the shop's name is one primary-key
-- lookup), so a redemption is still one round trip.

CREATE FUNCTION ledger_redemption_lines(p_partner_id uuid, p_points bigint) RETURNS text[]
LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN ARRAY(
    SELECT 'Redeemed ' || p_points || CASE WHEN p_points = 1 THEN ' point' ELSE ' points' END || ' at ' || name
      FROM partners WHERE id = p_partner_id);
END $$;

-- ledger_redeem is patched in place rather than written out again, so that
-- whatever else a later migration changed in its body is kept.
DO $do$
DECLARE
  v_old text := pg_get_functiondef('ledger_redeem(uuid, text, text, text, bigint, text)'::regprocedure);
  v_new text;
BEGIN
  v_new := replace(
    v_old,
    $a$business_date, receipt_ref)
  VALUES (v_member_id, v_txn, v_till.o_coalition_id, p_partner_id, 'REDEEM', -p_points,
      v_date, p_receipt_ref);$a$,
    $b$business_date, receipt_ref, explanation)
  VALUES (v_member_id, v_txn, v_till.o_coalition_id, p_partner_id, 'REDEEM', -p_points,
      v_date, p_receipt_ref, ledger_redemption_lines(p_partner_id, p_points));$b$);
  IF v_new = v_old THEN
    RAISE EXCEPTION 'ledger_redeem does not insert its transaction as 003_postings.sql wrote it';
  END IF;
  EXECUTE v_new;
END $do$;
