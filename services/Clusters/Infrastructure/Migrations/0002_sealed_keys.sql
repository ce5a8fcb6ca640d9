-- TLS private keys are stored sealed (SecretSealer) and only while a cluster may run: a STOPPED or FAILED cluster has
-- none. Keys of active clusters stored in clear before this are sealed by the service at start-up.
alter table clusters alter column tls_key drop not null;
update clusters set tls_key = null where state in ('STOPPED', 'FAILED');

-- Finished clusters are purged after the retention period, oldest first.
create index clusters_finished on clusters (coalesce(stopped_at, created_at)) where state in ('STOPPED', 'FAILED');
