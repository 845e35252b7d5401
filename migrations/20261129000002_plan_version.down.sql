DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['product_lines', 'products', 'environments', 'windows',
                             'window_environments', 'window_products', 'window_exceptions',
                             'releases', 'deployments', 'milestones'] LOOP
        EXECUTE format('DROP TRIGGER IF EXISTS %I ON %I', t || '_plan_changed', t);
    END LOOP;
END $$;
DROP FUNCTION IF EXISTS almanac_plan_changed();
ALTER TABLE tenants DROP COLUMN IF EXISTS plan_version;
