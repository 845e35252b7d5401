DROP INDEX IF EXISTS deployments_tenant_length_idx;
DROP INDEX IF EXISTS deployments_tenant_start_idx;
CREATE INDEX windows_span_idx ON windows USING gist (tenant_id, span);
CREATE INDEX deployments_planned_idx ON deployments USING gist (tenant_id, planned);
