-- A tenant's plan version: bumped once by every committed transaction that
-- changes the tenant's planning records, so the server can keep what it
-- computed from the plan (calendar conflicts, feeds) and know for certain
-- when it is stale. The bump is a deferred constraint trigger: it runs at
-- commit, as the transaction's last lock, so it commits with the change
-- (no reader sees the new version without the change, or the reverse) and
-- cannot deadlock with the transaction's own row locks.
ALTER TABLE tenants ADD COLUMN plan_version bigint NOT NULL DEFAULT 0;

-- SECURITY DEFINER: runs as the schema owner (tenants is not FORCE row-level
-- security, so the owner may update it whatever app.tenant_id says); the
-- serving role gets no UPDATE path to tenants from it but this counter.
CREATE FUNCTION almanac_plan_changed() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_tenant uuid;
    v_done text := coalesce(current_setting('almanac.plan_bumped', true), '');
BEGIN
    IF TG_OP = 'DELETE' THEN
        v_tenant := OLD.tenant_id;
    ELSE
        v_tenant := NEW.tenant_id;
    END IF;
    -- Once per tenant and transaction, however many rows it changed.
    IF strpos(v_done, v_tenant::text) = 0 THEN
        UPDATE tenants SET plan_version = plan_version + 1 WHERE id = v_tenant;
        PERFORM set_config('almanac.plan_bumped', v_done || v_tenant::text || ',', true);
    END IF;
    RETURN NULL;
END $$;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['product_lines', 'products', 'environments', 'windows',
                             'window_environments', 'window_products', 'window_exceptions',
                             'releases', 'deployments', 'milestones'] LOOP
        EXECUTE format('CREATE CONSTRAINT TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON %I '
                       'DEFERRABLE INITIALLY DEFERRED FOR EACH ROW '
                       'EXECUTE FUNCTION almanac_plan_changed()', t || '_plan_changed', t);
    END LOOP;
END $$;
