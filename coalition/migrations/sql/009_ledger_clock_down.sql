DO $$
DECLARE
  f oid;
BEGIN
  FOR f IN
    SELECT p.oid FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname = current_schema() AND p.prokind = 'f' AND p.proname <> 'ledger_now'
       AND p.prosrc LIKE '%ledger_now()%'
  LOOP
    EXECUTE replace(pg_get_functiondef(f), 'ledger_now()', 'now()');
  END LOOP;
END $$;

DROP FUNCTION ledger_now();
