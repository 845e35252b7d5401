DROP INDEX IF EXISTS milestones_tenant_due_idx;
