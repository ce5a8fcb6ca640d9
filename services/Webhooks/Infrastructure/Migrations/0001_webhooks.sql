-- A user's subscription: where to send which events, with its signing secret sealed (never stored in the clear).
create table webhook_endpoints (
    id                         uuid        primary key,
    owner                      text        not null,
    -- Captured from the caller's identity at creation: only an admin's endpoints receive every user's events.
    owner_is_admin             boolean     not null,
    url                        text        not null,
    description                text        not null default '',
    -- null: every event type the owner may receive.
    event_types                text[],
    enabled                    boolean     not null default true,
    disabled_reason            text,
    secret                     text        not null,
    previous_secret            text,
    previous_secret_expires_at timestamptz,
    -- Set at the first failed attempt after a success; an endpoint failing for long enough is disabled.
    failing_since              timestamptz,
    -- 429, 502, 504 and Retry-After pause every delivery to the endpoint until then.
    throttled_until            timestamptz,
    created_at                 timestamptz not null default now(),
    updated_at                 timestamptz not null default now()
);
create index webhook_endpoints_owner on webhook_endpoints (owner, created_at);

-- What the Webhooks service knows of each cluster from its events, so every payload carries the whole picture.
create table cluster_snapshots (
    name              text        primary key,
    owner             text        not null,
    status            text        not null,
    workers           integer     not null default 0,
    options           jsonb       not null default '{}',
    dashboard_address text,
    failure_reason    text,
    updated_at        timestamptz not null default now()
);

-- One row per (event, endpoint): the exact body that is signed and sent, and where its delivery stands.
create table webhook_messages (
    seq             bigint generated always as identity primary key,
    webhook_id      text        not null,
    endpoint_id     uuid        not null references webhook_endpoints (id) on delete cascade,
    event_type      text        not null,
    payload         text        not null,
    status          text        not null default 'pending' check (status in ('pending', 'succeeded', 'failed')),
    attempts        integer     not null default 0,
    -- Position in the retry schedule; a manual retry or recover starts a new round.
    round_attempts  integer     not null default 0,
    next_attempt_at timestamptz not null default now(),
    last_attempt_at timestamptz,
    last_status     integer,
    last_error      text,
    created_at      timestamptz not null default now(),
    unique (endpoint_id, webhook_id)
);
create index webhook_messages_due on webhook_messages (endpoint_id, next_attempt_at) where status = 'pending';
create index webhook_messages_endpoint on webhook_messages (endpoint_id, seq desc);

-- Every attempt, for the delivery log: when, what came back, how long it took.
create table webhook_attempts (
    id            bigint generated always as identity primary key,
    message_seq   bigint      not null references webhook_messages (seq) on delete cascade,
    attempted_at  timestamptz not null,
    status_code   integer,
    latency_ms    integer     not null,
    response_body text,
    error         text
);
create index webhook_attempts_message on webhook_attempts (message_seq, id);
