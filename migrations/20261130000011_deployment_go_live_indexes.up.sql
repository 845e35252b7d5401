-- Go-lives for the releases list and the dashboard's periods.
--
-- The production go-lives of a tenant come from the environment index; with
-- the release id carried in it, sorting a tenant's releases by go-live
-- reads the index alone instead of a heap page per deployment (a tenant's
-- deployments are spread over the table until it is CLUSTERed).
DROP INDEX deployments_environment_idx;
CREATE INDEX deployments_environment_idx ON deployments (tenant_id, environment_id, planned_start)
    INCLUDE (release_id);

-- Actual go-lives in a period ("releases shipped in …"), from an index
-- instead of every deployment of the tenant.
CREATE INDEX deployments_tenant_actual_idx ON deployments (tenant_id, actual_start)
    WHERE actual_start IS NOT NULL;
