-- Planning records: product lines, products, environments, windows and
-- freezes, release trains, releases, deployments, milestones, checklists,
-- release templates. Every table is tenant-owned: tenant_id leads every key
-- and every foreign key, and row-level security is enabled and forced.
-- Optimistic locking: every editable record carries `revision`.

-- GiST indexes on (tenant_id, range) need btree_gist (a trusted extension).
CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE product_lines (
    tenant_id  uuid NOT NULL REFERENCES tenants (id),
    id         uuid NOT NULL,
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    position   integer NOT NULL DEFAULT 0,
    revision   integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, name)
);

CREATE TABLE products (
    tenant_id       uuid NOT NULL REFERENCES tenants (id),
    id              uuid NOT NULL,
    key             text NOT NULL CHECK (key ~ '^[A-Z0-9]{2,10}$'),
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    description     text NOT NULL DEFAULT '',
    owner_id        uuid,
    colour          text NOT NULL DEFAULT '#2457c5' CHECK (colour ~ '^#[0-9a-f]{6}$'),
    product_line_id uuid,
    archived        boolean NOT NULL DEFAULT false,
    revision        integer NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT products_key_unique UNIQUE (tenant_id, key),
    FOREIGN KEY (tenant_id, owner_id) REFERENCES memberships (tenant_id, user_id)
        ON DELETE SET NULL (owner_id),
    FOREIGN KEY (tenant_id, product_line_id) REFERENCES product_lines (tenant_id, id)
        ON DELETE SET NULL (product_line_id)
);
CREATE INDEX products_line_idx ON products (tenant_id, product_line_id);

CREATE TABLE environments (
    tenant_id       uuid NOT NULL REFERENCES tenants (id),
    id              uuid NOT NULL,
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 60),
    position        integer NOT NULL DEFAULT 0,
    shared          boolean NOT NULL DEFAULT false,
    requires_window boolean NOT NULL DEFAULT false,
    is_production   boolean NOT NULL DEFAULT false,
    archived        boolean NOT NULL DEFAULT false,
    revision        integer NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT environments_name_unique UNIQUE (tenant_id, name)
);
-- At most one production environment per tenant.
CREATE UNIQUE INDEX environments_one_production ON environments (tenant_id)
    WHERE is_production AND NOT archived;

-- A window is a one-off period (starts_at, ends_at) or a recurring series:
-- an RFC 5545 RRULE expanded from series_start (a local date) at local_start,
-- each occurrence lasting until the next local_end (past midnight when
-- local_end <= local_start), all on the wall clock of time_zone.
CREATE TABLE windows (
    tenant_id        uuid NOT NULL REFERENCES tenants (id),
    id               uuid NOT NULL,
    kind             text NOT NULL CHECK (kind IN ('release', 'freeze')),
    name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    reason           text NOT NULL DEFAULT '',
    all_environments boolean NOT NULL DEFAULT true,
    all_products     boolean NOT NULL DEFAULT true,
    exempt_types     text[] NOT NULL DEFAULT '{}',
    time_zone        text NOT NULL,
    starts_at        timestamptz,
    ends_at          timestamptz,
    rrule            text,
    series_start     date,
    local_start      time,
    local_end        time,
    capacity         integer CHECK (capacity >= 1),
    -- The instants the window can touch: the one-off period, or from the
    -- series start to its end (unbounded for endless series). Lets calendar
    -- queries fetch only windows that may overlap the visible range.
    span             tstzrange NOT NULL,
    archived         boolean NOT NULL DEFAULT false,
    revision         integer NOT NULL DEFAULT 1,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    CHECK (kind = 'release' OR capacity IS NULL),
    CHECK (kind = 'freeze' OR exempt_types = '{}'),
    CHECK (exempt_types <@ ARRAY['major', 'minor', 'patch', 'hotfix', 'emergency']),
    CHECK ((rrule IS NULL AND starts_at IS NOT NULL AND ends_at > starts_at
            AND series_start IS NULL AND local_start IS NULL AND local_end IS NULL)
        OR (rrule IS NOT NULL AND starts_at IS NULL AND ends_at IS NULL
            AND series_start IS NOT NULL AND local_start IS NOT NULL AND local_end IS NOT NULL
            AND local_start <> local_end))
);
CREATE INDEX windows_span_idx ON windows USING gist (tenant_id, span);

