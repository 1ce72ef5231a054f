-- Grain state for Microsoft.Orleans.Persistence.AdoNet.
--
-- A grain's row is identified by ServiceId, GrainTypeString (the state name given in
-- [PersistentState], not the grain class), GrainIdN0, GrainIdN1 and GrainIdExtensionString
-- (string keys go whole into GrainIdExtensionString with N0 = N1 = 0, integer and Guid keys leave
-- it null unless the key has an extension). GrainIdHash and GrainTypeHash are derived from those
-- and serve only to find the row quickly.
--
-- Version is the optimistic-concurrency token (the grain's ETag). The provider sends the version
-- it holds as @GrainStateVersion (int, null before the first write) and treats an answer that is
-- missing, null, or equal to what it sent as a conflict (InconsistentStateException).
--
-- No dollar signs and no semicolons inside the query texts: DbUp splits scripts on semicolons
-- and treats dollar-delimited words as variables.

CREATE TABLE IF NOT EXISTS OrleansStorage
(
    GrainIdHash            int          NOT NULL,
    GrainIdN0              bigint       NOT NULL,
    GrainIdN1              bigint       NOT NULL,
    GrainTypeHash          int          NOT NULL,
    GrainTypeString        varchar(512) NOT NULL,
    GrainIdExtensionString varchar(512) NULL,
    ServiceId              varchar(150) NOT NULL,
    PayloadBinary          bytea        NULL,
    ModifiedOn             timestamptz  NOT NULL DEFAULT now(),
    Version                int          NOT NULL
);

-- One row per grain identity. Without it two activations writing their first state at the same
-- time both insert, and every later read of that grain fails. NULLS NOT DISTINCT makes two null
-- GrainIdExtensionString values (integer and Guid keys) collide as well.
CREATE UNIQUE INDEX IF NOT EXISTS ux_orleansstorage_identity
    ON OrleansStorage (ServiceId, GrainTypeString, GrainIdExtensionString, GrainIdN0, GrainIdN1)
    NULLS NOT DISTINCT;

-- The queries compare GrainIdExtensionString with IS NOT DISTINCT FROM, which an index cannot
-- serve, so lookups go through the two small hash columns.
CREATE INDEX IF NOT EXISTS ix_orleansstorage_lookup
    ON OrleansStorage (GrainIdHash, GrainTypeHash);

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES
(
    'ReadFromStorageKey',
    'SELECT PayloadBinary, Version
     FROM OrleansStorage
     WHERE GrainIdHash = @GrainIdHash
       AND GrainTypeHash = @GrainTypeHash
       AND ServiceId = @ServiceId
       AND GrainTypeString = @GrainTypeString
       AND GrainIdN0 = @GrainIdN0
       AND GrainIdN1 = @GrainIdN1
       AND GrainIdExtensionString IS NOT DISTINCT FROM @GrainIdExtensionString'
),
(
    -- With a version: update only the row still at that version. Without one: insert version 1
    -- only if the grain has no row at all. Exactly one branch can return a row.
    'WriteToStorageKey',
    'WITH updated AS (
        UPDATE OrleansStorage
        SET PayloadBinary = @PayloadBinary, ModifiedOn = now(), Version = Version + 1
        WHERE @GrainStateVersion::int IS NOT NULL
          AND GrainIdHash = @GrainIdHash
          AND GrainTypeHash = @GrainTypeHash
          AND ServiceId = @ServiceId
          AND GrainTypeString = @GrainTypeString
          AND GrainIdN0 = @GrainIdN0
          AND GrainIdN1 = @GrainIdN1
          AND GrainIdExtensionString IS NOT DISTINCT FROM @GrainIdExtensionString
          AND Version = @GrainStateVersion::int
        RETURNING Version
    ), inserted AS (
        INSERT INTO OrleansStorage
            (GrainIdHash, GrainIdN0, GrainIdN1, GrainTypeHash, GrainTypeString,
             GrainIdExtensionString, ServiceId, PayloadBinary, ModifiedOn, Version)
        SELECT @GrainIdHash, @GrainIdN0, @GrainIdN1, @GrainTypeHash, @GrainTypeString,
               @GrainIdExtensionString, @ServiceId, @PayloadBinary, now(), 1
        WHERE @GrainStateVersion::int IS NULL
        ON CONFLICT (ServiceId, GrainTypeString, GrainIdExtensionString, GrainIdN0, GrainIdN1)
            DO NOTHING
        RETURNING Version
    )
    SELECT Version AS NewGrainStateVersion FROM updated
    UNION ALL
    SELECT Version FROM inserted'
),
(
    -- Keeps the row (and its version history) with a null payload. A caller without a version
    -- gets a null answer, which Orleans reports as a conflict, if the grain has a row after all.
    'ClearStorageKey',
    'WITH cleared AS (
        UPDATE OrleansStorage
        SET PayloadBinary = NULL, ModifiedOn = now(), Version = Version + 1
        WHERE GrainIdHash = @GrainIdHash
          AND GrainTypeHash = @GrainTypeHash
          AND ServiceId = @ServiceId
          AND GrainTypeString = @GrainTypeString
          AND GrainIdN0 = @GrainIdN0
          AND GrainIdN1 = @GrainIdN1
          AND GrainIdExtensionString IS NOT DISTINCT FROM @GrainIdExtensionString
          AND Version = @GrainStateVersion::int
        RETURNING Version
    )
    SELECT Version AS NewGrainStateVersion FROM cleared
    UNION ALL
    SELECT NULL::int
    WHERE @GrainStateVersion::int IS NULL
      AND EXISTS (
          SELECT 1 FROM OrleansStorage
          WHERE GrainIdHash = @GrainIdHash
            AND GrainTypeHash = @GrainTypeHash
            AND ServiceId = @ServiceId
            AND GrainTypeString = @GrainTypeString
            AND GrainIdN0 = @GrainIdN0
            AND GrainIdN1 = @GrainIdN1
            AND GrainIdExtensionString IS NOT DISTINCT FROM @GrainIdExtensionString)'
),
(
    -- Used instead of ClearStorageKey when AdoNetGrainStorageOptions.DeleteStateOnClear is set.
    -- Answers the deleted version + 1 so that Orleans sees a changed version.
    'DeleteStorageKey',
    'WITH deleted AS (
        DELETE FROM OrleansStorage
        WHERE GrainIdHash = @GrainIdHash
          AND GrainTypeHash = @GrainTypeHash
          AND ServiceId = @ServiceId
          AND GrainTypeString = @GrainTypeString
          AND GrainIdN0 = @GrainIdN0
          AND GrainIdN1 = @GrainIdN1
          AND GrainIdExtensionString IS NOT DISTINCT FROM @GrainIdExtensionString
          AND Version = @GrainStateVersion::int
        RETURNING Version + 1 AS Version
    )
    SELECT Version AS NewGrainStateVersion FROM deleted
    UNION ALL
    SELECT NULL::int
    WHERE @GrainStateVersion::int IS NULL
      AND EXISTS (
          SELECT 1 FROM OrleansStorage
          WHERE GrainIdHash = @GrainIdHash
            AND GrainTypeHash = @GrainTypeHash
            AND ServiceId = @ServiceId
            AND GrainTypeString = @GrainTypeString
            AND GrainIdN0 = @GrainIdN0
            AND GrainIdN1 = @GrainIdN1
            AND GrainIdExtensionString IS NOT DISTINCT FROM @GrainIdExtensionString)'
)
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = excluded.QueryText;
