-- Programme rules in the ledger: an earn may be funded by several parties
-- (the shop, the coalition, the shops sharing a challenge), each getting its
-- own lot so settlement knows whose points are spent; bonuses, donations and
-- transfers; and the member activity the earn engine reads.

-- Donations and transfers consume lots too.
CREATE OR REPLACE FUNCTION ledger_apply_consumption() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  delta bigint := CASE WHEN NEW.kind = 'RESTORE' THEN NEW.points ELSE -NEW.points END;
BEGIN
  UPDATE lots SET
      remaining = remaining + delta,
      consumed = consumed + CASE WHEN NEW.kind IN ('REDEEM', 'DONATE', 'TRANSFER') THEN NEW.points
                                 WHEN NEW.kind = 'RESTORE' THEN -NEW.points ELSE 0 END,
      reversed = reversed + CASE WHEN NEW.kind = 'CLAWBACK' THEN NEW.points ELSE 0 END,
      expired = expired + CASE WHEN NEW.kind = 'EXPIRE' THEN NEW.points ELSE 0 END
   WHERE member_id = NEW.member_id AND id = NEW.lot_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no lot %', NEW.lot_id USING ERRCODE = 'foreign_key_violation';
  END IF;
  UPDATE wallets SET lots_remaining = lots_remaining + delta WHERE member_id = NEW.member_id;
  RETURN NULL;
END $$;

CREATE FUNCTION ledger_house_account(p_coalition_id uuid, p_kind text) RETURNS uuid
LANGUAGE sql STABLE AS $$
  SELECT id FROM accounts WHERE coalition_id = p_coalition_id AND kind = p_kind AND partner_id IS NULL
   AND charity_id IS NULL
$$;

-- The account a lot's points come from: the issuing shop's, or the
-- coalition's promotions account for points the coalition funds.
CREATE FUNCTION ledger_funder_account(p_coalition_id uuid, p_issuer uuid) RETURNS uuid
LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN p_issuer IS NULL THEN ledger_house_account(p_coalition_id, 'PROMOTIONS')
              ELSE ledger_partner_account(p_issuer, 'ISSUED') END
$$;

-- Credits a wallet with one lot per funder: [{"funder": uuid|null, "points": n}].
-- Entry lines start at p_first_line; returns the next free line.
CREATE FUNCTION ledger_credit_lots(
  p_member_id uuid, p_coalition_id uuid, p_txn uuid, p_awards jsonb, p_available_at timestamptz,
  p_expires_at timestamptz, p_first_line int
) RETURNS int LANGUAGE plpgsql AS $$
DECLARE
  v_award jsonb;
  v_funder uuid;
  v_points bigint;
  v_line int := p_first_line;
BEGIN
  FOR v_award IN SELECT * FROM jsonb_array_elements(p_awards) LOOP
    v_funder := (v_award->>'funder')::uuid;
    v_points := (v_award->>'points')::bigint;
    CONTINUE WHEN v_points = 0;
    INSERT INTO ledger_entries (member_id, transaction_id, line, on_wallet, account_id, amount)
    VALUES (p_member_id, p_txn, v_line, true, NULL, v_points),
           (p_member_id, p_txn, v_line + 1, false, ledger_funder_account(p_coalition_id, v_funder), -v_points);
    INSERT INTO lots (member_id, id, coalition_id, transaction_id, issuer_partner_id, points,
        remaining, available_at, expires_at)
    VALUES (p_member_id, coalition_uuid7(), p_coalition_id, p_txn, v_funder, v_points, v_points,
        p_available_at, p_expires_at);
    v_line := v_line + 2;
  END LOOP;
  RETURN v_line;
END $$;

-- Spends points from a wallet's available lots, FIFO by expiry, recording
-- one consumption per lot. The caller holds the wallet lock and has checked
-- that enough is available. Returns the lots touched and what each gave.
CREATE FUNCTION ledger_consume_fifo(
  p_member_id uuid, p_txn uuid, p_partner_id uuid, p_date date, p_kind text, p_points bigint
) RETURNS TABLE (lot_id uuid, issuer_partner_id uuid, expires_at timestamptz, points bigint)
LANGUAGE plpgsql AS $$
DECLARE
  v_left bigint := p_points;
  v_take bigint;
  v_lot record;
