-- Group commit: the till postings a process has waiting, posted in one
-- transaction (one round trip, one commit) while each keeps its own outcome.
--
-- p_requests: an array of
--   {"kind": "EARN", "partner_id", "key", "hash", "card", "purchase_minor",
--    "explanation": [text], "receipt_ref", "occurred_at", "awards": [...],
--    "expected_seq", "effects": {...} | null}
--   {"kind": "REDEEM", "partner_id", "key", "hash", "card", "points", "receipt_ref"}
-- Returns one row per request, `ordinal` its 1-based place in the array.
--
-- Each request runs in its own subtransaction (the BEGIN ... EXCEPTION
-- block), and its deferred checks (entries sum to zero, wallet matches lots)
-- are made at its end, inside it: a request that fails is rolled back alone
-- and reported FAILED, and the caller posts it again on its own to get its
-- error; the others commit. Requests are taken in member order, as every
-- multi-wallet posting locks, so two batches cannot deadlock on wallets.
-- Callers keep batches at or below 32: a transaction with more than 64
-- subtransactions that wrote something overflows PostgreSQL's per-backend
-- cache of them and slows every snapshot in the server.
CREATE FUNCTION ledger_post_batch(p_requests jsonb)
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
          item.r->'awards', (item.r->>'expected_seq')::bigint, nullif(item.r->'effects', 'null'::jsonb));
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
