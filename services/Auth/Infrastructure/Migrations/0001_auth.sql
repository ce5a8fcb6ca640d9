-- Keys that sign identity assertions, shared by all replicas so they sign with the same key. A new key is published
-- before it signs (activates_at), and the key it replaces stays published after superseded_at until every assertion
-- it signed has expired. private_key is PEM, or AES-GCM sealed PEM when Auth:SigningKeys:ProtectionKey is set.
create table signing_keys (
    kid             text        primary key,
    private_key     text        not null,
    public_key_pem  text        not null,
    created_at      timestamptz not null default now(),
    activates_at    timestamptz not null,
    superseded_at   timestamptz
);
create unique index signing_keys_one_current on signing_keys ((true)) where superseded_at is null;

-- Sessions behind the cookie: only the SHA-256 of the cookie value is stored, so a database leak yields no usable cookie.
-- groups/admin are what the authenticator reported at login; configured memberships are added per request.
create table sessions (
    session_hash  bytea       primary key,
    user_name     text        not null,
    groups        text[]      not null,
    admin         boolean     not null,
    authenticator text        not null,
    created_at    timestamptz not null default now(),
    expires_at    timestamptz not null
);
create index sessions_user on sessions (user_name);
create index sessions_expires on sessions (expires_at);

-- Platform API tokens: SHA-256 of a 256-bit random value (no salt or slow hash needed at that entropy).
create table api_tokens (
    id           uuid        primary key,
    token_hash   bytea       not null unique,
    user_name    text        not null,
    name         text        not null,
    created_at   timestamptz not null default now(),
    expires_at   timestamptz not null,
    revoked_at   timestamptz,
    last_used_at timestamptz
);
create index api_tokens_user on api_tokens (user_name);

-- Failed credential checks per subject ('client:<address>' or 'user:<name>') in fixed windows; shared by replicas.
create table failed_attempts (
    subject           text        primary key,
    failures          integer     not null,
    window_started_at timestamptz not null
);