BEGIN
  FOR v_lot IN
    SELECT l.id, l.remaining, l.issuer_partner_id, l.expires_at FROM lots l
     WHERE l.member_id = p_member_id AND l.remaining > 0 AND l.available_at <= now()
       AND (l.expires_at IS NULL OR l.expires_at > now())
     ORDER BY l.expires_at NULLS LAST, l.available_at, l.id
  LOOP
    v_take := least(v_lot.remaining, v_left);
    INSERT INTO lot_consumptions (member_id, transaction_id, lot_id, issuer_partner_id, partner_id,
        business_date, kind, points)
    VALUES (p_member_id, p_txn, v_lot.id, v_lot.issuer_partner_id, p_partner_id, p_date, p_kind, v_take);
    lot_id := v_lot.id; issuer_partner_id := v_lot.issuer_partner_id;
    expires_at := v_lot.expires_at; points := v_take;
    RETURN NEXT;
    v_left := v_left - v_take;
    EXIT WHEN v_left = 0;
  END LOOP;
END $$;

CREATE FUNCTION ledger_available(p_member_id uuid) RETURNS bigint
LANGUAGE sql STABLE AS $$
  SELECT coalesce(sum(remaining), 0) FROM lots
   WHERE member_id = p_member_id AND remaining > 0 AND available_at <= now()
     AND (expires_at IS NULL OR expires_at > now())
$$;

-- What the earn engine needs to know of a member, read in one statement.
-- Also the till checks of ledger_till_member, so a refusal costs no posting.
CREATE FUNCTION rules_member_state(p_partner_id uuid, p_card_number text, p_window_days int)
RETURNS TABLE (
  outcome text, member_id uuid, today date, seq bigint, tier_code text, tier_since date,
  qualifying_points bigint, qualifying_spend bigint, points_today bigint,
  partners_week uuid[], partners_month uuid[], challenges_done uuid[], stamps jsonb,
  birth_date date, birthday_bonus_year int, referred_by uuid, referral_paid boolean
) LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_till record;
  v_today date;
BEGIN
  v_till := ledger_till_member(p_partner_id, p_card_number);
  IF v_till.o_outcome IS NOT NULL THEN
    outcome := v_till.o_outcome;
    RETURN NEXT;
    RETURN;
  END IF;
  v_today := ledger_business_date(v_till.o_coalition_id);
  RETURN QUERY
  SELECT NULL::text, m.id, v_today, a.seq, a.tier_code::text, a.tier_since,
         coalesce(w.points, 0)::bigint, coalesce(w.spend, 0)::bigint, coalesce(d.points, 0)::bigint,
         coalesce((SELECT array_agg(DISTINCT p) FROM member_activity_days x, unnest(x.partner_ids) p
                    WHERE x.member_id = m.id AND x.day >= v_today - extract(isodow FROM v_today)::int + 1),
                  '{}'),
         coalesce((SELECT array_agg(DISTINCT p) FROM member_activity_days x, unnest(x.partner_ids) p
                    WHERE x.member_id = m.id AND x.day >= date_trunc('month', v_today)::date), '{}'),
         coalesce((SELECT array_agg(c.challenge_id) FROM challenge_completions c
                    WHERE c.member_id = m.id
                      AND c.period_start IN (v_today - extract(isodow FROM v_today)::int + 1,
                                             date_trunc('month', v_today)::date)), '{}'),
         coalesce((SELECT jsonb_object_agg(s.card_id, s.stamps) FROM stamp_progress s
                    JOIN stamp_cards sc ON sc.id = s.card_id
                   WHERE s.member_id = m.id AND sc.partner_id = p_partner_id), '{}'::jsonb),
         m.birth_date, a.birthday_bonus_year, m.referred_by_member_id, a.referral_paid_at IS NOT NULL
    FROM members m
    JOIN member_activity a ON a.member_id = m.id
    LEFT JOIN member_activity_days d ON d.member_id = m.id AND d.day = v_today
    LEFT JOIN LATERAL (
      SELECT sum(x.points) AS points, sum(x.spend_minor) AS spend FROM member_activity_days x
       WHERE x.member_id = m.id AND x.day > v_today - p_window_days
    ) w ON true
   WHERE m.id = v_till.o_member_id;
END $$;

