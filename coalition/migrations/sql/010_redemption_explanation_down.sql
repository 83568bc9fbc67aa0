-- Undoes 010_redemption_explanation.sql.

DO $do$
DECLARE
  v_old text := pg_get_functiondef('ledger_redeem(uuid, text, text, text, bigint, text)'::regprocedure);
  v_new text;
BEGIN
  v_new := replace(
    v_old,
    $b$business_date, receipt_ref, explanation)
  VALUES (v_member_id, v_txn, v_till.o_coalition_id, p_partner_id, 'REDEEM', -p_points,
      v_date, p_receipt_ref, ledger_redemption_lines(p_partner_id, p_points));$b$,
    $a$business_date, receipt_ref)
  VALUES (v_member_id, v_txn, v_till.o_coalition_id, p_partner_id, 'REDEEM', -p_points,
      v_date, p_receipt_ref);$a$);
  IF v_new = v_old THEN
    RAISE EXCEPTION 'ledger_redeem does not insert its transaction as 010_redemption_explanation.sql left it';
  END IF;
  EXECUTE v_new;
END $do$;

DROP FUNCTION ledger_redemption_lines(uuid, bigint);
