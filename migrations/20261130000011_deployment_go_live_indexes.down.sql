DROP INDEX IF EXISTS deployments_tenant_actual_idx;
DROP INDEX IF EXISTS deployments_environment_idx;
CREATE INDEX deployments_environment_idx ON deployments (tenant_id, environment_id, planned_start);