-- Points for a purchase. The engine (partners/earning/engine.py) decided the awards
-- and effects from the member state it read with rules_member_state; if that
-- state has changed since (p_expected_seq differs), nothing is written and
-- the outcome is STALE, so the engine evaluates again. NULL p_expected_seq:
-- the rules used no member state.
CREATE FUNCTION ledger_earn(
  p_partner_id uuid, p_key text, p_hash text, p_card_number text,
  p_purchase_minor bigint, p_explanation text[], p_receipt_ref text, p_occurred_at timestamptz,
  p_awards jsonb, p_expected_seq bigint, p_effects jsonb
) RETURNS ledger_posting LANGUAGE plpgsql AS $$
DECLARE
  r ledger_posting;
  v_till record;
  v_coalition record;
  v_member uuid;
  v_txn uuid := coalition_uuid7();
  v_date date;
  v_points bigint;
  v_item jsonb;
  v_referrer uuid;
  v_bonus uuid;
BEGIN
  r := ledger_replay(p_partner_id, p_key, p_hash);
  IF r.outcome IS NOT NULL THEN RETURN r; END IF;

  v_till := ledger_till_member(p_partner_id, p_card_number);
  IF v_till.o_outcome IS NOT NULL THEN RETURN ledger_refusal(v_till.o_outcome, NULL); END IF;
  v_member := v_till.o_member_id;
  SELECT pending_days, expiry_months INTO v_coalition FROM coalitions WHERE id = v_till.o_coalition_id;

  IF p_expected_seq IS NOT NULL THEN
    UPDATE member_activity SET seq = seq + 1 WHERE member_id = v_member AND seq = p_expected_seq;
    IF NOT FOUND THEN
      r := ledger_replay(p_partner_id, p_key, p_hash);
      IF r.outcome IS NOT NULL THEN RETURN r; END IF;
      RETURN ledger_refusal('STALE', v_member);
    END IF;
  END IF;

  IF NOT ledger_claim_key(p_partner_id, p_key, p_hash, v_member, v_txn) THEN
    RETURN ledger_replay(p_partner_id, p_key, p_hash);
  END IF;

  v_date := ledger_business_date(v_till.o_coalition_id);
  SELECT coalesce(sum((a->>'points')::bigint), 0) INTO v_points FROM jsonb_array_elements(p_awards) a;
  INSERT INTO ledger_transactions (member_id, id, coalition_id, partner_id, kind, points,
      business_date, occurred_at, purchase_minor, receipt_ref, explanation)
  VALUES (v_member, v_txn, v_till.o_coalition_id, p_partner_id, 'EARN', v_points,
      v_date, p_occurred_at, p_purchase_minor, p_receipt_ref, p_explanation);
  PERFORM ledger_credit_lots(v_member, v_till.o_coalition_id, v_txn, p_awards,
      now() + make_interval(days => v_coalition.pending_days),
      now() + make_interval(months => v_coalition.expiry_months), 1);

  INSERT INTO member_activity_days AS d (member_id, day, points, spend_minor, partner_ids)
  VALUES (v_member, v_date, v_points, p_purchase_minor, ARRAY[p_partner_id])
  ON CONFLICT (member_id, day) DO UPDATE SET
    points = d.points + EXCLUDED.points,
    spend_minor = d.spend_minor + EXCLUDED.spend_minor,
    partner_ids = CASE WHEN p_partner_id = ANY (d.partner_ids) THEN d.partner_ids
                       ELSE d.partner_ids || p_partner_id END;

  IF p_effects IS NOT NULL THEN
    FOR v_item IN SELECT * FROM jsonb_array_elements(coalesce(p_effects->'stamps', '[]')) LOOP
      INSERT INTO stamp_progress AS s (member_id, card_id, stamps)
      VALUES (v_member, (v_item->>'card')::uuid, (v_item->>'stamps')::int)
      ON CONFLICT (member_id, card_id) DO UPDATE SET stamps = EXCLUDED.stamps, updated_at = now();
    END LOOP;
    FOR v_item IN SELECT * FROM jsonb_array_elements(coalesce(p_effects->'coupons', '[]')) LOOP
      INSERT INTO coupons (coalition_id, member_id, partner_id, reward_id, code, source, expires_at,
          transaction_id)
      SELECT v_till.o_coalition_id, v_member, rw.partner_id, rw.id, v_item->>'code', v_item->>'source',
             now() + make_interval(days => rw.valid_days), v_txn
        FROM rewards rw WHERE rw.id = (v_item->>'reward')::uuid;
    END LOOP;
    FOR v_item IN SELECT * FROM jsonb_array_elements(coalesce(p_effects->'challenges', '[]')) LOOP
      INSERT INTO challenge_completions (member_id, challenge_id, period_start, transaction_id)
      VALUES (v_member, (v_item->>'challenge')::uuid, (v_item->>'period')::date, v_txn);
    END LOOP;
    IF p_effects ? 'tier' THEN
      UPDATE member_activity SET tier_code = p_effects->>'tier', tier_since = v_date WHERE member_id = v_member;
    END IF;
    IF p_effects ? 'birthdayYear' THEN
      UPDATE member_activity SET birthday_bonus_year = (p_effects->>'birthdayYear')::int
       WHERE member_id = v_member;
    END IF;
    IF p_effects ? 'referral' THEN
      UPDATE member_activity SET referral_paid_at = now() WHERE member_id = v_member;
      v_referrer := (p_effects->'referral'->>'referrer')::uuid;
      IF (p_effects->'referral'->>'points')::bigint > 0
         AND (SELECT status FROM members WHERE id = v_referrer) = 'ACTIVE' THEN
        v_bonus := ledger_post_bonus(v_referrer, v_till.o_coalition_id,
            (p_effects->'referral'->>'points')::bigint, ARRAY[p_effects->'referral'->>'line'], 'referral');
      END IF;
    END IF;
  END IF;
  RETURN ledger_result('POSTED', v_member, v_txn);
