using System.Diagnostics;
using System.Text;
using Npgsql;
using NpgsqlTypes;
using Orleans.Storage;

namespace Crm.Bench;

/// <summary>
/// Seeds a large tenant straight into PostgreSQL with COPY: the grain state rows (client, contact), clients_index and
/// the chats rows (a chat has no grain state: its rows are all it loads), in the formats the code reads. The format is
/// not guessed: every row is cut from the rows the API wrote for a reference client, and the state row hash is checked
/// against the provider's own before anything is written. The API must be stopped while this runs (no grain holds a stale copy).
/// </summary>
internal static class BulkSeed
{
    private static readonly OrleansDefaultHasher Hasher = new();

    /// <summary>A bulk client's id and phone: derived from its index, so the run needs no list of a million ids.</summary>
    public static string ClientId(int i) => $"cl_bulk{i:D25}";

    public static string ChatId(int i) => $"ch_bulk{i:D25}";

    public static async Task<double> RunAsync(string connectionString, string tenantId, Client reference, string referenceLastName, int from, int total, int chats)
    {
        var watch = Stopwatch.StartNew();
        await using var db = NpgsqlDataSource.Create(connectionString);
        var clientRow = await StateRowAsync(db, "client", $"{tenantId}/{reference.Id}");
        var contactKey = $"{tenantId}/phone/{reference.Phone}";
        var contactRow = await StateRowAsync(db, "contact", contactKey);
        if (IdHash($"{tenantId}/{reference.Id}") != clientRow.IdHash || IdHash(contactKey) != contactRow.IdHash)
            throw new InvalidOperationException("The grain state hash computed here differs from the provider's; refusing to bulk seed.");
        var (indexDoc, searchText) = await IndexRowAsync(db, tenantId, reference.Id);
        var chatMembers = await ChatMembersAsync(db, tenantId, reference.Id);
        var contactId = JsonValue(clientRow.Payload, "\"contacts\":[{\"id\":\"");
        var memberId = JsonValue(chatMembers, "\"id\": \"");

        // Every row is the reference's with its ids, phone and name swapped: cut once into literal runs and holes.
        string[] needles = [reference.Id, reference.ChatId, reference.Phone[1..], contactId, memberId, referenceLastName, referenceLastName.ToLowerInvariant()];
        string[] Values(int i) => [ClientId(i), ChatId(i), Numbers.Phone("415", i)[1..], $"ct_bulk{i:D25}", $"mb_bulk{i:D25}", $"Client{i}", $"client{i}"];

        var client = Template.Of(clientRow.Payload, needles);
        var contact = Template.Of(contactRow.Payload, needles);
        var doc = Template.Of(indexDoc, needles);
        var search = Template.Of(searchText, needles);
        var members = Template.Of(chatMembers, needles);
        var now = DateTimeOffset.UtcNow;

        // The three tables load side by side, each on its own connection.
        await Task.WhenAll(StatesAsync(), IndexAsync(), ChatsAsync());
        await using (var connection = await db.OpenConnectionAsync())
        {
            await using var analyze = new NpgsqlCommand("analyze OrleansStorage; analyze clients_index; analyze chats", connection);
            await analyze.ExecuteNonQueryAsync();
        }
        return watch.Elapsed.TotalSeconds;

        async Task StatesAsync()
        {
            await using var connection = await db.OpenConnectionAsync();
            await using var copy = await connection.BeginBinaryImportAsync(
                "copy OrleansStorage (GrainIdHash, GrainIdN0, GrainIdN1, GrainTypeHash, GrainTypeString, GrainIdExtensionString, ServiceId, PayloadBinary, ModifiedOn, Version) from stdin (format binary)");
            for (var i = from; i < total; i++)
            {
                var values = Values(i);
                await WriteStateAsync(copy, clientRow, $"{tenantId}/{ClientId(i)}", client.With(values), now);
                await WriteStateAsync(copy, contactRow, $"{tenantId}/phone/{Numbers.Phone("415", i)}", contact.With(values), now);
            }
            await copy.CompleteAsync();
        }

        async Task IndexAsync()
        {
            await using var connection = await db.OpenConnectionAsync();
            await using var copy = await connection.BeginBinaryImportAsync(
                "copy clients_index (tenant_id, client_id, first_name, last_name, search_text, doc, created_at, updated_at) from stdin (format binary)");
            for (var i = from; i < total; i++)
            {
                var values = Values(i);
                await copy.StartRowAsync();
                await copy.WriteAsync(tenantId);
                await copy.WriteAsync(ClientId(i));
                await copy.WriteAsync("Bench");
                await copy.WriteAsync($"Client{i}");
                await copy.WriteAsync(search.With(values));
                await copy.WriteAsync(doc.With(values), NpgsqlDbType.Jsonb);
                await copy.WriteAsync(now, NpgsqlDbType.TimestampTz);
                await copy.WriteAsync(now, NpgsqlDbType.TimestampTz);
            }
            await copy.CompleteAsync();
        }

        async Task ChatsAsync()
        {
            await using var connection = await db.OpenConnectionAsync();
            await using var copy = await connection.BeginBinaryImportAsync(
                "copy chats (tenant_id, chat_id, client_id, created_at, sort_at, last_seq, inbound_count, members) from stdin (format binary)");
            for (var i = from; i < chats; i++)
            {
                await copy.StartRowAsync();
                await copy.WriteAsync(tenantId);
                await copy.WriteAsync(ChatId(i));
                await copy.WriteAsync(ClientId(i));
                await copy.WriteAsync(now, NpgsqlDbType.TimestampTz);
                await copy.WriteAsync(now.AddMilliseconds(-i), NpgsqlDbType.TimestampTz);
                await copy.WriteAsync(0L);
                await copy.WriteAsync(0L);
                await copy.WriteAsync(members.With(Values(i)), NpgsqlDbType.Jsonb);
            }
            await copy.CompleteAsync();
        }
    }

