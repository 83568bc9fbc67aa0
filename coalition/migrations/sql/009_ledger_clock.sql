-- The posting functions' one clock. Business dates, lots' available_at and
-- expires_at, and which lots are spendable all follow ledger_now(): the
-- transaction's now(), unless the session has set coalition.clock, which only
-- a seed of past trade does (the demo, posting history day by day through the
-- real posting functions); the API never sets it. A LANGUAGE sql STABLE
-- function with no FROM is inlined into the queries that call it, so the
-- PL/pgSQL functions keep their cached plans and an earn costs what it did.

CREATE FUNCTION ledger_now() RETURNS timestamptz
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT coalesce(nullif(current_setting('coalition.clock', true), '')::timestamptz, now())
$$;

-- Every function of this schema that read now() reads ledger_now() instead,
-- each redefined from its own current definition (same signature, same body).
DO $$
DECLARE
  f oid;
BEGIN
  FOR f IN
    SELECT p.oid FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname = current_schema() AND p.prokind = 'f' AND p.proname <> 'ledger_now'
       AND p.prosrc LIKE '%now()%' AND p.prosrc NOT LIKE '%ledger_now()%'
  LOOP
    EXECUTE replace(pg_get_functiondef(f), 'now()', 'ledger_now()');
  END LOOP;
END $$;
