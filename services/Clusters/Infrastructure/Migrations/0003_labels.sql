-- Labels (string → string) the owner sets, for plugins' handlers and validators to select on; annotations that
-- plugins' handlers attach (what they created, for whom). Both only on the platform's API, never dask-gateway's.
alter table clusters
    add column labels      jsonb not null default '{}',
    add column annotations jsonb not null default '{}';
