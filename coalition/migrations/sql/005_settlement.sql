-- A settlement run moves forward only (PROVISIONAL/COMPUTED -> APPROVED -> PAID),
-- and once approved its figures can never change: late corrections land in
-- the next open day's run.
CREATE FUNCTION settlement_forbid_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v_status text;
BEGIN
  SELECT status INTO v_status FROM settlement_runs WHERE id = OLD.run_id;
  IF v_status IN ('APPROVED', 'PAID') THEN
    RAISE EXCEPTION 'settlement run % is final', OLD.run_id USING ERRCODE = 'restrict_violation';
  END IF;
  RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;

CREATE FUNCTION settlement_forbid_new_rows_in_final() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (SELECT status FROM settlement_runs WHERE id = NEW.run_id) IN ('APPROVED', 'PAID') THEN
    RAISE EXCEPTION 'settlement run % is final', NEW.run_id USING ERRCODE = 'restrict_violation';
  END IF;
  RETURN NEW;
END $$;

CREATE TRIGGER settlement_lines_final BEFORE UPDATE OR DELETE ON settlement_lines
  FOR EACH ROW EXECUTE FUNCTION settlement_forbid_rewrite();
CREATE TRIGGER settlement_obligations_final BEFORE UPDATE OR DELETE ON settlement_obligations
  FOR EACH ROW EXECUTE FUNCTION settlement_forbid_rewrite();
CREATE TRIGGER settlement_matrix_final BEFORE UPDATE OR DELETE ON settlement_matrix
  FOR EACH ROW EXECUTE FUNCTION settlement_forbid_rewrite();
CREATE TRIGGER settlement_lines_new BEFORE INSERT ON settlement_lines
  FOR EACH ROW EXECUTE FUNCTION settlement_forbid_new_rows_in_final();
CREATE TRIGGER settlement_obligations_new BEFORE INSERT ON settlement_obligations
  FOR EACH ROW EXECUTE FUNCTION settlement_forbid_new_rows_in_final();
CREATE TRIGGER settlement_matrix_new BEFORE INSERT ON settlement_matrix
  FOR EACH ROW EXECUTE FUNCTION settlement_forbid_new_rows_in_final();

CREATE FUNCTION settlement_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' OR NOT (
       (OLD.status IN ('PROVISIONAL', 'COMPUTED') AND NEW.status IN ('PROVISIONAL', 'COMPUTED', 'APPROVED'))
    OR (OLD.status = 'APPROVED' AND NEW.status IN ('APPROVED', 'PAID')
        AND NEW.rounding_minor = OLD.rounding_minor AND NEW.business_date = OLD.business_date)
    OR (OLD.status = 'PAID' AND NEW.status = 'PAID' AND NEW IS NOT DISTINCT FROM OLD)
  ) THEN
    RAISE EXCEPTION 'settlement run % cannot go from % to %', OLD.id, OLD.status,
      CASE WHEN TG_OP = 'DELETE' THEN 'deleted' ELSE NEW.status END
      USING ERRCODE = 'restrict_violation';
  END IF;
  RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;

CREATE TRIGGER settlement_runs_forward BEFORE UPDATE OR DELETE ON settlement_runs
  FOR EACH ROW EXECUTE FUNCTION settlement_forward_only();
