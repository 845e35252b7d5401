-- Calendar feed tokens (issue 4): a person's secret for subscribing to one
-- tenant's iCalendar feed (/{tenant}/calendar.ics?token=...) from Outlook,
-- Google Calendar or Apple Calendar, which cannot sign in.
--
-- A token belongs to one user and one tenant. Only the SHA-256 of the token
-- is stored, so a read of this table yields no usable feed address.
-- Revoked tokens are kept (revoked_at) for the record; removing a member
-- revokes their tokens, and almanac_enter_feed also refuses the token of a
-- person who is no longer a member.
CREATE TABLE feed_tokens (
    tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id           uuid NOT NULL,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash   bytea NOT NULL CHECK (length(token_hash) = 32),
    label        text NOT NULL CHECK (length(label) BETWEEN 1 AND 60),
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz,
    PRIMARY KEY (tenant_id, id),
    -- Looked up by hash before the tenant is known (the URL's token is the
    -- only credential), so the hash is unique on its own.
    CONSTRAINT feed_tokens_hash_unique UNIQUE (token_hash)
);
-- A person's tokens (profile page) and a member's tokens (revocation).
CREATE INDEX feed_tokens_user_idx ON feed_tokens (user_id, tenant_id, created_at);
CREATE INDEX feed_tokens_member_idx ON feed_tokens (tenant_id, user_id) WHERE revoked_at IS NULL;

-- The token hash a feed request presented, set transaction-locally by
-- almanac_enter_feed only while it looks the token up.
CREATE FUNCTION almanac_feed_token_hash() RETURNS bytea
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT decode(nullif(current_setting('app.feed_token_hash', true), ''), 'hex') $$;

-- Row-level security like every tenant table, plus two read-only ways in:
-- a person reads their own tokens of every tenant (the profile page, as
-- memberships_read does), and the feed reads the one token whose hash it was
-- presented with (it does not know the tenant until it has read the token).
-- Writes always happen inside the token's tenant.
ALTER TABLE feed_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE feed_tokens FORCE ROW LEVEL SECURITY;
CREATE POLICY feed_tokens_tenant ON feed_tokens FOR ALL
    USING (tenant_id = almanac_tenant_id())
    WITH CHECK (tenant_id = almanac_tenant_id());
CREATE POLICY feed_tokens_own ON feed_tokens FOR SELECT
    USING (user_id = almanac_user_id());
CREATE POLICY feed_tokens_presented ON feed_tokens FOR SELECT
    USING (token_hash = almanac_feed_token_hash());

-- One statement per feed request, like almanac_enter for sessions: finds
-- the live (not revoked) token with hash p_token_hash, checks that its
-- person is still a member of its tenant and that the tenant is the one the
-- URL names (p_slug), sets app.user_id and app.tenant_id for the rest of the
-- transaction, notes the use at most every 5 minutes, and returns the token,
-- person, tenant and role. No row (and no scope set) for an unknown or
-- revoked token, a removed member, or another tenant's URL: the caller
-- answers 404 for all of them alike.
CREATE FUNCTION almanac_enter_feed(p_token_hash bytea, p_slug text)
    RETURNS TABLE (
        token_id uuid, user_id uuid, tenant_id uuid, tenant_slug text, tenant_name text,
        tenant_time_zone text, role text)
    LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_token uuid;
    v_user uuid;
    v_tenant uuid;
    v_used timestamptz;
BEGIN
    PERFORM set_config('app.feed_token_hash', encode(p_token_hash, 'hex'), true);
    SELECT f.id, f.user_id, f.tenant_id, f.last_used_at
      INTO v_token, v_user, v_tenant, v_used
      FROM feed_tokens f
     WHERE f.token_hash = p_token_hash AND f.revoked_at IS NULL;
    PERFORM set_config('app.feed_token_hash', '', true);
    IF v_token IS NULL THEN
        RETURN;
    END IF;
    PERFORM set_config('app.user_id', v_user::text, true);
    PERFORM set_config('app.tenant_id', v_tenant::text, true);
    IF NOT EXISTS (
        SELECT 1 FROM memberships m JOIN tenants t ON t.id = m.tenant_id
         WHERE m.tenant_id = v_tenant AND m.user_id = v_user AND t.slug = p_slug) THEN
        PERFORM set_config('app.user_id', '', true);
        PERFORM set_config('app.tenant_id', '', true);
        RETURN;
    END IF;
    IF v_used IS NULL OR v_used < now() - interval '5 minutes' THEN
        UPDATE feed_tokens f SET last_used_at = now()
         WHERE f.tenant_id = v_tenant AND f.id = v_token;
    END IF;
    RETURN QUERY
    SELECT v_token, v_user, t.id, t.slug, t.name, t.time_zone, m.role
      FROM tenants t JOIN memberships m ON m.tenant_id = t.id AND m.user_id = v_user
     WHERE t.id = v_tenant;
END
$$;
