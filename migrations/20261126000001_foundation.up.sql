-- Foundation: tenants, accounts, memberships, sessions, login throttling,
-- the append-only audit trail, and row-level security on tenant data.
--
-- The serving role is granted its privileges by `almanac migrate` (the role
-- name comes from ALMANAC_APP_DATABASE_URL), not here.

-- The tenant and user a transaction acts for. Both are set with
-- set_config(..., true) (transaction-local) by almanac_enter() or by the
-- admin helpers; a missing setting reads as NULL, so policies match nothing.
CREATE FUNCTION almanac_tenant_id() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT nullif(current_setting('app.tenant_id', true), '')::uuid $$;

CREATE FUNCTION almanac_user_id() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT nullif(current_setting('app.user_id', true), '')::uuid $$;

CREATE TABLE tenants (
    id                  uuid PRIMARY KEY,
    slug                text NOT NULL UNIQUE
                        CHECK (slug ~ '^[a-z][a-z0-9-]{1,39}$'),
    name                text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    time_zone           text NOT NULL,
    week_start          smallint NOT NULL DEFAULT 1 CHECK (week_start BETWEEN 1 AND 7),
    fiscal_year_start   smallint NOT NULL DEFAULT 1 CHECK (fiscal_year_start BETWEEN 1 AND 12),
    allow_self_approval boolean NOT NULL DEFAULT false,
    version             integer NOT NULL DEFAULT 1,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id                   uuid PRIMARY KEY,
    email                text NOT NULL UNIQUE CHECK (email = lower(email)),
    display_name         text NOT NULL,
    password_hash        text NOT NULL,
    time_zone            text,
    must_change_password boolean NOT NULL DEFAULT false,
    version              integer NOT NULL DEFAULT 1,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE memberships (
    tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       text NOT NULL
               CHECK (role IN ('owner', 'release_manager', 'approver', 'viewer')),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, user_id)
);
CREATE INDEX memberships_user_idx ON memberships (user_id, tenant_id);

-- Sessions are per person, not per tenant. Only the SHA-256 of the cookie's
-- token is stored, so a read of this table does not yield usable cookies.
CREATE TABLE sessions (
    token_hash   bytea PRIMARY KEY,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL
);
CREATE INDEX sessions_user_idx ON sessions (user_id);
CREATE INDEX sessions_expiry_idx ON sessions (expires_at);

-- Failed sign-ins per account and per client address, in fixed windows.
CREATE TABLE login_attempts (
    scope        text NOT NULL CHECK (scope IN ('account', 'address')),
    key          text NOT NULL,
    window_start timestamptz NOT NULL DEFAULT now(),
    failures     integer NOT NULL DEFAULT 0,
    PRIMARY KEY (scope, key)
);

