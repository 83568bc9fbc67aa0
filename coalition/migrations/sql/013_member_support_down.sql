DROP FUNCTION ledger_adjust(uuid, uuid, text, text, bigint, text);

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
  ELSIF v_member_status <> 'ACTIVE' THEN
    o_outcome := 'MEMBER_NOT_ELIGIBLE';
  END IF;
END $$;
