-- The stream queries of 0005, rewritten so that their plans stay right whatever the statistics say.
--
-- A queue table's statistics are nearly always stale: it fills and empties within seconds, so
-- autovacuum's last ANALYZE may have seen it empty while a burst holds thousands of rows. Planned
-- for "one row", the original texts joined the queue to the CTE of chosen ids in a nested loop that
-- compared every row with every id: measured under a webhook burst, a confirmation of 409 ids took
-- 520 ms (600,412 comparisons over 1,469 queued rows) and a dequeue of 202 took 95 ms. Here every
-- statement reaches its rows through the primary key with MessageId = ANY (ARRAY(...)): the ids are
-- collected once, and each row is found by an index lookup, whatever the queue holds.
-- Semantics, parameters and result columns are those of 0005.

UPDATE OrleansQuery SET QueryText =
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
          AND m.MessageId = ANY (ARRAY(
              SELECT e.MessageId
              FROM OrleansStreamMessage e
              WHERE e.ServiceId = @ServiceId AND e.ProviderId = @ProviderId AND e.QueueId = @QueueId
                AND e.VisibleOn <= now()
                AND (e.Dequeued >= @MaxAttempts OR e.ExpiresOn <= now())
                AND EXISTS (SELECT 1 FROM due)
              ORDER BY e.MessageId
              LIMIT @EvictionBatchSize
              FOR UPDATE SKIP LOCKED))
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
          AND d.MessageId = ANY (ARRAY(
              SELECT o.MessageId
              FROM OrleansStreamDeadLetter o
              WHERE o.ServiceId = @ServiceId AND o.ProviderId = @ProviderId AND o.QueueId = @QueueId
                AND o.RemoveOn <= now()
                AND EXISTS (SELECT 1 FROM due)
              ORDER BY o.RemoveOn
              LIMIT @EvictionBatchSize
              FOR UPDATE SKIP LOCKED))
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
    WHERE m.ServiceId = @ServiceId AND m.ProviderId = @ProviderId AND m.QueueId = @QueueId
      AND m.MessageId = ANY (ARRAY(SELECT MessageId FROM batch))
    RETURNING m.ServiceId, m.ProviderId, m.QueueId, m.MessageId, m.Dequeued, m.VisibleOn,
              m.ExpiresOn, m.CreatedOn, m.ModifiedOn, m.Payload'
WHERE QueryKey = 'GetStreamMessagesKey';

-- The receipts are split by sign before any row is touched, so that each statement looks rows up
-- by id alone and checks the receipt against the row it found.
UPDATE OrleansQuery SET QueryText =
    'WITH receipts AS (
        SELECT split_part(item, '':'', 1)::bigint AS MessageId,
               split_part(item, '':'', 2)::int AS Receipt
        FROM unnest(string_to_array(@Items, ''|'')) AS item
        WHERE item <> ''''
    ), locked AS (
        SELECT m.MessageId, m.Dequeued
        FROM OrleansStreamMessage m
        WHERE m.ServiceId = @ServiceId AND m.ProviderId = @ProviderId AND m.QueueId = @QueueId
          AND m.MessageId = ANY (ARRAY(SELECT MessageId FROM receipts))
        ORDER BY m.MessageId
        FOR UPDATE OF m
    ), matched AS (
        SELECT l.MessageId, r.Receipt
        FROM locked l
        JOIN receipts r ON r.MessageId = l.MessageId AND abs(r.Receipt) = l.Dequeued
    ), confirmed AS (
        DELETE FROM OrleansStreamMessage m
        WHERE m.ServiceId = @ServiceId AND m.ProviderId = @ProviderId AND m.QueueId = @QueueId
          AND m.MessageId = ANY (ARRAY(SELECT MessageId FROM matched WHERE Receipt > 0))
        RETURNING m.ServiceId, m.ProviderId, m.QueueId, m.MessageId
    ), released AS (
        UPDATE OrleansStreamMessage m
        SET VisibleOn = now(), ModifiedOn = now()
        WHERE m.ServiceId = @ServiceId AND m.ProviderId = @ProviderId AND m.QueueId = @QueueId
          AND m.MessageId = ANY (ARRAY(SELECT MessageId FROM matched WHERE Receipt < 0))
        RETURNING m.ServiceId, m.ProviderId, m.QueueId, m.MessageId
    )
    SELECT ServiceId, ProviderId, QueueId, MessageId FROM confirmed
    UNION ALL
    SELECT ServiceId, ProviderId, QueueId, MessageId FROM released'
WHERE QueryKey = 'ConfirmStreamMessagesKey';
