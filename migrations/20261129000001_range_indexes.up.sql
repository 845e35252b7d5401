-- Under row-level security PostgreSQL uses a condition as an index condition
-- only when its operator is leakproof (it must not see rows of another
-- tenant). The range operators (&&) are not, so the GiST indexes on
-- deployments.planned and windows.span were never used by the serving role:
-- a calendar month read every deployment of the tenant. Plain timestamp
-- comparisons are leakproof, so overlap queries now read
--   planned_start >= from - (the tenant's longest deployment)
--   AND planned_start < to AND planned_end > from
-- from a btree, and find the longest deployment from a second btree in one
-- index probe.
DROP INDEX deployments_planned_idx;
DROP INDEX windows_span_idx;
CREATE INDEX deployments_tenant_start_idx ON deployments (tenant_id, planned_start) INCLUDE (planned_end);
CREATE INDEX deployments_tenant_length_idx ON deployments (tenant_id, (planned_end - planned_start));