    /// <summary>The provider's hash of a string grain key: its UTF-8 bytes reversed, through Orleans' default (Jenkins) hasher.</summary>
    private static int IdHash(string key)
    {
        var bytes = Encoding.UTF8.GetBytes(key);
        Array.Reverse(bytes);
        return Hasher.Hash(bytes);
    }

    private sealed record StateRow(int IdHash, int TypeHash, string Type, string ServiceId, string Payload);

    private static async Task<StateRow> StateRowAsync(NpgsqlDataSource db, string type, string key)
    {
        await using var cmd = db.CreateCommand(
            "select GrainIdHash, GrainTypeHash, ServiceId, convert_from(PayloadBinary, 'UTF8') from OrleansStorage where GrainTypeString = $1 and GrainIdExtensionString = $2");
        cmd.Parameters.Add(new() { Value = type });
        cmd.Parameters.Add(new() { Value = key });
        await using var reader = await cmd.ExecuteReaderAsync();
        if (!await reader.ReadAsync())
            throw new InvalidOperationException($"No {type} state row for {key} to copy the format from.");
        return new StateRow(reader.GetInt32(0), reader.GetInt32(1), type, reader.GetString(2), reader.GetString(3));
    }

    private static async Task<(string Doc, string SearchText)> IndexRowAsync(NpgsqlDataSource db, string tenantId, string clientId)
    {
        await using var cmd = db.CreateCommand("select doc::text, search_text from clients_index where tenant_id = $1 and client_id = $2");
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = clientId });
        await using var reader = await cmd.ExecuteReaderAsync();
        if (!await reader.ReadAsync())
            throw new InvalidOperationException($"No clients_index row for {clientId}.");
        return (reader.GetString(0), reader.GetString(1));
    }

    /// <summary>The reference chat's client member only: the bulk chats are new, with no user member yet.</summary>
    private static async Task<string> ChatMembersAsync(NpgsqlDataSource db, string tenantId, string clientId)
    {
        await using var cmd = db.CreateCommand(
            "select jsonb_path_query_array(members, '$[*] ? (@.kind == \"client\")')::text from chats where tenant_id = $1 and client_id = $2");
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = clientId });
        return (string?)await cmd.ExecuteScalarAsync() ?? throw new InvalidOperationException($"No chats row for {clientId}.");
    }

    private static string JsonValue(string json, string prefix)
    {
        var start = json.IndexOf(prefix, StringComparison.Ordinal) + prefix.Length;
        return json[start..json.IndexOf('"', start)];
    }

    private static async Task WriteStateAsync(NpgsqlBinaryImporter copy, StateRow row, string key, string payload, DateTimeOffset now)
    {
        await copy.StartRowAsync();
        await copy.WriteAsync(IdHash(key));
        await copy.WriteAsync(0L);
        await copy.WriteAsync(0L);
        await copy.WriteAsync(row.TypeHash);
        await copy.WriteAsync(row.Type);
        await copy.WriteAsync(key);
        await copy.WriteAsync(row.ServiceId);
        await copy.WriteAsync(Encoding.UTF8.GetBytes(payload), NpgsqlDbType.Bytea);
        await copy.WriteAsync(now, NpgsqlDbType.TimestampTz);
        await copy.WriteAsync(1);
    }
}

/// <summary>A text cut at every occurrence of some needles, so a copy with other values in their place is one concatenation.</summary>
internal sealed class Template
{
    private readonly List<(string Literal, int Hole)> _parts = [];
    private readonly string _tail;

    private Template(string text, string[] needles)
    {
        var at = 0;
        while (true)
        {
            var (next, hole) = needles.Select((n, k) => (text.IndexOf(n, at, StringComparison.Ordinal), k)).Where(x => x.Item1 >= 0).DefaultIfEmpty((-1, -1)).MinBy(x => x.Item1);
            if (next < 0)
                break;
            _parts.Add((text[at..next], hole));
            at = next + needles[hole].Length;
        }
        _tail = text[at..];
    }

    public static Template Of(string text, string[] needles) => new(text, needles);

    public string With(string[] values)
    {
        var result = new StringBuilder(_tail.Length + _parts.Count * 32);
        foreach (var (literal, hole) in _parts)
            result.Append(literal).Append(values[hole]);
        return result.Append(_tail).ToString();
    }
}
