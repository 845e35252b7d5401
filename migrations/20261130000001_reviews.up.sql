-- Go/no-go reviews: the tenant's policy presets, review rounds on releases
-- (each with the policy it was opened with), one vote row per voter and
-- round, and the outbox of events for later delivery (webhooks, email).
-- Tenant-owned like every planning table: tenant_id leads every key and
-- foreign key, row-level security enabled and forced.

CREATE TABLE review_policies (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    id          uuid NOT NULL,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    description text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
    -- almanac_domain::review::Policy as JSON (stages, rules, voters by user id).
    policy      jsonb NOT NULL,
    revision    integer NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT review_policies_name_unique UNIQUE (tenant_id, name)
);

-- A review round: numbered per release (1, 2, ...); at most one open per
-- release. Closing records the decision, what the votes gave at that
-- moment, and the reason when the two differ.
CREATE TABLE reviews (
    tenant_id         uuid NOT NULL REFERENCES tenants (id),
    id                uuid NOT NULL,
    release_id        uuid NOT NULL,
    round             integer NOT NULL CHECK (round >= 1),
    kind              text NOT NULL CHECK (kind IN ('readiness', 'milestone', 'go_no_go')),
    meeting_at        timestamptz,
    policy_name       text NOT NULL,
    policy            jsonb NOT NULL,
    opened_by         uuid REFERENCES users (id),
    opened_at         timestamptz NOT NULL DEFAULT now(),
    decision          text CHECK (decision IN ('go', 'no_go')),
    computed_decision text CHECK (computed_decision IN ('pending', 'go', 'no_go')),
    override_reason   text NOT NULL DEFAULT '' CHECK (length(override_reason) <= 2000),
    closed_by         uuid REFERENCES users (id),
    closed_at         timestamptz,
    revision          integer NOT NULL DEFAULT 1,
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT reviews_round_unique UNIQUE (tenant_id, release_id, round),
    FOREIGN KEY (tenant_id, release_id) REFERENCES releases (tenant_id, id) ON DELETE CASCADE,
    CHECK ((closed_at IS NULL) = (decision IS NULL)),
    CHECK ((closed_at IS NULL) = (computed_decision IS NULL)),
    CHECK (decision IS NULL OR decision = computed_decision OR length(btrim(override_reason)) > 0)
);
CREATE UNIQUE INDEX reviews_one_open ON reviews (tenant_id, release_id) WHERE closed_at IS NULL;
CREATE INDEX reviews_open_idx ON reviews (tenant_id, meeting_at) WHERE closed_at IS NULL;
CREATE INDEX reviews_closed_idx ON reviews (tenant_id, closed_at) WHERE closed_at IS NOT NULL;

-- One row per (review, voter): the latest choice counts; every change is
-- also an audit event.
CREATE TABLE votes (
    tenant_id  uuid NOT NULL,
    review_id  uuid NOT NULL,
    voter_id   uuid NOT NULL REFERENCES users (id),
    choice     text NOT NULL CHECK (choice IN ('go', 'no_go', 'abstain')),
    comment    text NOT NULL DEFAULT '' CHECK (length(comment) <= 2000),
    cast_at    timestamptz NOT NULL DEFAULT now(),
    changed_at timestamptz NOT NULL DEFAULT now(),
    changes    integer NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, review_id, voter_id),
    FOREIGN KEY (tenant_id, review_id) REFERENCES reviews (tenant_id, id) ON DELETE CASCADE,
    CHECK (choice <> 'no_go' OR length(btrim(comment)) > 0)
);

-- Events written in the transaction that made them, for a deliverer to
-- send (webhooks, email) and mark; nothing is lost if delivery is down.
CREATE TABLE outbox (
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    id           uuid NOT NULL,
    topic        text NOT NULL,
    payload      jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    delivered_at timestamptz,
    attempts     integer NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX outbox_pending_idx ON outbox (created_at) WHERE delivered_at IS NULL;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['review_policies', 'reviews', 'votes', 'outbox']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY %I ON %I FOR ALL USING (tenant_id = almanac_tenant_id()) '
                       'WITH CHECK (tenant_id = almanac_tenant_id())', t || '_tenant', t);
    END LOOP;
END
$$;
