using System.Globalization;
using System.Text;
using Npgsql;
using NpgsqlTypes;
using Orleans.Storage;

namespace Crm.Silo;

/// <summary>
/// Grain state on the Orleans ADO.NET table, with the writes of string-keyed grains going through the group
/// commit: a chat's state then shares its commit with other chats' states, messages and audit records instead
/// of costing one commit per write. Rows, hashes, versions and payloads are exactly the ADO.NET provider's, which
/// still reads, clears and writes every other key.
/// </summary>
internal sealed class GroupCommitGrainStorage(AdoNetGrainStorage inner, GroupCommit writer, string serviceId)
    : IGrainStorage, ILifecycleParticipant<ISiloLifecycle>
{
    private static readonly OrleansDefaultHasher Hasher = new();

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        inner.ReadStateAsync(stateName, grainId, grainState);

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        inner.ClearStateAsync(stateName, grainId, grainState);

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (grainId.TryGetIntegerKey(out _, out _) || grainId.TryGetGuidKey(out _, out _))
        {
            await inner.WriteStateAsync(stateName, grainId, grainState);
            return;
        }

        int? version = string.IsNullOrWhiteSpace(grainState.ETag) ? null : int.Parse(grainState.ETag, CultureInfo.InvariantCulture);
        var statement = new NpgsqlBatchCommand(version is null ? InsertSql : UpdateSql);
        var key = grainId.Key.ToString()!;
        var p = statement.Parameters;
        p.AddWithValue("GrainIdHash", IdHash(key));
        p.AddWithValue("GrainTypeHash", TypeHash(stateName));
        p.AddWithValue("GrainTypeString", stateName);
        p.AddWithValue("GrainIdExtensionString", key);
        p.AddWithValue("ServiceId", serviceId);
        p.AddWithValue("PayloadBinary", NpgsqlDbType.Bytea, inner.Serializer.Serialize(grainState.State).ToArray());
        if (version is not null)
            p.AddWithValue("GrainStateVersion", version.Value);

        var affected = await writer.WriteAsync(statement);
        if (affected[0] != 1)
            throw new InconsistentStateException($"Version conflict writing state {stateName} of {grainId}.", grainState.ETag ?? "", "unknown");
        grainState.ETag = ((version ?? 0) + 1).ToString(CultureInfo.InvariantCulture);
        grainState.RecordExists = true;
    }

    public void Participate(ISiloLifecycle lifecycle) => inner.Participate(lifecycle);

    /// <summary>The provider's hash of a string key: its UTF-8 bytes in reverse order, through the default (Jenkins) hasher.</summary>
    public static int IdHash(string key)
    {
        var bytes = Encoding.UTF8.GetBytes(key);
        Array.Reverse(bytes);
        return Hasher.Hash(bytes);
    }

    public static int TypeHash(string stateName) => Hasher.Hash(Encoding.UTF8.GetBytes(stateName));

    private const string InsertSql = """
        insert into OrleansStorage (GrainIdHash, GrainIdN0, GrainIdN1, GrainTypeHash, GrainTypeString, GrainIdExtensionString,
                                    ServiceId, PayloadBinary, ModifiedOn, Version)
        values (@GrainIdHash, 0, 0, @GrainTypeHash, @GrainTypeString, @GrainIdExtensionString, @ServiceId, @PayloadBinary, now(), 1)
        on conflict (ServiceId, GrainTypeString, GrainIdExtensionString, GrainIdN0, GrainIdN1) do nothing
        """;

    private const string UpdateSql = """
        update OrleansStorage set PayloadBinary = @PayloadBinary, ModifiedOn = now(), Version = Version + 1
        where GrainIdHash = @GrainIdHash and GrainTypeHash = @GrainTypeHash and ServiceId = @ServiceId
          and GrainTypeString = @GrainTypeString and GrainIdN0 = 0 and GrainIdN1 = 0
          and GrainIdExtensionString = @GrainIdExtensionString and Version = @GrainStateVersion
        """;
}
