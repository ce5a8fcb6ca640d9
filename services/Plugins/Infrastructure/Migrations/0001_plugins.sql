-- One row per installed plugin: which stored version is active, whether it is enabled, and the one to restore.
create table plugins (
    name             text        primary key,
    version          text        not null,
    previous_version text,
    enabled          boolean     not null default false,
    installed_at     timestamptz not null default now(),
    updated_at       timestamptz not null default now()
);

-- Every uploaded version; the package itself is in the object store under package_key.
create table plugin_versions (
    name          text        not null,
    version       text        not null,
    package_id    text        not null,
    package_key   text        not null,
    size_bytes    bigint      not null,
    sha256        text        not null,
    capabilities  jsonb       not null,
    uploaded_at   timestamptz not null default now(),
    primary key (name, version)
);

-- What the service last knew of each cluster (from the bus), for transitions, timers and handler filters.
create table cluster_phases (
    name       text        primary key,
    owner      text        not null,
    labels     jsonb       not null default '{}',
    phase      text        not null,
    updated_at timestamptz not null default now()
);

-- One run per (event, plugin, handler): pending until a worker claims it; retried with backoff until it succeeds
-- or gives up. message_id is the bus message (null for timer runs), so an event starts each handler once.
create table handler_runs (
    id           bigint      generated always as identity primary key,
    plugin       text        not null,
    handler      text        not null,
    cluster_name text        not null,
    trigger      text        not null,
    from_phase   text,
    phase        text        not null,
    owner        text        not null,
    labels       jsonb       not null default '{}',
    details      jsonb       not null default '{}',
    message_id   uuid,
    state        text        not null default 'pending' check (state in ('pending', 'running', 'succeeded', 'failed')),
    attempts     integer     not null default 0,
    due_at       timestamptz not null default now(),
    created_at   timestamptz not null default now(),
    started_at   timestamptz,
    finished_at  timestamptz,
    duration_ms  double precision,
    error        text,
    annotations  jsonb,
    trace_parent text,
    unique (message_id, plugin, handler)
);
create index handler_runs_due on handler_runs (due_at, id) where state = 'pending';
create index handler_runs_plugin on handler_runs (plugin, id desc);

-- Each attempt of a run, so backoff and the errors of earlier attempts stay visible.
create table handler_attempts (
    run_id      bigint           not null references handler_runs (id) on delete cascade,
    attempt     integer          not null,
    started_at  timestamptz      not null,
    duration_ms double precision not null,
    outcome     text             not null,
    error       text,
    primary key (run_id, attempt)
);

-- A plugin's own small durable state (IPluginState).
create table plugin_state (
    plugin text not null,
    key    text not null,
    value  text not null,
    primary key (plugin, key)
);
