-- One row per cluster, kept after it stops (dask-gateway lists stopped and failed clusters on request).
create table clusters (
    name              text        primary key,
    owner             text        not null,
    groups            text[]      not null default '{}',
    state             text        not null check (state in ('PENDING', 'RUNNING', 'STOPPING', 'STOPPED', 'FAILED')),
    options           jsonb       not null,
    resources         jsonb       not null,
    max_workers       integer     not null,
    requested_workers integer     not null default 0,
    running_workers   integer     not null default 0,
    adaptive_active   boolean     not null default false,
    adaptive_minimum  integer     not null default 0,
    adaptive_maximum  integer     not null default 0,
    scheduler_address text,
    dashboard_address text,
    tls_cert          text        not null,
    tls_key           text        not null,
    failure_reason    text,
    created_at        timestamptz not null default now(),
    started_at        timestamptz,
    stopped_at        timestamptz
);

-- Listing is per owner and state; quota sums and the supervisor read only active clusters.
create index clusters_owner_state on clusters (owner, state, created_at);
create index clusters_active on clusters (state) where state in ('PENDING', 'RUNNING', 'STOPPING');

-- The timeline of each cluster: state changes and notable events, for the platform details API.
create table cluster_events (
    id           bigint      generated always as identity primary key,
    cluster_name text        not null references clusters (name) on delete cascade,
    occurred_at  timestamptz not null default now(),
    state        text        not null,
    kind         text        not null,
    message      text
);
create index cluster_events_cluster on cluster_events (cluster_name, id);