END $$;

-- A coalition-funded BONUS: one lot with the coalition as issuer, spendable
-- at once. Returns the transaction id.
CREATE FUNCTION ledger_post_bonus(
  p_member_id uuid, p_coalition_id uuid, p_points bigint, p_explanation text[], p_reason text
) RETURNS uuid LANGUAGE plpgsql AS $$
DECLARE
  v_txn uuid := coalition_uuid7();
  v_expiry int;
BEGIN
  SELECT expiry_months INTO v_expiry FROM coalitions WHERE id = p_coalition_id;
  INSERT INTO ledger_transactions (member_id, id, coalition_id, partner_id, kind, points,
      business_date, reason, explanation)
  VALUES (p_member_id, v_txn, p_coalition_id, NULL, 'BONUS', p_points,
      ledger_business_date(p_coalition_id), p_reason, p_explanation);
  PERFORM ledger_credit_lots(p_member_id, p_coalition_id, v_txn,
      jsonb_build_array(jsonb_build_object('funder', NULL, 'points', p_points)),
      now(), now() + make_interval(months => v_expiry), 1);
  INSERT INTO member_activity_days AS d (member_id, day, points, spend_minor, partner_ids)
  VALUES (p_member_id, ledger_business_date(p_coalition_id), p_points, 0, '{}')
  ON CONFLICT (member_id, day) DO UPDATE SET points = d.points + EXCLUDED.points;
  RETURN v_txn;
END $$;

-- A member gives points to a charity the coalition lists, FIFO like a
-- redemption; the coalition may add matched points from its promotions.
CREATE FUNCTION ledger_donate(
  p_member_id uuid, p_key text, p_hash text, p_charity_id uuid, p_points bigint, p_match bigint
) RETURNS ledger_posting LANGUAGE plpgsql AS $$
DECLARE
  r ledger_posting;
  v_coalition uuid;
  v_charity_account uuid;
  v_txn uuid := coalition_uuid7();
  v_date date;
