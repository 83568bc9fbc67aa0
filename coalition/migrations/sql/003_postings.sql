-- Postings from a till, each one statement and one round trip. They return an
-- outcome instead of raising for expected refusals (unknown card, not enough
-- points, ...), having written nothing in that case.

CREATE TYPE ledger_posting AS (
  outcome text,            -- POSTED, REPLAYED or an error code of the API
  transaction_id uuid,
  member_id uuid,
  kind text,
  points bigint,
  partner_id uuid,
  business_date date,
  created_at timestamptz,
  purchase_minor bigint,
  reverses_id uuid,
  explanation text[],
  balance bigint,          -- available + pending
  available bigint,
  pending bigint
);

-- Spendable now / pending, from the wallet's open lots only (never its history).
-- Points of lots past expiry that the expiry job has not yet posted are in neither.
CREATE FUNCTION ledger_wallet_figures(p_member_id uuid, OUT balance bigint, OUT available bigint, OUT pending bigint)
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

CREATE FUNCTION ledger_result(p_outcome text, p_member_id uuid, p_transaction_id uuid)
RETURNS ledger_posting LANGUAGE sql STABLE AS $$
  SELECT p_outcome, t.id, t.member_id, t.kind, t.points, t.partner_id, t.business_date,
         t.created_at, t.purchase_minor, t.reverses_id, t.explanation,
         f.balance, f.available, f.pending
    FROM ledger_transactions t, ledger_wallet_figures(t.member_id) f
   WHERE t.member_id = p_member_id AND t.id = p_transaction_id
$$;

-- The answer to a key seen before: the original result, or a conflict if the
-- request differs. NULL outcome: the key is new.
CREATE FUNCTION ledger_replay(p_scope_id uuid, p_key text, p_hash text)
RETURNS ledger_posting LANGUAGE plpgsql STABLE AS $$
DECLARE
  k idempotency_keys;
  r ledger_posting;
BEGIN
  SELECT * INTO k FROM idempotency_keys WHERE scope_id = p_scope_id AND key = p_key;
  IF NOT FOUND THEN
    RETURN r;
  END IF;
  IF k.request_hash <> p_hash OR k.transaction_id IS NULL THEN
    r.outcome := 'IDEMPOTENCY_CONFLICT';
    RETURN r;
  END IF;
  RETURN ledger_result('REPLAYED', k.member_id, k.transaction_id);
END $$;

CREATE FUNCTION ledger_refusal(p_outcome text, p_member_id uuid)
RETURNS ledger_posting LANGUAGE plpgsql STABLE AS $$
DECLARE
  r ledger_posting;
BEGIN
  r.outcome := p_outcome;
  r.member_id := p_member_id;
  IF p_member_id IS NOT NULL THEN
    SELECT f.balance, f.available, f.pending INTO r.balance, r.available, r.pending
      FROM ledger_wallet_figures(p_member_id) f;
  END IF;
  RETURN r;
END $$;

-- Claims the idempotency key for a new transaction; false if another request
-- claimed it first (that request has committed by the time this returns).
CREATE FUNCTION ledger_claim_key(p_scope_id uuid, p_key text, p_hash text, p_member_id uuid, p_transaction_id uuid)
RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO idempotency_keys (scope_id, key, request_hash, member_id, transaction_id)
  VALUES (p_scope_id, p_key, p_hash, p_member_id, p_transaction_id)
  ON CONFLICT DO NOTHING;
  RETURN FOUND;
END $$;

CREATE FUNCTION ledger_partner_account(p_partner_id uuid, p_kind text) RETURNS uuid
LANGUAGE sql STABLE AS $$
  SELECT id FROM accounts WHERE partner_id = p_partner_id AND kind = p_kind
$$;

CREATE FUNCTION ledger_business_date(p_coalition_id uuid) RETURNS date
LANGUAGE sql STABLE AS $$
  SELECT (now() AT TIME ZONE timezone)::date FROM coalitions WHERE id = p_coalition_id
$$;

