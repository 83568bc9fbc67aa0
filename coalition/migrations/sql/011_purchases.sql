-- Purchases kept: every earn's receipt and basket lines, written by the
-- posting itself (same transaction, same statement: no extra round trip on
-- the till's path). This overload of ledger_earn takes the basket; it posts
-- through the 11-argument ledger_earn and keeps the receipt only when that
-- posted something new, so a replay stores nothing twice and a refusal
-- stores nothing.
--
-- p_basket: NULL, or an array of {"sku", "category", "quantity", "unitPrice"}
-- (unitPrice in minor units); a line's amount is quantity * unitPrice.
CREATE FUNCTION ledger_earn(
  p_partner_id uuid, p_key text, p_hash text, p_card_number text,
  p_purchase_minor bigint, p_explanation text[], p_receipt_ref text, p_occurred_at timestamptz,
  p_awards jsonb, p_expected_seq bigint, p_effects jsonb, p_basket jsonb
) RETURNS ledger_posting LANGUAGE plpgsql AS $$
DECLARE
  r ledger_posting;
  v_purchase uuid := coalition_uuid7();
  v_occurred timestamptz := coalesce(p_occurred_at, ledger_now());
BEGIN
  r := ledger_earn(p_partner_id, p_key, p_hash, p_card_number, p_purchase_minor, p_explanation,
      p_receipt_ref, p_occurred_at, p_awards, p_expected_seq, p_effects);
  IF r.outcome <> 'POSTED' THEN RETURN r; END IF;
  INSERT INTO purchases (member_id, id, coalition_id, partner_id, source, transaction_id, receipt_ref,
      total_minor, occurred_at, local_date)
  SELECT r.member_id, v_purchase, p.coalition_id, p_partner_id, 'TILL', r.transaction_id, p_receipt_ref,
         p_purchase_minor, v_occurred, (v_occurred AT TIME ZONE c.timezone)::date
    FROM partners p JOIN coalitions c ON c.id = p.coalition_id
   WHERE p.id = p_partner_id;
  IF p_basket IS NOT NULL AND jsonb_array_length(p_basket) > 0 THEN
    INSERT INTO purchase_lines (member_id, purchase_id, line_no, sku, category, quantity, amount_minor)
    SELECT r.member_id, v_purchase, l.n, l.v->>'sku', l.v->>'category', (l.v->>'quantity')::numeric,
           (l.v->>'quantity')::bigint * (l.v->>'unitPrice')::bigint
      FROM jsonb_array_elements(p_basket) WITH ORDINALITY AS l(v, n);
  END IF;
  RETURN r;
END $$;

-- Group commit passes each earn's basket on (see 008_group_commit.sql for
-- why each request runs in its own subtransaction).
CREATE OR REPLACE FUNCTION ledger_post_batch(p_requests jsonb)
RETURNS TABLE (ordinal bigint, result ledger_posting) LANGUAGE plpgsql AS $$
DECLARE
  item record;
BEGIN
  FOR item IN
    SELECT e.ordinality AS n, e.value AS r
      FROM jsonb_array_elements(p_requests) WITH ORDINALITY AS e
      LEFT JOIN partners p ON p.id = (e.value->>'partner_id')::uuid
      LEFT JOIN members m ON m.coalition_id = p.coalition_id AND m.card_number = e.value->>'card'
     ORDER BY m.id NULLS LAST, e.ordinality
  LOOP
    ordinal := item.n;
    BEGIN
      IF item.r->>'kind' = 'EARN' THEN
        result := ledger_earn(
          (item.r->>'partner_id')::uuid, item.r->>'key', item.r->>'hash', item.r->>'card',
          (item.r->>'purchase_minor')::bigint,
          ARRAY(SELECT jsonb_array_elements_text(item.r->'explanation')),
          item.r->>'receipt_ref', (item.r->>'occurred_at')::timestamptz,
          item.r->'awards', (item.r->>'expected_seq')::bigint, nullif(item.r->'effects', 'null'::jsonb),
          nullif(item.r->'basket', 'null'::jsonb));
      ELSIF item.r->>'kind' = 'REDEEM' THEN
        result := ledger_redeem(
          (item.r->>'partner_id')::uuid, item.r->>'key', item.r->>'hash', item.r->>'card',
          (item.r->>'points')::bigint, item.r->>'receipt_ref');
      ELSE
        RAISE EXCEPTION 'unknown posting kind %', item.r->>'kind' USING ERRCODE = 'invalid_parameter_value';
      END IF;
      SET CONSTRAINTS ALL IMMEDIATE;
      SET CONSTRAINTS ALL DEFERRED;
    EXCEPTION WHEN OTHERS THEN
      result := NULL;
      result.outcome := 'FAILED';
    END;
    RETURN NEXT;
  END LOOP;
END $$;
