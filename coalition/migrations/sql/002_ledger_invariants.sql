-- The ledger's invariants (entries balance, wallets equal their entries and lots,
-- nothing negative, lots add up), enforced by the database so no code path can skip them.

-- Written once, never updated or deleted: corrections are new transactions.
CREATE FUNCTION ledger_forbid_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'ledger rows are immutable (% on %)', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'restrict_violation';
END $$;

CREATE TRIGGER ledger_transactions_immutable BEFORE UPDATE OR DELETE ON ledger_transactions
  FOR EACH ROW EXECUTE FUNCTION ledger_forbid_change();
CREATE TRIGGER ledger_entries_immutable BEFORE UPDATE OR DELETE ON ledger_entries
  FOR EACH ROW EXECUTE FUNCTION ledger_forbid_change();
CREATE TRIGGER lot_consumptions_immutable BEFORE UPDATE OR DELETE ON lot_consumptions
  FOR EACH ROW EXECUTE FUNCTION ledger_forbid_change();
CREATE TRIGGER idempotency_keys_immutable BEFORE UPDATE OR DELETE ON idempotency_keys
  FOR EACH ROW EXECUTE FUNCTION ledger_forbid_change();

-- Derived columns (wallet balances, lot counters) change only through the
-- triggers below, never by a statement of their own.
CREATE FUNCTION ledger_forbid_direct_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF pg_trigger_depth() < 2 THEN
    RAISE EXCEPTION '% is maintained from the ledger and cannot be changed directly', TG_TABLE_NAME
      USING ERRCODE = 'restrict_violation';
  END IF;
  RETURN NEW;
END $$;

CREATE TRIGGER wallets_derived BEFORE UPDATE OR DELETE ON wallets
  FOR EACH ROW EXECUTE FUNCTION ledger_forbid_direct_update();
CREATE TRIGGER lots_derived BEFORE UPDATE OR DELETE ON lots
  FOR EACH ROW EXECUTE FUNCTION ledger_forbid_direct_update();

-- Invariant 1: each transaction's entries sum to zero (checked at commit,
-- once all of its entries are in).
CREATE FUNCTION ledger_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  total bigint;
BEGIN
  SELECT sum(amount) INTO total FROM ledger_entries
   WHERE member_id = NEW.member_id AND transaction_id = NEW.transaction_id;
  IF total <> 0 THEN
    RAISE EXCEPTION 'transaction % entries sum to %, not 0', NEW.transaction_id, total
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER ledger_entries_balanced AFTER INSERT ON ledger_entries
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_balanced();

-- Invariant 2: a wallet's balance is the sum of its entries (kept by this
-- trigger) and equals the sum of its lots' remaining points (checked at commit).
CREATE FUNCTION ledger_apply_wallet_entry() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE wallets SET balance = balance + NEW.amount WHERE member_id = NEW.member_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no wallet for member %', NEW.member_id USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER ledger_entries_to_wallet AFTER INSERT ON ledger_entries
  FOR EACH ROW WHEN (NEW.on_wallet) EXECUTE FUNCTION ledger_apply_wallet_entry();

CREATE FUNCTION ledger_apply_new_lot() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.remaining <> NEW.points OR NEW.consumed <> 0 OR NEW.reversed <> 0 OR NEW.expired <> 0 THEN
    RAISE EXCEPTION 'a new lot starts whole' USING ERRCODE = 'check_violation';
  END IF;
  UPDATE wallets SET lots_remaining = lots_remaining + NEW.points WHERE member_id = NEW.member_id;
  RETURN NULL;
END $$;

CREATE TRIGGER lots_to_wallet AFTER INSERT ON lots
  FOR EACH ROW EXECUTE FUNCTION ledger_apply_new_lot();

-- Invariants 3 and 4 hold through CHECKs on lots (counters never negative and
-- always adding up to the lot's points); this trigger moves the counters.
CREATE FUNCTION ledger_apply_consumption() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  delta bigint := CASE WHEN NEW.kind = 'RESTORE' THEN NEW.points ELSE -NEW.points END;
BEGIN
  UPDATE lots SET
      remaining = remaining + delta,
      consumed = consumed + CASE NEW.kind WHEN 'REDEEM' THEN NEW.points
                                          WHEN 'RESTORE' THEN -NEW.points ELSE 0 END,
      reversed = reversed + CASE WHEN NEW.kind = 'CLAWBACK' THEN NEW.points ELSE 0 END,
      expired = expired + CASE WHEN NEW.kind = 'EXPIRE' THEN NEW.points ELSE 0 END
   WHERE member_id = NEW.member_id AND id = NEW.lot_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no lot %', NEW.lot_id USING ERRCODE = 'foreign_key_violation';
  END IF;
  UPDATE wallets SET lots_remaining = lots_remaining + delta WHERE member_id = NEW.member_id;
  RETURN NULL;
END $$;

CREATE TRIGGER lot_consumptions_to_lot AFTER INSERT ON lot_consumptions
  FOR EACH ROW EXECUTE FUNCTION ledger_apply_consumption();

CREATE FUNCTION ledger_check_wallet() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  w wallets;
BEGIN
  SELECT * INTO w FROM wallets WHERE member_id = NEW.member_id;
  IF w.balance <> w.lots_remaining THEN
    RAISE EXCEPTION 'wallet % balance % differs from its lots'' remaining %',
      w.member_id, w.balance, w.lots_remaining USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER wallets_match_lots AFTER INSERT OR UPDATE ON wallets
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_wallet();