-- Who did what to which record. tenant_id is NULL only for a person's own
-- account events (profile, password).
CREATE TABLE audit_events (
    id          uuid PRIMARY KEY,
    tenant_id   uuid REFERENCES tenants (id),
    actor_id    uuid REFERENCES users (id),
    actor_label text NOT NULL,
    action      text NOT NULL,
    entity_type text NOT NULL,
    entity_id   text NOT NULL,
    before      jsonb,
    after       jsonb,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_events_tenant_idx ON audit_events (tenant_id, at DESC);
CREATE INDEX audit_events_entity_idx ON audit_events (tenant_id, entity_type, entity_id, at DESC);

CREATE FUNCTION audit_events_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();

-- Row-level security. On tables with a tenant_id column, FORCE makes the
-- policies bind the table owner too;
-- only superusers and BYPASSRLS roles skip them, and the serving role is
-- neither (`almanac serve` refuses to start otherwise).
-- tenants has no tenant_id column: it is the tenancy itself. RLS is enabled
-- (binding the serving role) but not forced, so the owner role that runs
-- migrations and admin commands can resolve a slug to its tenant.
ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
-- A person sees the tenant they act in, and the names of the tenants they
-- belong to (for the tenant switcher); they change only the one they act in.
CREATE POLICY tenants_read ON tenants FOR SELECT
    USING (id = almanac_tenant_id()
           OR id IN (SELECT m.tenant_id FROM memberships m WHERE m.user_id = almanac_user_id()));
CREATE POLICY tenants_write ON tenants FOR ALL
    USING (id = almanac_tenant_id())
    WITH CHECK (id = almanac_tenant_id());

ALTER TABLE memberships ENABLE ROW LEVEL SECURITY;
ALTER TABLE memberships FORCE ROW LEVEL SECURITY;
CREATE POLICY memberships_read ON memberships FOR SELECT
    USING (tenant_id = almanac_tenant_id() OR user_id = almanac_user_id());
CREATE POLICY memberships_write ON memberships FOR ALL
    USING (tenant_id = almanac_tenant_id())
    WITH CHECK (tenant_id = almanac_tenant_id());

ALTER TABLE audit_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_events FORCE ROW LEVEL SECURITY;
CREATE POLICY audit_events_read ON audit_events FOR SELECT
    USING (tenant_id = almanac_tenant_id()
           OR (tenant_id IS NULL AND actor_id = almanac_user_id()));
CREATE POLICY audit_events_insert ON audit_events FOR INSERT
    WITH CHECK (tenant_id = almanac_tenant_id()
                OR (tenant_id IS NULL AND actor_id = almanac_user_id()));

-- One statement per request for "who is this, and may they act in this
-- tenant?": checks the session (idle 12 h, absolute expiry), slides its idle
-- timer at most every 5 minutes, sets app.user_id and, when the person is a
-- member of p_slug, app.tenant_id for the rest of the transaction. Returns no
-- row for a missing or expired session; tenant columns are NULL when p_slug is
-- NULL or not one of the person's tenants (the caller answers 404).
CREATE FUNCTION almanac_enter(p_token_hash bytea, p_slug text)
    RETURNS TABLE (
        user_id uuid, email text, display_name text, user_time_zone text,
        must_change_password boolean,
        tenant_id uuid, tenant_slug text, tenant_name text, tenant_time_zone text,
        week_start smallint, fiscal_year_start smallint, allow_self_approval boolean,
        tenant_version integer, role text,
        member_slugs text[], member_names text[])
    LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_user uuid;
BEGIN
    UPDATE sessions s SET last_seen_at = now()
     WHERE s.token_hash = p_token_hash
       AND s.expires_at > now()
       AND s.last_seen_at > now() - interval '12 hours'
       AND s.last_seen_at < now() - interval '5 minutes';
    SELECT s.user_id INTO v_user FROM sessions s
     WHERE s.token_hash = p_token_hash
       AND s.expires_at > now()
       AND s.last_seen_at > now() - interval '12 hours';
    IF v_user IS NULL THEN
        RETURN;
    END IF;
    PERFORM set_config('app.user_id', v_user::text, true);
    PERFORM set_config('app.tenant_id', coalesce((
        SELECT m.tenant_id::text FROM memberships m JOIN tenants t ON t.id = m.tenant_id
         WHERE m.user_id = v_user AND t.slug = p_slug), ''), true);
    RETURN QUERY
    SELECT u.id, u.email, u.display_name, u.time_zone, u.must_change_password,
           t.id, t.slug, t.name, t.time_zone, t.week_start, t.fiscal_year_start,
           t.allow_self_approval, t.version, m.role,
           (SELECT array_agg(t2.slug ORDER BY t2.name) FROM memberships m2
              JOIN tenants t2 ON t2.id = m2.tenant_id WHERE m2.user_id = v_user),
           (SELECT array_agg(t2.name ORDER BY t2.name) FROM memberships m2
              JOIN tenants t2 ON t2.id = m2.tenant_id WHERE m2.user_id = v_user)
      FROM users u
      LEFT JOIN tenants t ON t.id = almanac_tenant_id()
      LEFT JOIN memberships m ON m.tenant_id = t.id AND m.user_id = u.id
     WHERE u.id = v_user;
END
$$;
