-- Cluster membership for Microsoft.Orleans.Clustering.AdoNet.
--
-- DeploymentId holds ClusterOptions.ClusterId. Every change to a member row that the membership
-- protocol makes (insert, update) must also move the cluster's row in the version table forward,
-- and only if nobody else moved it first: the queries below do both in one statement, so either
-- both happen or neither does.
--
-- The provider passes @Version as the table version it last read (not the next one), binds all
-- parameters by name with explicit types (int for Port, Generation, Status, ProxyPort, Version;
-- text for strings; timestamptz for times), and reads a query's success from its first column.
-- Status values: 3 = Active, 6 = Dead. UpdateMembershipKey locks the member row before it moves the
-- version, so a concurrent delete of that row cannot leave the version moved and the row unchanged.
--
-- No dollar signs and no semicolons inside the query texts: DbUp splits scripts on semicolons
-- and treats dollar-delimited words as variables.

CREATE TABLE IF NOT EXISTS OrleansMembershipVersionTable
(
    DeploymentId varchar(150) NOT NULL,
    Timestamp    timestamptz  NOT NULL DEFAULT now(),
    Version      int          NOT NULL DEFAULT 0,
    CONSTRAINT pk_orleansmembershipversiontable PRIMARY KEY (DeploymentId)
);

CREATE TABLE IF NOT EXISTS OrleansMembershipTable
(
    DeploymentId varchar(150)  NOT NULL,
    Address      varchar(45)   NOT NULL,
    Port         int           NOT NULL,
    Generation   int           NOT NULL,
    SiloName     varchar(150)  NULL,
    HostName     varchar(150)  NULL,
    Status       int           NOT NULL,
    ProxyPort    int           NULL,
    SuspectTimes varchar(8000) NULL,
    StartTime    timestamptz   NOT NULL,
    IAmAliveTime timestamptz   NOT NULL,
    CONSTRAINT pk_orleansmembershiptable PRIMARY KEY (DeploymentId, Address, Port, Generation),
    CONSTRAINT fk_orleansmembershiptable_version FOREIGN KEY (DeploymentId)
        REFERENCES OrleansMembershipVersionTable (DeploymentId)
);

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES
(
    'InsertMembershipVersionKey',
    'WITH created AS (
        INSERT INTO OrleansMembershipVersionTable (DeploymentId, Timestamp, Version)
        VALUES (@DeploymentId, now(), 0)
        ON CONFLICT (DeploymentId) DO NOTHING
        RETURNING 1
    )
    SELECT count(*)::int FROM created'
),
(
    'MembershipReadAllKey',
    'SELECT v.DeploymentId,
            m.Address, m.Port, m.Generation, m.SiloName, m.HostName, m.Status, m.ProxyPort,
            m.SuspectTimes, m.StartTime, m.IAmAliveTime,
            v.Version
     FROM OrleansMembershipVersionTable v
     LEFT JOIN OrleansMembershipTable m ON m.DeploymentId = v.DeploymentId
     WHERE v.DeploymentId = @DeploymentId'
),
(
    'MembershipReadRowKey',
    'SELECT v.DeploymentId,
            m.Address, m.Port, m.Generation, m.SiloName, m.HostName, m.Status, m.ProxyPort,
            m.SuspectTimes, m.StartTime, m.IAmAliveTime,
            v.Version
     FROM OrleansMembershipVersionTable v
     LEFT JOIN OrleansMembershipTable m
            ON m.DeploymentId = v.DeploymentId
           AND m.Address = @Address
           AND m.Port = @Port
           AND m.Generation = @Generation
     WHERE v.DeploymentId = @DeploymentId'
),
(
    'InsertMembershipKey',
    'WITH bumped AS (
        UPDATE OrleansMembershipVersionTable
        SET Version = Version + 1, Timestamp = now()
        WHERE DeploymentId = @DeploymentId
          AND Version = @Version
          AND NOT EXISTS (
              SELECT 1 FROM OrleansMembershipTable
              WHERE DeploymentId = @DeploymentId
                AND Address = @Address AND Port = @Port AND Generation = @Generation)
        RETURNING DeploymentId
    ), inserted AS (
        INSERT INTO OrleansMembershipTable
            (DeploymentId, Address, Port, Generation, SiloName, HostName, Status, ProxyPort,
             StartTime, IAmAliveTime)
        SELECT DeploymentId, @Address, @Port, @Generation, @SiloName, @HostName, @Status, @ProxyPort,
               @StartTime, @IAmAliveTime
        FROM bumped
        RETURNING 1
    )
    SELECT count(*)::int FROM inserted'
),
(
    'UpdateMembershipKey',
    'WITH bumped AS (
        UPDATE OrleansMembershipVersionTable
        SET Version = Version + 1, Timestamp = now()
        WHERE DeploymentId = @DeploymentId
          AND Version = @Version
          AND EXISTS (
              SELECT 1 FROM OrleansMembershipTable
              WHERE DeploymentId = @DeploymentId
                AND Address = @Address AND Port = @Port AND Generation = @Generation
              FOR UPDATE)
        RETURNING DeploymentId
    ), updated AS (
        UPDATE OrleansMembershipTable m
        SET Status = @Status, SuspectTimes = @SuspectTimes, IAmAliveTime = @IAmAliveTime
        FROM bumped
        WHERE m.DeploymentId = bumped.DeploymentId
          AND m.Address = @Address AND m.Port = @Port AND m.Generation = @Generation
        RETURNING 1
    )
    SELECT count(*)::int FROM updated'
),
(
    'UpdateIAmAlivetimeKey',
    'UPDATE OrleansMembershipTable
     SET IAmAliveTime = @IAmAliveTime
     WHERE DeploymentId = @DeploymentId
       AND Address = @Address AND Port = @Port AND Generation = @Generation'
),
(
    'GatewaysQueryKey',
    'SELECT Address, ProxyPort, Generation
     FROM OrleansMembershipTable
     WHERE DeploymentId = @DeploymentId
       AND Status = @Status
       AND ProxyPort > 0'
),
(
    'DeleteMembershipTableEntriesKey',
    'WITH members AS (
        DELETE FROM OrleansMembershipTable WHERE DeploymentId = @DeploymentId
    )
    DELETE FROM OrleansMembershipVersionTable WHERE DeploymentId = @DeploymentId'
),
(
    'CleanupDefunctSiloEntriesKey',
    'DELETE FROM OrleansMembershipTable
     WHERE DeploymentId = @DeploymentId
       AND Status <> 3
       AND IAmAliveTime < @IAmAliveTime'
),
(
    -- Orleans reads the members, picks dead ones past the cutoff, and deletes each one only if
    -- its row still holds what it read. SuspectTimes comes back re-serialised, where an empty list
    -- and a missing one look alike, hence the coalesce.
    'CleanupDefunctSiloEntryKey',
    'DELETE FROM OrleansMembershipTable
     WHERE DeploymentId = @DeploymentId
       AND Address = @Address AND Port = @Port AND Generation = @Generation
       AND Status = 6
       AND StartTime = @StartTime
       AND IAmAliveTime = @IAmAliveTime
       AND coalesce(SuspectTimes, '''') = coalesce(@SuspectTimes, '''')'
)
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = excluded.QueryText;