CREATE TABLE window_environments (
    tenant_id      uuid NOT NULL,
    window_id      uuid NOT NULL,
    environment_id uuid NOT NULL,
    PRIMARY KEY (tenant_id, window_id, environment_id),
    FOREIGN KEY (tenant_id, window_id) REFERENCES windows (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, environment_id) REFERENCES environments (tenant_id, id)
);

CREATE TABLE window_products (
    tenant_id  uuid NOT NULL,
    window_id  uuid NOT NULL,
    product_id uuid NOT NULL,
    PRIMARY KEY (tenant_id, window_id, product_id),
    FOREIGN KEY (tenant_id, window_id) REFERENCES windows (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, product_id) REFERENCES products (tenant_id, id)
);

-- A cancelled occurrence of a recurring window, named by the local date its
-- occurrence starts on.
CREATE TABLE window_exceptions (
    tenant_id       uuid NOT NULL,
    window_id       uuid NOT NULL,
    occurrence_date date NOT NULL,
    reason          text NOT NULL DEFAULT '',
    created_by      uuid,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, window_id, occurrence_date),
    FOREIGN KEY (tenant_id, window_id) REFERENCES windows (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE release_trains (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    id          uuid NOT NULL,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    description text NOT NULL DEFAULT '',
    revision    integer NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT release_trains_name_unique UNIQUE (tenant_id, name)
);

CREATE TABLE release_templates (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    id          uuid NOT NULL,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    description text NOT NULL DEFAULT '',
    revision    integer NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT release_templates_name_unique UNIQUE (tenant_id, name)
);

-- "Code freeze: go-live − 7 days at 17:00" = offset_days -7, at_time 17:00
-- (local, tenant zone); at_time NULL keeps go-live's time of day.
CREATE TABLE template_milestones (
    tenant_id   uuid NOT NULL,
    id          uuid NOT NULL,
    template_id uuid NOT NULL,
    position    integer NOT NULL,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    offset_days integer NOT NULL CHECK (offset_days BETWEEN -365 AND 365),
    at_time     time,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, template_id) REFERENCES release_templates (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX template_milestones_template_idx ON template_milestones (tenant_id, template_id, position);

CREATE TABLE template_checklist_items (
    tenant_id   uuid NOT NULL,
    id          uuid NOT NULL,
    template_id uuid NOT NULL,
    position    integer NOT NULL,
    title       text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, template_id) REFERENCES release_templates (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX template_checklist_template_idx ON template_checklist_items (tenant_id, template_id, position);

CREATE TABLE releases (
    tenant_id        uuid NOT NULL REFERENCES tenants (id),
    id               uuid NOT NULL,
    product_id       uuid NOT NULL,
    version          text NOT NULL CHECK (length(version) BETWEEN 1 AND 40),
    title            text NOT NULL DEFAULT '',
    type             text NOT NULL CHECK (type IN ('major', 'minor', 'patch', 'hotfix', 'emergency')),
    status           text NOT NULL DEFAULT 'planned'
                     CHECK (status IN ('planned', 'scheduled', 'approved', 'rejected',
                                       'in_progress', 'released', 'rolled_back', 'cancelled')),
    owner_id         uuid,
    risk             text NOT NULL DEFAULT 'medium' CHECK (risk IN ('low', 'medium', 'high')),
    notes            text NOT NULL DEFAULT '',
    baseline_go_live timestamptz,
    release_train_id uuid,
    template_id      uuid,
    revision         integer NOT NULL DEFAULT 1,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT releases_version_unique UNIQUE (tenant_id, product_id, version),
    FOREIGN KEY (tenant_id, product_id) REFERENCES products (tenant_id, id),
    FOREIGN KEY (tenant_id, owner_id) REFERENCES memberships (tenant_id, user_id)
        ON DELETE SET NULL (owner_id),
    FOREIGN KEY (tenant_id, release_train_id) REFERENCES release_trains (tenant_id, id)
        ON DELETE SET NULL (release_train_id),
    FOREIGN KEY (tenant_id, template_id) REFERENCES release_templates (tenant_id, id)
        ON DELETE SET NULL (template_id)
);
CREATE INDEX releases_product_idx ON releases (tenant_id, product_id, created_at DESC);
CREATE INDEX releases_status_idx ON releases (tenant_id, status);
CREATE INDEX releases_train_idx ON releases (tenant_id, release_train_id) WHERE release_train_id IS NOT NULL;

CREATE TABLE deployments (
    tenant_id       uuid NOT NULL,
    id              uuid NOT NULL,
    release_id      uuid NOT NULL,
    environment_id  uuid NOT NULL,
    planned_start   timestamptz,
    planned_end     timestamptz,
    actual_start    timestamptz,
    actual_end      timestamptz,
    result          text CHECK (result IN ('succeeded', 'failed', 'rolled_back')),
    -- Break-glass: the written reason a release manager gave to schedule over
    -- a blocking conflict (the calendar issue fills it).
    override_reason text,
    planned         tstzrange GENERATED ALWAYS AS (tstzrange(planned_start, planned_end)) STORED,
    revision        integer NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT deployments_environment_unique UNIQUE (tenant_id, release_id, environment_id),
    FOREIGN KEY (tenant_id, release_id) REFERENCES releases (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, environment_id) REFERENCES environments (tenant_id, id),
    CHECK ((planned_start IS NULL) = (planned_end IS NULL)),
    CHECK (planned_end > planned_start),
    CHECK (actual_end IS NULL OR (actual_start IS NOT NULL AND actual_end >= actual_start))
);
CREATE INDEX deployments_planned_idx ON deployments USING gist (tenant_id, planned);
CREATE INDEX deployments_release_idx ON deployments (tenant_id, release_id);
CREATE INDEX deployments_environment_idx ON deployments (tenant_id, environment_id, planned_start);

CREATE TABLE milestones (
    tenant_id  uuid NOT NULL,
    id         uuid NOT NULL,
    release_id uuid NOT NULL,
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    due_at     timestamptz NOT NULL,
    done_at    timestamptz,
    owner_id   uuid,
    revision   integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, release_id) REFERENCES releases (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, owner_id) REFERENCES memberships (tenant_id, user_id)
        ON DELETE SET NULL (owner_id)
);
CREATE INDEX milestones_release_idx ON milestones (tenant_id, release_id, due_at);
CREATE INDEX milestones_due_idx ON milestones (tenant_id, due_at) WHERE done_at IS NULL;

CREATE TABLE checklist_items (
    tenant_id  uuid NOT NULL,
    id         uuid NOT NULL,
    release_id uuid NOT NULL,
    position   integer NOT NULL,
    title      text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    notes      text NOT NULL DEFAULT '',
    done_at    timestamptz,
    done_by    uuid REFERENCES users (id),
    revision   integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, release_id) REFERENCES releases (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX checklist_items_release_idx ON checklist_items (tenant_id, release_id, position);

-- Row-level security on every table above.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['product_lines', 'products', 'environments', 'windows',
        'window_environments', 'window_products', 'window_exceptions', 'release_trains',
        'release_templates', 'template_milestones', 'template_checklist_items', 'releases',
        'deployments', 'milestones', 'checklist_items']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY %I ON %I FOR ALL USING (tenant_id = almanac_tenant_id()) '
                       'WITH CHECK (tenant_id = almanac_tenant_id())', t || '_tenant', t);
    END LOOP;
END
$$;
