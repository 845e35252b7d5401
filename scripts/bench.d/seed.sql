-- scripts/bench: functions that seed the large data set, set-based
-- (generate_series and INSERT ... SELECT, never a row at a time).
--
-- Loaded into the bench's THROWAWAY cluster only, as the owner role (a
-- superuser there, so row-level security does not apply to the seeding).
-- Every row respects the schema of migrations/*.up.sql: CHECK constraints,
-- tenant-first foreign keys, the windows' `span` column, revisions (left at
-- their default 1). scripts/bench runs bench_releases with
-- session_replication_role = replica (foreign-key triggers off for the bulk
-- load; the rows are generated consistent).
--
--   bench_create_tenants(n, first)     tenants bench-001 .. (first .. first+n-1)
--   bench_prepare(slugs, from, to)     per tenant: 10 product lines, 200
--                                      products, the 4 environments, 100
--                                      recurring windows (95 release windows,
--                                      5 freezes), one year-end freeze a year
--   bench_year_end_freezes(slugs, first_year, last_year)
--                                      one-off year-end freezes
--   bench_releases(slugs, from, to, n, prefix)
--                                      n releases per tenant, go-lives spread
--                                      evenly over [from, to), each with 3
--                                      deployments and 6 milestones
--   bench_floor_tables()               the floor's tables
--
-- Rows are inserted in the order a live multi-tenant database receives them:
-- by creation time across all tenants of the call (not one tenant after the
-- other), so a tenant's month is spread over many heap pages, as in
-- production until the tables are CLUSTERed.

-- A time-ordered id (UUIDv7 layout, like the app's `Uuid::now_v7()`).
CREATE OR REPLACE FUNCTION bench_uuid7(p_at timestamptz) RETURNS uuid
    LANGUAGE sql VOLATILE AS $$
    SELECT (lpad(to_hex((extract(epoch FROM p_at) * 1000)::bigint), 12, '0') || '7'
            || substr(replace(gen_random_uuid()::text, '-', ''), 14, 19))::uuid
$$;

-- The instant of local date + time on the wall clock of p_zone.
CREATE OR REPLACE FUNCTION bench_at(p_day date, p_time time, p_zone text) RETURNS timestamptz
    LANGUAGE sql IMMUTABLE AS $$ SELECT (p_day + p_time) AT TIME ZONE p_zone $$;

-- What the seeding needs to know about each tenant.
CREATE TABLE IF NOT EXISTS bench_tenants (
    slug        text PRIMARY KEY,
    tenant_id   uuid NOT NULL,
    time_zone   text NOT NULL,
    owner_id    uuid,
    products    uuid[] NOT NULL,
    env_qa      uuid NOT NULL,
    env_staging uuid NOT NULL,
    env_prod    uuid NOT NULL
);

CREATE OR REPLACE FUNCTION bench_create_tenants(p_count int, p_first int DEFAULT 1) RETURNS void
    LANGUAGE sql AS $$
    INSERT INTO tenants (id, slug, name, time_zone)
    SELECT bench_uuid7(now()), format('bench-%s', lpad(g::text, 3, '0')),
           format('Bench tenant %s', g),
           (ARRAY['Europe/London', 'America/Chicago', 'Asia/Tokyo', 'UTC', 'Europe/Berlin',
                  'America/New_York', 'Australia/Sydney'])[1 + g % 7]
      FROM generate_series(p_first, p_first + p_count - 1) g
    ON CONFLICT (slug) DO NOTHING
$$;

-- One-off year-end freezes (Dec 15 00:00 – Jan 5 23:59 local) on qa,
-- staging and production, emergencies exempt, for the years p_first ..
-- p_last of each tenant in p_slugs.
CREATE OR REPLACE FUNCTION bench_year_end_freezes(p_slugs text[], p_first int, p_last int)
    RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    CREATE TEMP TABLE bf ON COMMIT DROP AS
    SELECT b.tenant_id, b.time_zone, ARRAY[b.env_qa, b.env_staging, b.env_prod] AS envs, y,
           bench_uuid7(now()) AS id
      FROM bench_tenants b
      CROSS JOIN generate_series(p_first, p_last) y
     WHERE b.slug = ANY (p_slugs);
    INSERT INTO windows (tenant_id, id, kind, name, reason, all_environments, all_products,
                         exempt_types, time_zone, starts_at, ends_at, span)
    SELECT tenant_id, id, 'freeze', format('Bench year-end freeze %s/%s', y, lpad(((y + 1) % 100)::text, 2, '0')),
           'Seeded by scripts/bench.', false, true, ARRAY['emergency'], time_zone,
           bench_at(make_date(y, 12, 15), '00:00', time_zone),
           bench_at(make_date(y + 1, 1, 5), '23:59', time_zone),
           tstzrange(bench_at(make_date(y, 12, 15), '00:00', time_zone),
                     bench_at(make_date(y + 1, 1, 5), '23:59', time_zone))
      FROM bf;
    INSERT INTO window_environments (tenant_id, window_id, environment_id)
    SELECT tenant_id, id, e FROM bf CROSS JOIN unnest(envs) e;
    DROP TABLE bf;
END
$$;

-- Product lines, products, environments and windows of each tenant in
-- p_slugs (all tenants at once: one statement per table).
CREATE OR REPLACE FUNCTION bench_prepare(p_slugs text[], p_from date, p_to date) RETURNS void
    LANGUAGE plpgsql AS $$
BEGIN
    CREATE TEMP TABLE bt ON COMMIT DROP AS
        SELECT t.id AS tenant_id, t.slug, t.time_zone,
               (SELECT m.user_id FROM memberships m JOIN users u ON u.id = m.user_id
                 WHERE m.tenant_id = t.id AND m.role = 'release_manager'
                 ORDER BY u.email LIMIT 1) AS owner_id
          FROM tenants t WHERE t.slug = ANY (p_slugs);

    INSERT INTO product_lines (tenant_id, id, name, position)
    SELECT bt.tenant_id, bench_uuid7(now()), format('Bench line %s', l), 100 + l
      FROM bt, generate_series(1, 10) l
    ON CONFLICT DO NOTHING;

    -- 200 products, 20 in each of the 10 lines, keys B001 .. B200.
    INSERT INTO products (tenant_id, id, key, name, description, colour, product_line_id)
    SELECT bt.tenant_id, bench_uuid7(now()), format('B%s', lpad(p::text, 3, '0')),
           format('Bench product %s', p), 'Seeded by scripts/bench.',
           (ARRAY['#2457c5', '#0f766e', '#1d6b34', '#4d7c0f', '#b45309',
                  '#b3261e', '#be185d', '#7e22ce', '#4338ca', '#475569'])[1 + p % 10],
           pl.id
      FROM bt CROSS JOIN generate_series(1, 200) p
      JOIN product_lines pl ON pl.tenant_id = bt.tenant_id
                           AND pl.name = format('Bench line %s', 1 + (p - 1) / 20)
    ON CONFLICT DO NOTHING;

    -- The four environments (a tenant that has them, like acme, keeps its own).
    INSERT INTO environments (tenant_id, id, name, position, shared, requires_window, is_production)
    SELECT bt.tenant_id, bench_uuid7(now()), e.name, e.position, e.shared, e.requires_window, e.prod
      FROM bt CROSS JOIN (VALUES ('dev', 1, true, false, false), ('qa', 2, true, false, false),
                                 ('staging', 3, false, false, false),
                                 ('production', 4, false, true, true))
                         AS e (name, position, shared, requires_window, prod)
    ON CONFLICT DO NOTHING;

    INSERT INTO bench_tenants (slug, tenant_id, time_zone, owner_id, products, env_qa, env_staging, env_prod)
    SELECT bt.slug, bt.tenant_id, bt.time_zone, bt.owner_id,
           (SELECT array_agg(p.id ORDER BY p.key) FROM products p
             WHERE p.tenant_id = bt.tenant_id AND p.key ~ '^B[0-9]{3}$'),
           (SELECT e.id FROM environments e WHERE e.tenant_id = bt.tenant_id AND e.name = 'qa'),
           (SELECT e.id FROM environments e WHERE e.tenant_id = bt.tenant_id AND e.name = 'staging'),
           (SELECT e.id FROM environments e WHERE e.tenant_id = bt.tenant_id AND e.is_production AND NOT e.archived)
      FROM bt
    ON CONFLICT (slug) DO NOTHING;

    -- 100 recurring windows: w 1..5 are freezes, 6..100 release windows.
    -- Rules cycle through weekly and monthly patterns; most cover
    -- production only, every 10th staging; every 7th release window covers
    -- 4 products instead of all. Endless series: span = [first start, ∞).
    CREATE TEMP TABLE bw ON COMMIT DROP AS
    SELECT b.tenant_id, b.time_zone, b.env_prod, b.env_staging, b.products, w,
           bench_uuid7(now()) AS id,
           CASE WHEN w <= 5 THEN 'freeze' ELSE 'release' END AS kind,
           CASE WHEN w <= 5 THEN (ARRAY['FREQ=MONTHLY;BYMONTHDAY=-1', 'FREQ=MONTHLY;BYMONTHDAY=1',
                                        'FREQ=YEARLY;BYMONTH=11;BYDAY=4TH', 'FREQ=MONTHLY;BYDAY=1MO',
                                        'FREQ=WEEKLY;BYDAY=FR'])[w]
                ELSE (ARRAY['FREQ=WEEKLY;BYDAY=TU,TH', 'FREQ=WEEKLY;BYDAY=MO', 'FREQ=WEEKLY;INTERVAL=2;BYDAY=SA',
                            'FREQ=MONTHLY;BYDAY=2TU', 'FREQ=WEEKLY;BYDAY=WE', 'FREQ=MONTHLY;BYDAY=-1FR',
                            'FREQ=MONTHLY;BYMONTHDAY=15', 'FREQ=WEEKLY;BYDAY=MO,WE,FR',
                            'FREQ=DAILY;INTERVAL=3', 'FREQ=MONTHLY;BYDAY=1SU,3SU'])[1 + w % 10]
           END AS rrule,
           (ARRAY[time '22:00', time '06:00', time '20:00', time '23:30'])[1 + w % 4] AS local_start,
           (ARRAY[time '02:00', time '12:00', time '23:00', time '03:30'])[1 + w % 4] AS local_end,
           (p_from - (w % 6) * interval '1 month')::date AS series_start
      FROM bench_tenants b CROSS JOIN generate_series(1, 100) w
     WHERE b.slug = ANY (p_slugs);

    INSERT INTO windows (tenant_id, id, kind, name, reason, all_environments, all_products,
                         exempt_types, time_zone, rrule, series_start, local_start, local_end,
                         capacity, span)
    SELECT tenant_id, id, kind,
           CASE WHEN kind = 'freeze' THEN format('Bench freeze %s', w)
                ELSE format('Bench release window %s', w) END,
           'Seeded by scripts/bench.', false, NOT (kind = 'release' AND w % 7 = 0),
           CASE WHEN kind = 'freeze' THEN ARRAY['emergency'] ELSE '{}' END,
           time_zone, rrule, series_start,
           CASE WHEN kind = 'freeze' THEN time '00:00' ELSE local_start END,
           CASE WHEN kind = 'freeze' THEN time '23:59' ELSE local_end END,
           CASE WHEN kind = 'release' THEN 2 + w % 9 END,
           tstzrange(bench_at(series_start,
                              CASE WHEN kind = 'freeze' THEN time '00:00' ELSE local_start END,
                              time_zone), NULL)
      FROM bw;
    INSERT INTO window_environments (tenant_id, window_id, environment_id)
    SELECT tenant_id, id, CASE WHEN w % 10 = 0 THEN env_staging ELSE env_prod END FROM bw;
    INSERT INTO window_products (tenant_id, window_id, product_id)
    SELECT tenant_id, id, products[1 + (w * 13 + k * 50) % 200]
      FROM bw CROSS JOIN generate_series(0, 3) k
     WHERE kind = 'release' AND w % 7 = 0;

    PERFORM bench_year_end_freezes(p_slugs, extract(year FROM p_from)::int - 1,
                                   extract(year FROM p_to)::int);
END
$$;

-- p_count releases for each tenant of p_slugs, go-lives spread evenly over
-- [p_from, p_to), product i mod 200, version p_prefix || "major.minor.0".
-- Each release: deployments to qa (go-live − 7 days, 10:00), staging
-- (− 3 days, 09:00) and production (go-live, 20:00–23:00 start, 2 hours),
-- and 6 milestones (scope freeze −28 d, code freeze −14 d, QA sign-off −5 d,
-- go/no-go −1 d, go-live, post-release review +7 d). Past releases are
-- released (1 in 50 rolled back, 1 in 50 cancelled) with actual times and
-- done milestones; future ones planned, scheduled or approved.
-- Inserted in chunks of p_chunk releases per tenant, each chunk in creation
-- order across the tenants.
CREATE OR REPLACE FUNCTION bench_releases(p_slugs text[], p_from date, p_to date, p_count int,
                                          p_prefix text DEFAULT '', p_chunk int DEFAULT 1000)
    RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_days int := p_to - p_from;
    v_first int := 1;
    v_rows bigint := 0;
    v_n bigint;
BEGIN
    WHILE v_first <= p_count LOOP
        WITH src AS (
            SELECT b.tenant_id, b.owner_id, b.env_qa, b.env_staging, b.env_prod, i,
                   b.products[1 + (i - 1) % cardinality(b.products)] AS product_id,
                   (i - 1) / cardinality(b.products) + 1 AS nth,
                   bench_at(p_from + ((i - 1)::bigint * v_days / p_count)::int,
                            make_time(20 + i % 4, 0, 0), b.time_zone) AS go_live
              FROM bench_tenants b
              CROSS JOIN generate_series(v_first, least(v_first + p_chunk - 1, p_count)) i
             WHERE b.slug = ANY (p_slugs)
        ), rel AS (
            SELECT src.*, go_live - interval '45 days' AS created,
                   CASE WHEN go_live < now() - interval '1 day' THEN
                            CASE i % 50 WHEN 7 THEN 'rolled_back' WHEN 13 THEN 'cancelled' ELSE 'released' END
                        WHEN go_live < now() + interval '14 days' THEN
                            CASE i % 3 WHEN 0 THEN 'approved' ELSE 'scheduled' END
                        ELSE CASE i % 3 WHEN 0 THEN 'scheduled' ELSE 'planned' END
                   END AS status
              FROM src
        ), r AS (
            INSERT INTO releases (tenant_id, id, product_id, version, title, type, status, owner_id,
                                  risk, baseline_go_live, created_at, updated_at)
            SELECT tenant_id, bench_uuid7(created), product_id,
                   format('%s%s.%s.0', p_prefix, nth / 10 + 1, nth % 10),
                   (ARRAY['Quarterly features', 'Performance work', 'Security fixes', 'New reports',
                          'Regulatory changes', 'Partner integration', 'UI refresh', 'Bug fixes',
                          'Platform upgrade', 'Data migration'])[1 + i % 10],
                   (ARRAY['major', 'major', 'minor', 'minor', 'minor', 'minor', 'minor', 'minor',
                          'minor', 'minor', 'patch', 'patch', 'patch', 'patch', 'patch', 'patch',
                          'hotfix', 'hotfix', 'emergency', 'minor'])[1 + i % 20],
                   status, CASE WHEN i % 4 = 0 THEN owner_id END,
                   (ARRAY['low', 'medium', 'high'])[1 + i % 3], go_live, created, created
              FROM rel ORDER BY created, tenant_id
            RETURNING tenant_id, id, baseline_go_live AS go_live, status, created_at
        ), d AS (
            INSERT INTO deployments (tenant_id, id, release_id, environment_id, planned_start,
                                     planned_end, actual_start, actual_end, result, created_at, updated_at)
            SELECT r.tenant_id, bench_uuid7(r.created_at), r.id, x.env, x.start_at,
                   x.start_at + interval '2 hours',
                   CASE WHEN r.status IN ('released', 'rolled_back') THEN x.start_at END,
                   CASE WHEN r.status IN ('released', 'rolled_back') THEN x.start_at + interval '2 hours' END,
                   CASE WHEN r.status = 'released' THEN 'succeeded'
                        WHEN r.status = 'rolled_back' THEN
                             CASE WHEN x.env = s.env_prod THEN 'rolled_back' ELSE 'succeeded' END
                   END,
                   r.created_at, r.created_at
              FROM r
              JOIN bench_tenants s ON s.tenant_id = r.tenant_id
              CROSS JOIN LATERAL (VALUES (s.env_qa, r.go_live - interval '7 days' - interval '10 hours'),
                                         (s.env_staging, r.go_live - interval '3 days' - interval '11 hours'),
                                         (s.env_prod, r.go_live)) AS x (env, start_at)
             ORDER BY r.created_at, r.tenant_id
            RETURNING 1
        ), m AS (
            INSERT INTO milestones (tenant_id, id, release_id, name, due_at, done_at, created_at, updated_at)
            SELECT r.tenant_id, bench_uuid7(r.created_at), r.id, x.name, x.due,
                   CASE WHEN x.due < now() AND r.status <> 'cancelled' THEN x.due END,
                   r.created_at, r.created_at
              FROM r
              CROSS JOIN LATERAL (VALUES ('Scope freeze', r.go_live - interval '28 days' - interval '3 hours'),
                                         ('Code freeze', r.go_live - interval '14 days' - interval '3 hours'),
                                         ('QA sign-off', r.go_live - interval '5 days' - interval '3 hours'),
                                         ('Go/no-go', r.go_live - interval '1 day' - interval '5 hours'),
                                         ('Go-live', r.go_live),
                                         ('Post-release review', r.go_live + interval '7 days' - interval '10 hours'))
                                  AS x (name, due)
             ORDER BY r.created_at, r.tenant_id
            RETURNING 1
        )
        SELECT (SELECT count(*) FROM r) + (SELECT count(*) FROM d) + (SELECT count(*) FROM m) INTO v_n;
        v_rows := v_rows + v_n;
        v_first := v_first + p_chunk;
    END LOOP;
    RETURN v_rows;
END
$$;

-- The floor's tables: 100 000 rows of Fortunes-like messages, and the
-- classic 12-row Fortunes table.
CREATE OR REPLACE FUNCTION bench_floor_tables() RETURNS void
    LANGUAGE plpgsql AS $$
BEGIN
    DROP TABLE IF EXISTS floor_fortunes, floor_fortunes_classic;
    CREATE TABLE floor_fortunes (id integer PRIMARY KEY, message text NOT NULL);
    INSERT INTO floor_fortunes (id, message)
    SELECT g, format('Fortune %s: %s', g,
                     (ARRAY['A computer scientist is someone who fixes things that aren''t broken.',
                            'After enough decimal places, nobody gives a damn.',
                            'A bad random number generator: 1, 1, 1, 1, 1, 4.33e+67, 1, 1, 1',
                            'A computer program does what you tell it to do, not what you want it to do.',
                            'Emacs is a nice operating system, but I prefer UNIX. — Tom Christaensen',
                            'Any program that runs right is obsolete.',
                            'A list is only as strong as its weakest link. — Donald Knuth',
                            'Feature: A bug with seniority.',
                            'Computers make very fast, very accurate mistakes.',
                            '<script>alert("This should not be displayed in a browser alert box.");</script>'])[1 + g % 10])
      FROM generate_series(1, 100000) g;
    CREATE TABLE floor_fortunes_classic (id integer PRIMARY KEY, message text NOT NULL);
    INSERT INTO floor_fortunes_classic (id, message) VALUES
        (1, 'fortune: No such file or directory'),
        (2, 'A computer scientist is someone who fixes things that aren''t broken.'),
        (3, 'After enough decimal places, nobody gives a damn.'),
        (4, 'A bad random number generator: 1, 1, 1, 1, 1, 4.33e+67, 1, 1, 1'),
        (5, 'A computer program does what you tell it to do, not what you want it to do.'),
        (6, 'Emacs is a nice operating system, but I prefer UNIX. — Tom Christaensen'),
        (7, 'Any program that runs right is obsolete.'),
        (8, 'A list is only as strong as its weakest link. — Donald Knuth'),
        (9, 'Feature: A bug with seniority.'),
        (10, 'Computers make very fast, very accurate mistakes.'),
        (11, '<script>alert("This should not be displayed in a browser alert box.");</script>'),
        (12, 'フレームワークのベンチマーク');
    GRANT SELECT ON floor_fortunes, floor_fortunes_classic TO PUBLIC;
END
$$;
