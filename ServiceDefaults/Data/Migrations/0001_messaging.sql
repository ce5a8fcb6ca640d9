-- Transactional outbox: an integration event is inserted in the same transaction as the state change it reports,
-- then relayed to the bus; dispatched rows are kept a while for diagnosis and then pruned.
create table outbox_messages (
    sequence      bigint generated always as identity primary key,
    message_id    uuid        not null unique,
    message_type  text        not null,
    body          jsonb       not null,
    trace_parent  text,
    trace_state   text,
    created_at    timestamptz not null default now(),
    dispatched_at timestamptz,
    attempts      integer     not null default 0,
    last_error    text
);
create index outbox_messages_pending on outbox_messages (sequence) where dispatched_at is null;

-- Inbox: one row per (message, consumer) handled, written in the consumer's own transaction, so a redelivery is a no-op.
create table inbox_messages (
    message_id  uuid        not null,
    consumer    text        not null,
    received_at timestamptz not null default now(),
    primary key (message_id, consumer)
);
