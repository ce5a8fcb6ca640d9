-- A delivery worker's claim on a message: no other worker sends it until then, and the worker holds no transaction
-- while it sends. A worker that died between claim and record leaves the message to be sent again (same webhook-id)
-- once the lease expires. Only this column changes at a claim, so the claim is a HOT update.
alter table webhook_messages add column leased_until timestamptz;
