using System.Diagnostics;
using System.Text;
using Npgsql;
using NpgsqlTypes;

namespace Crm.Bench;

/// <summary>
/// Seeds a large tenant straight into PostgreSQL with COPY: the client, contact and chat rows (clients, contacts,
/// chats), the rows those grains load on activation, in the formats the code reads. The format is not guessed: every
/// row is cut from the rows the API wrote for a reference client. The API must be stopped while this runs (no grain
/// holds a stale copy).
/// </summary>
internal static class BulkSeed
{
    /// <summary>A bulk client's id and phone: derived from its index, so the run needs no list of a million ids.</summary>
    public static string ClientId(int i) => $"cl_bulk{i:D25}";

    public static string ChatId(int i) => $"ch_bulk{i:D25}";

    public static async Task<double> RunAsync(string connectionString, string tenantId, Client reference, string referenceLastName, int from, int total, int chats)
    {
        var watch = Stopwatch.StartNew();
        await using var db = NpgsqlDataSource.Create(connectionString);
        var clientLine = await CopyLineAsync(db, $"select * from clients where tenant_id = {Literal(tenantId)} and client_id = {Literal(reference.Id)}");
        var contactLine = await CopyLineAsync(db, $"select {ContactColumns} from contacts where tenant_id = {Literal(tenantId)} and client_id = {Literal(reference.Id)}");
        var chatMembers = await ChatMembersAsync(db, tenantId, reference.Id);
        var contactId = contactLine.Split('\t')[4];
        var memberId = JsonValue(chatMembers, "\"id\": \"");

        // Every row is the reference's with its ids, phone and name swapped: cut once into literal runs and holes.
        string[] needles = [reference.Id, reference.ChatId, reference.Phone[1..], contactId, memberId, referenceLastName, referenceLastName.ToLowerInvariant()];
        string[] Values(int i) => [ClientId(i), ChatId(i), Numbers.Phone("415", i)[1..], $"ct_bulk{i:D25}", $"mb_bulk{i:D25}", $"Client{i}", $"client{i}"];

        var client = Template.Of(clientLine, needles);
        var contact = Template.Of(contactLine, needles);
        var members = Template.Of(chatMembers, needles);
        var now = DateTimeOffset.UtcNow;

        // The tables load side by side, each on its own connection.
        await Task.WhenAll(RowsAsync("clients", "", client), RowsAsync("contacts", $"({ContactColumns})", contact), ChatsAsync());
        await using (var connection = await db.OpenConnectionAsync())
        {
            await using var analyze = new NpgsqlCommand("analyze clients; analyze contacts; analyze chats", connection);
            await analyze.ExecuteNonQueryAsync();
        }
        return watch.Elapsed.TotalSeconds;

        // A client's row and its contact's row are the reference's COPY text lines with the values swapped.
        async Task RowsAsync(string table, string columns, Template line)
        {
            await using var connection = await db.OpenConnectionAsync();
            await using var copy = await connection.BeginTextImportAsync($"copy {table} {columns} from stdin");
            for (var i = from; i < total; i++)
                await copy.WriteLineAsync(line.With(Values(i)));
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

    /// <summary>Every column a contact row is written with (its position in the client's list comes from the table).</summary>
    private const string ContactColumns = "tenant_id, type, value, client_id, contact_id, created_at";

    /// <summary>The one row a query selects, as a line of COPY's text format.</summary>
    private static async Task<string> CopyLineAsync(NpgsqlDataSource db, string query)
    {
        await using var connection = await db.OpenConnectionAsync();
        using var reader = await connection.BeginTextExportAsync($"copy ({query}) to stdout");
        var line = await reader.ReadLineAsync() ?? throw new InvalidOperationException($"No row for: {query}");
        if (await reader.ReadLineAsync() is not null)
            throw new InvalidOperationException($"More than one row for: {query}");
        return line;
    }

    /// <summary>COPY takes no parameters; the ids put into its query are the API's own, checked to be plain.</summary>
    private static string Literal(string id) =>
        id.All(c => char.IsAsciiLetterOrDigit(c) || c == '_') ? $"'{id}'" : throw new InvalidOperationException($"Unexpected id '{id}'.");

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
