-- Durable streams for Microsoft.Orleans.Streaming.AdoNet (10.4.2-alpha.1).
--
-- Each OnNextAsync (or OnNextBatchAsync) call is one row of OrleansStreamMessage, from the moment
-- the call returns (the insert has committed by then) until the subscribers have taken it (the
-- row is deleted) or it has failed for good (the row moves to OrleansStreamDeadLetter).
-- ServiceId is ClusterOptions.ServiceId, ProviderId the name of the stream provider, QueueId the
-- partition, "{provider}-{n}" (ConfigurePartitioning(n), one partition by default). MessageId
-- comes from one sequence for all of them and gives the delivery order within a queue (two
-- inserts in flight at the same moment may commit in either order).
-- Payload is the Orleans binary serialization of the events: event types need [GenerateSerializer].
--
-- Life of a message:
--   queued     Dequeued = 0, visible at once, ExpiresOn = now + ExpiryTimeout.
--   dequeued   a pulling agent takes visible, unexpired messages with Dequeued < MaxAttempts,
--              in MessageId order: Dequeued goes up by one and the message hides until
--              now + VisibilityTimeout. The Dequeued value it read is its receipt.
--   confirmed  the agent hands back "id:receipt|id:receipt"; a message is deleted only while its
--              Dequeued still equals the receipt, so a stale agent cannot delete a message that
--              another agent has taken since. A negative receipt (agent shutting down) makes
--              the message visible again at once instead.
--   failed     delivery to a subscriber gave up: visible again at once, or dead-lettered once it
--              has been dequeued MaxAttempts times.
--   evicted    at most once per EvictionInterval per queue (OrleansStreamControl.EvictOn), the
--              dequeue first moves messages that are hidden no longer and are either expired or
--              out of attempts to the dead letters, and deletes dead letters past RemoveOn
--              (now + DeadLetterEvictionTimeout at the time they died). An expired message is
--              never delivered.
--
-- The provider runs every query as a plain text command (no stored procedure call, no explicit
-- transaction) and binds parameters by name: text for ServiceId, ProviderId, QueueId and Items,
-- bigint for MessageId, bytea for Payload, int for all counts and for the timeouts, which are
-- whole seconds (rounded up). It reads result columns by name and casts them exactly: MessageId
-- must be bigint, Dequeued int, the four times timestamp(tz), Payload bytea.
-- EvictStreamMessagesKey and EvictStreamDeadLettersKey must exist (start-up fails without them)
-- but 10.4.2-alpha.1 never runs them itself: eviction happens inside GetStreamMessagesKey. They
-- take @MaxCount as the batch size, as the provider names it.
--
-- Every query is a single statement, so no functions or procedures are needed. Where one query
-- changes several tables, data-modifying CTEs do it in one statement: they all see the same
-- snapshot, so each CTE only touches rows that no other CTE of the statement touches.
--
-- No dollar signs and no semicolons inside the query texts: DbUp splits scripts on semicolons
-- and treats dollar-delimited words as variables.

CREATE SEQUENCE IF NOT EXISTS OrleansStreamMessageSequence AS bigint;

CREATE TABLE IF NOT EXISTS OrleansStreamMessage
(
    ServiceId  varchar(150) NOT NULL,
    ProviderId varchar(150) NOT NULL,
    QueueId    varchar(150) NOT NULL,
    MessageId  bigint       NOT NULL DEFAULT nextval('OrleansStreamMessageSequence'),
    Dequeued   int          NOT NULL DEFAULT 0,
    VisibleOn  timestamptz  NOT NULL,
    ExpiresOn  timestamptz  NOT NULL,
    CreatedOn  timestamptz  NOT NULL,
    ModifiedOn timestamptz  NOT NULL,
    Payload    bytea        NOT NULL,
    CONSTRAINT pk_orleansstreammessage PRIMARY KEY (ServiceId, ProviderId, QueueId, MessageId)
);

ALTER SEQUENCE OrleansStreamMessageSequence OWNED BY OrleansStreamMessage.MessageId;

-- A queue table: every row is inserted, updated once or twice and deleted within seconds.
-- The primary key is its only index on purpose, so those updates never touch an index and stay
-- on their page (HOT) when the page has room. Vacuum early, before a backlog leaves the table
-- full of dead rows.
ALTER TABLE OrleansStreamMessage SET
(
    fillfactor = 80,
    autovacuum_vacuum_scale_factor = 0.02,
    autovacuum_vacuum_insert_scale_factor = 0.02
);

