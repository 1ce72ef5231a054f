-- The retention job finds a tenant's expired rows by creation time; the audit query filters by time.
create index if not exists messages_tenant_created on messages (tenant_id, created_at);
create index if not exists attachments_tenant_created on attachments (tenant_id, created_at);
create index if not exists audit_events_by_tenant_at on audit_events (tenant_id, at desc, id desc);