-- Who a till posting is for: the member with this card in the partner's
-- coalition, or why the till cannot post for them (o_outcome not NULL).
CREATE FUNCTION ledger_till_member(
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

CREATE FUNCTION ledger_earn(
  p_partner_id uuid, p_key text, p_hash text, p_card_number text,
  p_purchase_minor bigint, p_points bigint, p_explanation text[],
  p_receipt_ref text, p_occurred_at timestamptz
) RETURNS ledger_posting LANGUAGE plpgsql AS $$
DECLARE
  r ledger_posting;
  v_till record;
  v_coalition record;
  v_txn uuid := coalition_uuid7();
BEGIN
  r := ledger_replay(p_partner_id, p_key, p_hash);
  IF r.outcome IS NOT NULL THEN RETURN r; END IF;

  v_till := ledger_till_member(p_partner_id, p_card_number);
  IF v_till.o_outcome IS NOT NULL THEN RETURN ledger_refusal(v_till.o_outcome, NULL); END IF;
  SELECT pending_days, expiry_months INTO v_coalition FROM coalitions WHERE id = v_till.o_coalition_id;

  IF NOT ledger_claim_key(p_partner_id, p_key, p_hash, v_till.o_member_id, v_txn) THEN
    RETURN ledger_replay(p_partner_id, p_key, p_hash);
  END IF;

  INSERT INTO ledger_transactions (member_id, id, coalition_id, partner_id, kind, points,
      business_date, occurred_at, purchase_minor, receipt_ref, explanation)
  VALUES (v_till.o_member_id, v_txn, v_till.o_coalition_id, p_partner_id, 'EARN', p_points,
      ledger_business_date(v_till.o_coalition_id), p_occurred_at, p_purchase_minor,
      p_receipt_ref, p_explanation);
  IF p_points > 0 THEN
    INSERT INTO ledger_entries (member_id, transaction_id, line, on_wallet, account_id, amount)
    VALUES (v_till.o_member_id, v_txn, 1, true, NULL, p_points),
           (v_till.o_member_id, v_txn, 2, false, ledger_partner_account(p_partner_id, 'ISSUED'), -p_points);
    INSERT INTO lots (member_id, id, coalition_id, transaction_id, issuer_partner_id, points,
        remaining, available_at, expires_at)
    VALUES (v_till.o_member_id, coalition_uuid7(), v_till.o_coalition_id, v_txn, p_partner_id, p_points,
        p_points, now() + make_interval(days => v_coalition.pending_days),
        now() + make_interval(months => v_coalition.expiry_months));
  END IF;
  RETURN ledger_result('POSTED', v_till.o_member_id, v_txn);
END $$;

CREATE FUNCTION ledger_redeem(
  p_partner_id uuid, p_key text, p_hash text, p_card_number text,
  p_points bigint, p_receipt_ref text
) RETURNS ledger_posting LANGUAGE plpgsql AS $$
DECLARE
  r ledger_posting;
  v_till record;
  v_member_id uuid;
  v_txn uuid := coalition_uuid7();
  v_date date;
  v_available bigint;
  v_left bigint := p_points;
  v_take bigint;
  v_lot record;
BEGIN
  r := ledger_replay(p_partner_id, p_key, p_hash);
  IF r.outcome IS NOT NULL THEN RETURN r; END IF;

  v_till := ledger_till_member(p_partner_id, p_card_number);
  IF v_till.o_outcome IS NOT NULL THEN RETURN ledger_refusal(v_till.o_outcome, NULL); END IF;
  v_member_id := v_till.o_member_id;

  -- The wallet row is the one lock a posting takes. A duplicate of this very
  -- request may have committed while we waited for it: ask again.
  PERFORM 1 FROM wallets WHERE member_id = v_member_id FOR UPDATE;
  r := ledger_replay(p_partner_id, p_key, p_hash);
  IF r.outcome IS NOT NULL THEN RETURN r; END IF;

  SELECT coalesce(sum(remaining), 0) INTO v_available FROM lots
   WHERE member_id = v_member_id AND remaining > 0 AND available_at <= now()
     AND (expires_at IS NULL OR expires_at > now());
  IF v_available < p_points THEN
    RETURN ledger_refusal('INSUFFICIENT_POINTS', v_member_id);
  END IF;
  IF NOT ledger_claim_key(p_partner_id, p_key, p_hash, v_member_id, v_txn) THEN
    RETURN ledger_replay(p_partner_id, p_key, p_hash);
  END IF;

  v_date := ledger_business_date(v_till.o_coalition_id);
  INSERT INTO ledger_transactions (member_id, id, coalition_id, partner_id, kind, points,
      business_date, receipt_ref)
  VALUES (v_member_id, v_txn, v_till.o_coalition_id, p_partner_id, 'REDEEM', -p_points,
      v_date, p_receipt_ref);
  INSERT INTO ledger_entries (member_id, transaction_id, line, on_wallet, account_id, amount)
  VALUES (v_member_id, v_txn, 1, true, NULL, -p_points),
         (v_member_id, v_txn, 2, false, ledger_partner_account(p_partner_id, 'REDEEMED'), p_points);

  -- FIFO by expiry: soonest-expiring first, then oldest available, then id.
  FOR v_lot IN
    SELECT id, remaining, issuer_partner_id FROM lots
     WHERE member_id = v_member_id AND remaining > 0 AND available_at <= now()
       AND (expires_at IS NULL OR expires_at > now())
     ORDER BY expires_at NULLS LAST, available_at, id
  LOOP
    v_take := least(v_lot.remaining, v_left);
    INSERT INTO lot_consumptions (member_id, transaction_id, lot_id, issuer_partner_id, partner_id,
        business_date, kind, points)
    VALUES (v_member_id, v_txn, v_lot.id, v_lot.issuer_partner_id, p_partner_id, v_date, 'REDEEM', v_take);
    v_left := v_left - v_take;
    EXIT WHEN v_left = 0;
  END LOOP;
  RETURN ledger_result('POSTED', v_member_id, v_txn);
END $$;

-- Reverses an EARN (takes back what is left of its lot, up to the request)
-- or a REDEEM (gives the points back to the lots they came from, keeping
-- their issuer). p_partner_id NULL: the operator, who may reverse anything in
-- the coalition; a partner may reverse only its own postings.
CREATE FUNCTION ledger_reverse(
  p_coalition_id uuid, p_partner_id uuid, p_key text, p_hash text,
  p_transaction_id uuid, p_points bigint, p_reason text
) RETURNS ledger_posting LANGUAGE plpgsql AS $$
DECLARE
  r ledger_posting;
  v_scope uuid := coalesce(p_partner_id, p_coalition_id);
  v_orig ledger_transactions;
  v_txn uuid := coalition_uuid7();
  v_date date;
  v_done bigint;
  v_left bigint;
  v_want bigint;
  v_take bigint;
  v_lot record;
BEGIN
  r := ledger_replay(v_scope, p_key, p_hash);
  IF r.outcome IS NOT NULL THEN RETURN r; END IF;

  IF p_partner_id IS NOT NULL
     AND (SELECT status FROM partners WHERE id = p_partner_id) IS DISTINCT FROM 'ACTIVE' THEN
    RETURN ledger_refusal('PARTNER_NOT_ACTIVE', NULL);
  END IF;
  SELECT * INTO v_orig FROM ledger_transactions
   WHERE id = p_transaction_id AND coalition_id = p_coalition_id
     AND (p_partner_id IS NULL OR partner_id = p_partner_id);
  IF NOT FOUND THEN RETURN ledger_refusal('NOT_FOUND', NULL); END IF;
  IF v_orig.kind NOT IN ('EARN', 'REDEEM') THEN
    RETURN ledger_refusal('VALIDATION', v_orig.member_id);
  END IF;

  PERFORM 1 FROM wallets WHERE member_id = v_orig.member_id FOR UPDATE;
  r := ledger_replay(v_scope, p_key, p_hash);
  IF r.outcome IS NOT NULL THEN RETURN r; END IF;

  SELECT coalesce(sum(abs(points)), 0) INTO v_done FROM ledger_transactions
   WHERE member_id = v_orig.member_id AND reverses_id = v_orig.id;
  v_left := abs(v_orig.points) - v_done;
  v_want := coalesce(p_points, v_left);
  IF v_left <= 0 OR v_want > v_left THEN
    RETURN ledger_refusal('ALREADY_REVERSED', v_orig.member_id);
  END IF;

  v_date := ledger_business_date(p_coalition_id);
  IF v_orig.kind = 'EARN' THEN
    SELECT id, remaining, issuer_partner_id INTO v_lot FROM lots
     WHERE member_id = v_orig.member_id AND transaction_id = v_orig.id;
    v_take := least(v_want, coalesce(v_lot.remaining, 0));
    IF v_take = 0 THEN
      RETURN ledger_refusal('INSUFFICIENT_POINTS', v_orig.member_id);
    END IF;
    IF NOT ledger_claim_key(v_scope, p_key, p_hash, v_orig.member_id, v_txn) THEN
      RETURN ledger_replay(v_scope, p_key, p_hash);
    END IF;
    INSERT INTO ledger_transactions (member_id, id, coalition_id, partner_id, kind, points,
        business_date, reverses_id, reason)
    VALUES (v_orig.member_id, v_txn, p_coalition_id, v_orig.partner_id, 'REVERSAL', -v_take,
        v_date, v_orig.id, p_reason);
    INSERT INTO ledger_entries (member_id, transaction_id, line, on_wallet, account_id, amount)
    VALUES (v_orig.member_id, v_txn, 1, true, NULL, -v_take),
           (v_orig.member_id, v_txn, 2, false,
            ledger_partner_account(v_orig.partner_id, 'ISSUED'), v_take);
    INSERT INTO lot_consumptions (member_id, transaction_id, lot_id, issuer_partner_id, partner_id,
        business_date, kind, points)
    VALUES (v_orig.member_id, v_txn, v_lot.id, v_lot.issuer_partner_id, v_orig.partner_id,
        v_date, 'CLAWBACK', v_take);
  ELSE
    IF NOT ledger_claim_key(v_scope, p_key, p_hash, v_orig.member_id, v_txn) THEN
      RETURN ledger_replay(v_scope, p_key, p_hash);
    END IF;
    INSERT INTO ledger_transactions (member_id, id, coalition_id, partner_id, kind, points,
        business_date, reverses_id, reason)
    VALUES (v_orig.member_id, v_txn, p_coalition_id, v_orig.partner_id, 'REVERSAL', v_want,
        v_date, v_orig.id, p_reason);
    INSERT INTO ledger_entries (member_id, transaction_id, line, on_wallet, account_id, amount)
    VALUES (v_orig.member_id, v_txn, 1, true, NULL, v_want),
           (v_orig.member_id, v_txn, 2, false,
            ledger_partner_account(v_orig.partner_id, 'REDEEMED'), -v_want);
    v_left := v_want;
    -- Undo the redemption from its last-consumed lot backwards.
    FOR v_lot IN
      SELECT c.lot_id, c.issuer_partner_id,
             c.points - coalesce((
               SELECT sum(rc.points) FROM lot_consumptions rc
                 JOIN ledger_transactions rt ON rt.member_id = rc.member_id AND rt.id = rc.transaction_id
                WHERE rc.member_id = c.member_id AND rc.lot_id = c.lot_id
                  AND rc.kind = 'RESTORE' AND rt.reverses_id = v_orig.id), 0) AS restorable
        FROM lot_consumptions c JOIN lots l ON l.member_id = c.member_id AND l.id = c.lot_id
       WHERE c.member_id = v_orig.member_id AND c.transaction_id = v_orig.id
       ORDER BY l.expires_at DESC NULLS FIRST, l.available_at DESC, l.id DESC
    LOOP
      CONTINUE WHEN v_lot.restorable <= 0;
      v_take := least(v_lot.restorable, v_left);
      INSERT INTO lot_consumptions (member_id, transaction_id, lot_id, issuer_partner_id, partner_id,
          business_date, kind, points)
      VALUES (v_orig.member_id, v_txn, v_lot.lot_id, v_lot.issuer_partner_id, v_orig.partner_id,
          v_date, 'RESTORE', v_take);
      v_left := v_left - v_take;
      EXIT WHEN v_left = 0;
    END LOOP;
  END IF;
  RETURN ledger_result('POSTED', v_orig.member_id, v_txn);
END $$;