CREATE TABLE IF NOT EXISTS OrleansStreamDeadLetter
(
    ServiceId  varchar(150) NOT NULL,
    ProviderId varchar(150) NOT NULL,
    QueueId    varchar(150) NOT NULL,
    MessageId  bigint       NOT NULL,
    Dequeued   int          NOT NULL,
    VisibleOn  timestamptz  NOT NULL,
    ExpiresOn  timestamptz  NOT NULL,
    CreatedOn  timestamptz  NOT NULL,
    ModifiedOn timestamptz  NOT NULL,
    DeadOn     timestamptz  NOT NULL,
    RemoveOn   timestamptz  NOT NULL,
    -- Nullable so that an operator can blank a payload and keep the record of the failure.
    Payload    bytea        NULL,
    CONSTRAINT pk_orleansstreamdeadletter PRIMARY KEY (ServiceId, ProviderId, QueueId, MessageId)
);

-- Dead letters are deleted by age, queue by queue.
CREATE INDEX IF NOT EXISTS ix_orleansstreamdeadletter_removeon
    ON OrleansStreamDeadLetter (ServiceId, ProviderId, QueueId, RemoveOn);

-- One row per queue, created by its first dequeue: when the next eviction of that queue is due.
CREATE TABLE IF NOT EXISTS OrleansStreamControl
(
    ServiceId  varchar(150) NOT NULL,
    ProviderId varchar(150) NOT NULL,
    QueueId    varchar(150) NOT NULL,
    EvictOn    timestamptz  NOT NULL,
    CONSTRAINT pk_orleansstreamcontrol PRIMARY KEY (ServiceId, ProviderId, QueueId)
);

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES
(
    -- Answers the key of the new row. The provider awaits this, so OnNextAsync returns after the
    -- row has committed.
    'QueueStreamMessageKey',
    'INSERT INTO OrleansStreamMessage
        (ServiceId, ProviderId, QueueId, Dequeued, VisibleOn, ExpiresOn, CreatedOn, ModifiedOn, Payload)
     VALUES
        (@ServiceId, @ProviderId, @QueueId, 0,
         now(), now() + @ExpiryTimeout * interval ''1 second'', now(), now(), @Payload)
     RETURNING ServiceId, ProviderId, QueueId, MessageId'
),
(
    -- Runs every poll (100 ms by default) for each queue a silo owns.
    -- 1. due: the eviction of the queue is due if this poll creates its control row or moves EvictOn
    --    forward from the past. Concurrent polls of one queue serialise on that row, and only one
    --    of them wins.
    -- 2. If due: dead-letter up to EvictionBatchSize messages that are visible and expired or out
    --    of attempts, and delete up to EvictionBatchSize dead letters past RemoveOn. Rows locked
    --    by others are skipped: the next eviction takes them.
    -- 3. Take up to MaxCount visible, unexpired messages with attempts left, oldest first, and
    --    hide them for VisibilityTimeout. These cannot be rows of step 2.
    'GetStreamMessagesKey',
    'WITH created AS (
        INSERT INTO OrleansStreamControl (ServiceId, ProviderId, QueueId, EvictOn)
        VALUES (@ServiceId, @ProviderId, @QueueId, now() + @EvictionInterval * interval ''1 second'')
        ON CONFLICT (ServiceId, ProviderId, QueueId) DO NOTHING
        RETURNING 1
    ), rescheduled AS (
        UPDATE OrleansStreamControl
        SET EvictOn = now() + @EvictionInterval * interval ''1 second''
        WHERE ServiceId = @ServiceId AND ProviderId = @ProviderId AND QueueId = @QueueId
          AND EvictOn <= now()
        RETURNING 1
    ), due AS (
        SELECT 1 FROM created
        UNION ALL
        SELECT 1 FROM rescheduled
    ), evicted AS (
        DELETE FROM OrleansStreamMessage m
        WHERE m.ServiceId = @ServiceId AND m.ProviderId = @ProviderId AND m.QueueId = @QueueId
          AND m.MessageId IN (
              SELECT e.MessageId
              FROM OrleansStreamMessage e
              WHERE e.ServiceId = @ServiceId AND e.ProviderId = @ProviderId AND e.QueueId = @QueueId
                AND e.VisibleOn <= now()
                AND (e.Dequeued >= @MaxAttempts OR e.ExpiresOn <= now())
                AND EXISTS (SELECT 1 FROM due)
              ORDER BY e.MessageId
              LIMIT @EvictionBatchSize
              FOR UPDATE SKIP LOCKED)
        RETURNING m.ServiceId, m.ProviderId, m.QueueId, m.MessageId, m.Dequeued, m.VisibleOn,
                  m.ExpiresOn, m.CreatedOn, m.ModifiedOn, m.Payload
    ), buried AS (
        INSERT INTO OrleansStreamDeadLetter
            (ServiceId, ProviderId, QueueId, MessageId, Dequeued, VisibleOn, ExpiresOn, CreatedOn,
             ModifiedOn, DeadOn, RemoveOn, Payload)
        SELECT ServiceId, ProviderId, QueueId, MessageId, Dequeued, VisibleOn, ExpiresOn, CreatedOn,
               ModifiedOn, now(), now() + @RemovalTimeout * interval ''1 second'', Payload
        FROM evicted
    ), purged AS (
        DELETE FROM OrleansStreamDeadLetter d
        WHERE d.ServiceId = @ServiceId AND d.ProviderId = @ProviderId AND d.QueueId = @QueueId
          AND d.MessageId IN (
              SELECT o.MessageId
              FROM OrleansStreamDeadLetter o
              WHERE o.ServiceId = @ServiceId AND o.ProviderId = @ProviderId AND o.QueueId = @QueueId
                AND o.RemoveOn <= now()
                AND EXISTS (SELECT 1 FROM due)
              ORDER BY o.RemoveOn
              LIMIT @EvictionBatchSize
              FOR UPDATE SKIP LOCKED)
    ), batch AS (
        SELECT b.MessageId
        FROM OrleansStreamMessage b
        WHERE b.ServiceId = @ServiceId AND b.ProviderId = @ProviderId AND b.QueueId = @QueueId
          AND b.Dequeued < @MaxAttempts
          AND b.VisibleOn <= now()
          AND b.ExpiresOn > now()
        ORDER BY b.MessageId
        LIMIT @MaxCount
        FOR UPDATE
    )
    UPDATE OrleansStreamMessage m
    SET Dequeued = m.Dequeued + 1,
        VisibleOn = now() + @VisibilityTimeout * interval ''1 second'',
        ModifiedOn = now()
    FROM batch
    WHERE m.ServiceId = @ServiceId AND m.ProviderId = @ProviderId AND m.QueueId = @QueueId
      AND m.MessageId = batch.MessageId
    RETURNING m.ServiceId, m.ProviderId, m.QueueId, m.MessageId, m.Dequeued, m.VisibleOn,
              m.ExpiresOn, m.CreatedOn, m.ModifiedOn, m.Payload'
),
(
    -- @Items is "id:receipt|id:receipt". A positive receipt deletes the message, a negative one
    -- makes it visible again, each only while the Dequeued of the message still equals the receipt.
    -- Rows are locked in MessageId order, as the dequeue locks them, so the two cannot deadlock.
    -- Answers the keys of the messages it deleted or released.
    'ConfirmStreamMessagesKey',
    'WITH receipts AS (
        SELECT split_part(item, '':'', 1)::bigint AS MessageId,
               split_part(item, '':'', 2)::int AS Receipt
        FROM unnest(string_to_array(@Items, ''|'')) AS item
        WHERE item <> ''''
    ), locked AS (
        SELECT m.MessageId, r.Receipt
        FROM OrleansStreamMessage m
        JOIN receipts r ON r.MessageId = m.MessageId AND abs(r.Receipt) = m.Dequeued
        WHERE m.ServiceId = @ServiceId AND m.ProviderId = @ProviderId AND m.QueueId = @QueueId
        ORDER BY m.MessageId
        FOR UPDATE OF m
    ), confirmed AS (
        DELETE FROM OrleansStreamMessage m
        USING locked l
        WHERE m.ServiceId = @ServiceId AND m.ProviderId = @ProviderId AND m.QueueId = @QueueId
          AND m.MessageId = l.MessageId
          AND l.Receipt > 0
        RETURNING m.ServiceId, m.ProviderId, m.QueueId, m.MessageId
    ), released AS (
        UPDATE OrleansStreamMessage m
        SET VisibleOn = now(), ModifiedOn = now()
        FROM locked l
        WHERE m.ServiceId = @ServiceId AND m.ProviderId = @ProviderId AND m.QueueId = @QueueId
          AND m.MessageId = l.MessageId
          AND l.Receipt < 0
        RETURNING m.ServiceId, m.ProviderId, m.QueueId, m.MessageId
    )
    SELECT ServiceId, ProviderId, QueueId, MessageId FROM confirmed
    UNION ALL
    SELECT ServiceId, ProviderId, QueueId, MessageId FROM released'
),
(
    -- Delivery of one message failed for good: offer it again at once while it has attempts
    -- left, otherwise move it to the dead letters. Exactly one of the two can match.
    'FailStreamMessageKey',
    'WITH retried AS (
        UPDATE OrleansStreamMessage
        SET VisibleOn = now(), ModifiedOn = now()
        WHERE ServiceId = @ServiceId AND ProviderId = @ProviderId AND QueueId = @QueueId
          AND MessageId = @MessageId
          AND Dequeued < @MaxAttempts
        RETURNING MessageId
    ), failed AS (
        DELETE FROM OrleansStreamMessage
        WHERE ServiceId = @ServiceId AND ProviderId = @ProviderId AND QueueId = @QueueId
          AND MessageId = @MessageId
          AND Dequeued >= @MaxAttempts
        RETURNING ServiceId, ProviderId, QueueId, MessageId, Dequeued, VisibleOn, ExpiresOn,
                  CreatedOn, ModifiedOn, Payload
    )
    INSERT INTO OrleansStreamDeadLetter
        (ServiceId, ProviderId, QueueId, MessageId, Dequeued, VisibleOn, ExpiresOn, CreatedOn,
         ModifiedOn, DeadOn, RemoveOn, Payload)
    SELECT ServiceId, ProviderId, QueueId, MessageId, Dequeued, VisibleOn, ExpiresOn, CreatedOn,
           ModifiedOn, now(), now() + @RemovalTimeout * interval ''1 second'', Payload
    FROM failed'
),
(
    -- The eviction of GetStreamMessagesKey on its own, for up to @MaxCount messages.
    'EvictStreamMessagesKey',
    'WITH evicted AS (
        DELETE FROM OrleansStreamMessage m
        WHERE m.ServiceId = @ServiceId AND m.ProviderId = @ProviderId AND m.QueueId = @QueueId
          AND m.MessageId IN (
              SELECT e.MessageId
              FROM OrleansStreamMessage e
              WHERE e.ServiceId = @ServiceId AND e.ProviderId = @ProviderId AND e.QueueId = @QueueId
                AND e.VisibleOn <= now()
                AND (e.Dequeued >= @MaxAttempts OR e.ExpiresOn <= now())
              ORDER BY e.MessageId
              LIMIT @MaxCount
              FOR UPDATE SKIP LOCKED)
        RETURNING m.ServiceId, m.ProviderId, m.QueueId, m.MessageId, m.Dequeued, m.VisibleOn,
                  m.ExpiresOn, m.CreatedOn, m.ModifiedOn, m.Payload
    )
    INSERT INTO OrleansStreamDeadLetter
        (ServiceId, ProviderId, QueueId, MessageId, Dequeued, VisibleOn, ExpiresOn, CreatedOn,
         ModifiedOn, DeadOn, RemoveOn, Payload)
    SELECT ServiceId, ProviderId, QueueId, MessageId, Dequeued, VisibleOn, ExpiresOn, CreatedOn,
           ModifiedOn, now(), now() + @RemovalTimeout * interval ''1 second'', Payload
    FROM evicted'
),
(
    -- Deletes up to @MaxCount dead letters past their RemoveOn.
    'EvictStreamDeadLettersKey',
    'DELETE FROM OrleansStreamDeadLetter d
     WHERE d.ServiceId = @ServiceId AND d.ProviderId = @ProviderId AND d.QueueId = @QueueId
       AND d.MessageId IN (
           SELECT o.MessageId
           FROM OrleansStreamDeadLetter o
           WHERE o.ServiceId = @ServiceId AND o.ProviderId = @ProviderId AND o.QueueId = @QueueId
             AND o.RemoveOn <= now()
           ORDER BY o.RemoveOn
           LIMIT @MaxCount
           FOR UPDATE SKIP LOCKED)'
)
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = excluded.QueryText;
