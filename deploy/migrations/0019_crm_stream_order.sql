-- Stream rows are pulled in id order from a cursor each puller keeps in memory, instead of in visible_at order.
--
-- Measured (pgbench, 1,200 rows/s into 8 queues, pullers leasing up to 32 rows and deleting them 60 ms later): the
-- lease through stream_queue_due took 1.57 ms and 1,101 buffer reads a call. Each lease moves visible_at, an
-- indexed column, so every lease wrote new index entries and left the old ones dead at the front of the range
-- that every later lease walks, until autovacuum came by. Ordered by id from the cursor, with visible_at in no
-- index, a lease is a HOT update that writes no index entry, and the walk starts past everything already taken:
-- 0.45 ms and 343 buffer reads a call in the same run.
--
-- What lies behind a puller's cursor (a failed delivery waiting for its retry, a lease that ran out, a dead
-- letter replayed under its old id) is looked for by a second lease over the ids up to the cursor, once a
-- second per queue.

-- The primary key is the order of the walk, so it is the table's only index: a plan over the id alone, which
-- statistics taken while the table was empty would pick, would walk every queue's rows. Each statement that
-- names a row names its queue too.
DROP INDEX IF EXISTS stream_queue_due;
ALTER TABLE stream_queue DROP CONSTRAINT IF EXISTS stream_queue_pkey;
ALTER TABLE stream_queue ADD CONSTRAINT stream_queue_pkey PRIMARY KEY (provider, queue, id);

-- Room on each page for the lease's new row version, so that it stays a HOT update.
ALTER TABLE stream_queue SET (fillfactor = 50);

-- Dead letters are kept for Crm:Streams:DeadLetterRetention (30 days); each queue's puller deletes its expired ones.
CREATE INDEX IF NOT EXISTS stream_dead_letters_expiry ON stream_dead_letters (provider, queue, dead_at);
