-- The messages' foreign key to their endpoint ran a key-share lock query on the endpoint row for every message written:
-- ten per event with ten endpoints, every one on the same few rows. The statements keep the same guarantee with one
-- lock per endpoint and statement: the fan-out and a test message lock the endpoints they write to (FOR KEY SHARE),
-- so deleting an endpoint waits for them, and deletes the endpoint's messages in its own transaction (their attempts
-- still cascade from the messages).
alter table webhook_messages drop constraint webhook_messages_endpoint_id_fkey;