BEGIN
  r := ledger_replay(p_member_id, p_key, p_hash);
  IF r.outcome IS NOT NULL THEN RETURN r; END IF;
  SELECT m.coalition_id INTO v_coalition FROM members m WHERE m.id = p_member_id AND m.status = 'ACTIVE';
  IF NOT FOUND THEN RETURN ledger_refusal('MEMBER_NOT_ELIGIBLE', NULL); END IF;
  SELECT c.account_id INTO v_charity_account FROM charities c
   WHERE c.id = p_charity_id AND c.coalition_id = v_coalition AND c.active;
  IF NOT FOUND THEN RETURN ledger_refusal('NOT_FOUND', p_member_id); END IF;

  PERFORM 1 FROM wallets WHERE member_id = p_member_id FOR UPDATE;
  r := ledger_replay(p_member_id, p_key, p_hash);
  IF r.outcome IS NOT NULL THEN RETURN r; END IF;
  IF ledger_available(p_member_id) < p_points THEN
    RETURN ledger_refusal('INSUFFICIENT_POINTS', p_member_id);
  END IF;
  IF NOT ledger_claim_key(p_member_id, p_key, p_hash, p_member_id, v_txn) THEN
    RETURN ledger_replay(p_member_id, p_key, p_hash);
  END IF;
  v_date := ledger_business_date(v_coalition);
  INSERT INTO ledger_transactions (member_id, id, coalition_id, partner_id, kind, points,
      business_date, explanation, charity_id, matched_points)
  VALUES (p_member_id, v_txn, v_coalition, NULL, 'DONATE', -p_points, v_date,
      CASE WHEN p_match > 0 THEN ARRAY['Donated ' || p_points || ' points', 'Matched by the coalition: +' || p_match]
           ELSE ARRAY['Donated ' || p_points || ' points'] END,
      p_charity_id, p_match);
  INSERT INTO ledger_entries (member_id, transaction_id, line, on_wallet, account_id, amount)
  VALUES (p_member_id, v_txn, 1, true, NULL, -p_points),
         (p_member_id, v_txn, 2, false, v_charity_account, p_points);
  IF p_match > 0 THEN
    INSERT INTO ledger_entries (member_id, transaction_id, line, on_wallet, account_id, amount)
    VALUES (p_member_id, v_txn, 3, false, ledger_house_account(v_coalition, 'PROMOTIONS'), -p_match),
           (p_member_id, v_txn, 4, false, v_charity_account, p_match);
  END IF;
  PERFORM ledger_consume_fifo(p_member_id, v_txn, NULL, v_date, 'DONATE', p_points);
  RETURN ledger_result('POSTED', p_member_id, v_txn);
END $$;

-- Points from one member to another in the same coalition. The receiver gets
-- lots with the same issuers and expiry as the ones given, so settlement
-- still knows whose points they are. Two wallet locks, always taken in
-- member-id order.
CREATE FUNCTION ledger_transfer(
  p_member_id uuid, p_key text, p_hash text, p_to_card text, p_points bigint, p_max_per_day bigint
) RETURNS ledger_posting LANGUAGE plpgsql AS $$
DECLARE
  r ledger_posting;
  v_coalition uuid;
  v_to uuid;
  v_out uuid := coalition_uuid7();
  v_in uuid := coalition_uuid7();
  v_date date;
  v_sent bigint;
  v_line int := 1;
  v_lot record;
  v_clearing uuid;
