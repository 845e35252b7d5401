-- The calendar reads milestones by due date over the visible range, done
-- ones included (the partial milestones_due_idx holds only open ones).
CREATE INDEX milestones_tenant_due_idx ON milestones (tenant_id, due_at);