BEGIN
  r := ledger_replay(p_member_id, p_key, p_hash);
  IF r.outcome IS NOT NULL THEN RETURN r; END IF;
  SELECT m.coalition_id INTO v_coalition FROM members m WHERE m.id = p_member_id AND m.status = 'ACTIVE';
  IF NOT FOUND THEN RETURN ledger_refusal('MEMBER_NOT_ELIGIBLE', NULL); END IF;
  SELECT m.id INTO v_to FROM members m
   WHERE m.coalition_id = v_coalition AND m.card_number = p_to_card AND m.status = 'ACTIVE';
  IF v_to IS NULL THEN RETURN ledger_refusal('NOT_FOUND', p_member_id); END IF;
  IF v_to = p_member_id THEN RETURN ledger_refusal('VALIDATION', p_member_id); END IF;

  PERFORM 1 FROM wallets WHERE member_id IN (p_member_id, v_to) ORDER BY member_id FOR UPDATE;
  r := ledger_replay(p_member_id, p_key, p_hash);
  IF r.outcome IS NOT NULL THEN RETURN r; END IF;
  v_date := ledger_business_date(v_coalition);
  SELECT coalesce(-sum(points), 0) INTO v_sent FROM ledger_transactions
   WHERE member_id = p_member_id AND kind = 'TRANSFER' AND points < 0 AND business_date = v_date;
  IF v_sent + p_points > p_max_per_day THEN
    RETURN ledger_refusal('LIMIT_EXCEEDED', p_member_id);
  END IF;
  IF ledger_available(p_member_id) < p_points THEN
    RETURN ledger_refusal('INSUFFICIENT_POINTS', p_member_id);
  END IF;
  IF NOT ledger_claim_key(p_member_id, p_key, p_hash, p_member_id, v_out) THEN
    RETURN ledger_replay(p_member_id, p_key, p_hash);
  END IF;
  v_clearing := ledger_house_account(v_coalition, 'TRANSFERS');
  INSERT INTO ledger_transactions (member_id, id, coalition_id, kind, points, business_date,
      explanation, counterparty_member_id)
  VALUES (p_member_id, v_out, v_coalition, 'TRANSFER', -p_points, v_date,
          ARRAY['Sent ' || p_points || ' points to card ' || p_to_card], v_to),
         (v_to, v_in, v_coalition, 'TRANSFER', p_points, v_date,
          ARRAY['Received ' || p_points || ' points from another member'], p_member_id);
  INSERT INTO ledger_entries (member_id, transaction_id, line, on_wallet, account_id, amount)
  VALUES (p_member_id, v_out, 1, true, NULL, -p_points),
         (p_member_id, v_out, 2, false, v_clearing, p_points);
  FOR v_lot IN SELECT * FROM ledger_consume_fifo(p_member_id, v_out, NULL, v_date, 'TRANSFER', p_points) LOOP
    INSERT INTO ledger_entries (member_id, transaction_id, line, on_wallet, account_id, amount)
    VALUES (v_to, v_in, v_line, true, NULL, v_lot.points),
           (v_to, v_in, v_line + 1, false, v_clearing, -v_lot.points);
    INSERT INTO lots (member_id, id, coalition_id, transaction_id, issuer_partner_id, points,
        remaining, available_at, expires_at)
    VALUES (v_to, coalition_uuid7(), v_coalition, v_in, v_lot.issuer_partner_id, v_lot.points,
        v_lot.points, now(), v_lot.expires_at);
    v_line := v_line + 2;
  END LOOP;
  RETURN ledger_result('POSTED', p_member_id, v_out);
END $$;

-- Reverses an EARN (takes back what is left of its lot, up to the request)
-- or a REDEEM (gives the points back to the lots they came from, keeping
-- their issuer). p_partner_id NULL: the operator, who may reverse anything in
-- the coalition; a partner may reverse only its own postings.
CREATE OR REPLACE FUNCTION ledger_reverse(
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
  v_line int;
  v_part bigint;
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
    -- The shop's own lot first, then the lots others funded with it.
    SELECT coalesce(sum(remaining), 0) INTO v_take FROM lots
     WHERE member_id = v_orig.member_id AND transaction_id = v_orig.id;
    v_take := least(v_want, v_take);
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
    v_left := v_take;
    v_line := 1;
    FOR v_lot IN
      SELECT id, remaining, issuer_partner_id FROM lots
       WHERE member_id = v_orig.member_id AND transaction_id = v_orig.id AND remaining > 0
       ORDER BY issuer_partner_id IS DISTINCT FROM v_orig.partner_id, id
    LOOP
      v_part := least(v_lot.remaining, v_left);
      INSERT INTO ledger_entries (member_id, transaction_id, line, on_wallet, account_id, amount)
      VALUES (v_orig.member_id, v_txn, v_line, true, NULL, -v_part),
             (v_orig.member_id, v_txn, v_line + 1, false,
              ledger_funder_account(p_coalition_id, v_lot.issuer_partner_id), v_part);
      INSERT INTO lot_consumptions (member_id, transaction_id, lot_id, issuer_partner_id, partner_id,
          business_date, kind, points)
      VALUES (v_orig.member_id, v_txn, v_lot.id, v_lot.issuer_partner_id, v_orig.partner_id,
          v_date, 'CLAWBACK', v_part);
      v_line := v_line + 2;
      v_left := v_left - v_part;
      EXIT WHEN v_left = 0;
    END LOOP;
    -- The purchase no longer counts (as much) towards tiers and caps.
    UPDATE member_activity_days SET
        points = points - v_take,
        spend_minor = spend_minor - CASE WHEN v_orig.points > 0
            THEN coalesce(v_orig.purchase_minor, 0) * v_take / v_orig.points ELSE 0 END
     WHERE member_id = v_orig.member_id AND day = v_orig.business_date;
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
