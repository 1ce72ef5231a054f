using Crm.Grains;
using Npgsql;
using NpgsqlTypes;

namespace Crm.Silo;

/// <summary>
/// A client's rows in <c>clients</c> and <c>contacts</c> (migration 0018). A change is one group-commit write of a few
/// statements that never fails on a taken contact value: the claim inserts with <c>on conflict do nothing</c>, the
/// client row is written only if every claim and the expected version held, and the statements after it (undoing a
/// partial claim, freeing values, the audit record) look at the row's version to learn whether the change applied.
/// </summary>
internal sealed class PostgresClientStore(NpgsqlDataSource db, GroupCommit writer) : IClientStore
{
    public async Task<StoredClient?> ReadAsync(string tenantId, string clientId)
    {
        var statement = new NpgsqlBatchCommand($"{ClientRows.Select} where c.tenant_id = @tenant and c.client_id = @client");
        statement.Parameters.AddWithValue("tenant", tenantId);
        statement.Parameters.AddWithValue("client", clientId);
        await using var reader = await db.ReadPreparedAsync(statement);
        return await reader.ReadAsync() ? new StoredClient(ClientRows.Read(reader), ClientRows.Version(reader)) : null;
    }

    public async Task<string?> OwnerAsync(string tenantId, ContactType type, string value)
    {
        var statement = new NpgsqlBatchCommand("select client_id from contacts where tenant_id = @tenant and type = @type and value = @value");
        statement.Parameters.AddWithValue("tenant", tenantId);
        statement.Parameters.AddWithValue("type", EnumText.Of(type));
        statement.Parameters.AddWithValue("value", value);
        await using var reader = await db.ReadPreparedAsync(statement);
        return await reader.ReadAsync() ? reader.GetString(0) : null;
    }

    public async Task<bool> WriteAsync(ClientChange change)
    {
        var statements = new List<NpgsqlBatchCommand> { Row(change) };
        if (change.Claimed.Count > 0)
            statements.Add(Keyed(change, """
                delete from contacts
                where tenant_id = @row_tenant and client_id = @row_client and contact_id = any(@claim_ids)
                  and not exists (select 1 from clients where tenant_id = @row_tenant and client_id = @row_client and version = @row_version)
                """, ("claim_ids", change.Claimed.Select(c => c.Id).ToArray())));
        if (change.Released.Count > 0)
            statements.Add(Keyed(change, """
                delete from contacts
                where tenant_id = @row_tenant and client_id = @row_client and contact_id = any(@released_ids)
                  and exists (select 1 from clients where tenant_id = @row_tenant and client_id = @row_client and version = @row_version)
                """, ("released_ids", change.Released.Select(c => c.Id).ToArray())));
        statements.Add(Keyed(PostgresAuditLog.InsertIf(change.Audit,
            "exists (select 1 from clients where tenant_id = @row_tenant and client_id = @row_client and version = @row_version)"), change));

        var affected = await writer.WriteAsync([.. statements]);
        return affected[0] == 1;
    }

    public async Task ReleaseContactsAsync(string tenantId, string clientId)
    {
        var release = new NpgsqlBatchCommand("delete from contacts where tenant_id = @tenant and client_id = @client");
        release.Parameters.AddWithValue("tenant", tenantId);
        release.Parameters.AddWithValue("client", clientId);
        await writer.WriteAsync(release);
    }

    public async Task EraseAsync(string tenantId, string clientId, AuditEvent audit)
    {
        var contacts = new NpgsqlBatchCommand("delete from contacts where tenant_id = @tenant and client_id = @client");
        var client = new NpgsqlBatchCommand("delete from clients where tenant_id = @tenant and client_id = @client");
        foreach (var statement in new[] { contacts, client })
        {
            statement.Parameters.AddWithValue("tenant", tenantId);
            statement.Parameters.AddWithValue("client", clientId);
        }
        await writer.WriteAsync(contacts, client, PostgresAuditLog.Insert(audit));
    }

    /// <summary>
    /// The client row as the change leaves it, written only if every value the change claims was free (the claims
    /// that were are inserted all the same, and undone by the next statement) and the row is at the version before.
    /// </summary>
    private static NpgsqlBatchCommand Row(ClientChange change)
    {
        const string Claim = """
            with claimed as (
                insert into contacts (tenant_id, type, value, client_id, contact_id, created_at)
                select @row_tenant, c.type, c.value, @row_client, c.id, c.created_at
                from unnest(@claim_types, @claim_values, @claim_ids, @claim_created) with ordinality as c(type, value, id, created_at, n)
                order by c.n
                on conflict do nothing
                returning 1)
            """;
        var sql = change.Version == 1
            ? $"""
                {Claim}
                insert into clients (tenant_id, client_id, version, {ClientRows.Written})
                select @row_tenant, @row_client, @row_version, {ClientRows.Values}
                where (select count(*) from claimed) = cardinality(@claim_ids)
                on conflict (tenant_id, client_id) do nothing
                """
            : $"""
                {Claim}
                update clients set version = @row_version, ({ClientRows.Written}) = ({ClientRows.Values})
                where tenant_id = @row_tenant and client_id = @row_client and version = @row_version - 1
                  and (select count(*) from claimed) = cardinality(@claim_ids)
                """;
        var cmd = Keyed(change, sql,
            ("claim_types", change.Claimed.Select(c => EnumText.Of(c.Type)).ToArray()),
            ("claim_values", change.Claimed.Select(c => c.Value).ToArray()),
            ("claim_ids", change.Claimed.Select(c => c.Id).ToArray()));
        cmd.Parameters.AddWithValue("claim_created", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz, change.Claimed.Select(c => c.CreatedAt).ToArray());
        ClientRows.Bind(cmd.Parameters, change.Profile);
        return cmd;
    }

    private static NpgsqlBatchCommand Keyed(ClientChange change, string sql, params (string Name, string[] Values)[] arrays) =>
        Keyed(new NpgsqlBatchCommand(sql), change, arrays);

    private static NpgsqlBatchCommand Keyed(NpgsqlBatchCommand cmd, ClientChange change, params (string Name, string[] Values)[] arrays)
    {
        cmd.Parameters.AddWithValue("row_tenant", change.TenantId);
        cmd.Parameters.AddWithValue("row_client", change.Profile.Id);
        cmd.Parameters.AddWithValue("row_version", change.Version);
        foreach (var (name, values) in arrays)
            cmd.Parameters.AddWithValue(name, NpgsqlDbType.Array | NpgsqlDbType.Text, values);
        return cmd;
    }
}

/// <summary>How a client row reads and writes: shared by the store and by search, which read the same rows.</summary>
internal static class ClientRows
{
    public const string Written =
        "first_name, last_name, middle_name, gender, date_of_birth, phone, email, address, passport_number, tax_pin, comment, "
        + "consent, search_text, created_at, updated_at, deleted_at";

    public const string Values =
        "@first_name, @last_name, @middle_name, @gender, @date_of_birth, @phone, @email, @address, @passport_number, @tax_pin, @comment, "
        + "@consent::jsonb, @search_text, @created_at, @updated_at, @deleted_at";

    /// <summary>A client row with its contacts as arrays in the order they were added (empty arrays: none).</summary>
    public const string Select = $"""
        select c.client_id, c.version, c.first_name, c.last_name, c.middle_name, c.gender, c.date_of_birth, c.phone, c.email,
               c.address, c.passport_number, c.tax_pin, c.comment, c.consent::text, c.created_at, c.updated_at, c.deleted_at,
               k.ids, k.types, k.vals, k.created
        {FromClientsWithContacts}
        """;

    /// <summary>What a chat knows of its client (<see cref="ClientFacts"/>), from the same rows as <see cref="Select"/>.</summary>
    public const string SelectFacts = $"""
        select c.version, c.deleted_at, c.consent::text, c.phone, c.email, k.types, k.vals
        {FromClientsWithContacts}
        """;

    private const string FromClientsWithContacts = """
        from clients c
        cross join lateral (
            select coalesce(array_agg(k.contact_id order by k.pos), '{}') as ids, coalesce(array_agg(k.type order by k.pos), '{}') as types,
                   coalesce(array_agg(k.value order by k.pos), '{}') as vals, coalesce(array_agg(k.created_at order by k.pos), '{}') as created
            from contacts k
            where k.tenant_id = c.tenant_id and k.client_id = c.client_id) k
        """;

    public static void Bind(NpgsqlParameterCollection p, ClientProfile profile)
    {
        p.AddWithValue("first_name", profile.FirstName);
        p.AddWithValue("last_name", NpgsqlDbType.Text, (object?)profile.LastName ?? DBNull.Value);
        p.AddWithValue("middle_name", NpgsqlDbType.Text, (object?)profile.MiddleName ?? DBNull.Value);
        p.AddWithValue("gender", NpgsqlDbType.Text, profile.Gender is { } gender ? EnumText.Of(gender) : DBNull.Value);
        p.AddWithValue("date_of_birth", NpgsqlDbType.Date, profile.DateOfBirth is { } born ? born : DBNull.Value);
        p.AddWithValue("phone", NpgsqlDbType.Text, (object?)profile.Phone ?? DBNull.Value);
        p.AddWithValue("email", NpgsqlDbType.Text, (object?)profile.Email ?? DBNull.Value);
        p.AddWithValue("address", NpgsqlDbType.Text, (object?)profile.Address ?? DBNull.Value);
        p.AddWithValue("passport_number", NpgsqlDbType.Text, (object?)profile.PassportNumber ?? DBNull.Value);
        p.AddWithValue("tax_pin", NpgsqlDbType.Text, (object?)profile.TaxPin ?? DBNull.Value);
        p.AddWithValue("comment", NpgsqlDbType.Text, (object?)profile.Comment ?? DBNull.Value);
        p.AddWithValue("consent", CrmJson.Write(profile.Consent));
        p.AddWithValue("search_text", ClientRules.SearchText(profile));
        p.AddWithValue("created_at", profile.CreatedAt);
        p.AddWithValue("updated_at", profile.UpdatedAt);
        p.AddWithValue("deleted_at", NpgsqlDbType.TimestampTz, profile.DeletedAt is { } deleted ? deleted : DBNull.Value);
    }

    public static long Version(NpgsqlDataReader r) => r.GetInt64(1);

    /// <summary>The profile of a row of <see cref="Select"/>.</summary>
    public static ClientProfile Read(NpgsqlDataReader r)
    {
        var ids = r.GetFieldValue<string[]>(17);
        var types = r.GetFieldValue<string[]>(18);
        var values = r.GetFieldValue<string[]>(19);
        var created = r.GetFieldValue<DateTime[]>(20);
        return new ClientProfile
        {
            Id = r.GetString(0),
            FirstName = r.GetString(2),
            LastName = Text(r, 3),
            MiddleName = Text(r, 4),
            Gender = Text(r, 5) is { } gender && EnumText.TryParse<Gender>(gender, out var g) ? g : null,
            DateOfBirth = r.IsDBNull(6) ? null : r.GetFieldValue<DateOnly>(6),
            Phone = Text(r, 7),
            Email = Text(r, 8),
            Address = Text(r, 9),
            PassportNumber = Text(r, 10),
            TaxPin = Text(r, 11),
            Comment = Text(r, 12),
            Consent = ClientRules.OrderConsent(Consent(r, 13)),
            CreatedAt = r.GetFieldValue<DateTimeOffset>(14),
            UpdatedAt = r.GetFieldValue<DateTimeOffset>(15),
            DeletedAt = r.IsDBNull(16) ? null : r.GetFieldValue<DateTimeOffset>(16),
            // A contact is never edited, only added and removed, so it was last updated when it was added.
            Contacts = ids.Select((id, i) => new Contact
            {
                Id = id,
                Type = ContactTypeOf(types[i]),
                Value = values[i],
                CreatedAt = new DateTimeOffset(created[i], TimeSpan.Zero),
                UpdatedAt = new DateTimeOffset(created[i], TimeSpan.Zero),
            }).ToList(),
        };
    }

    /// <summary>The facts of a row of <see cref="SelectFacts"/>.</summary>
    public static ClientFacts ReadFacts(NpgsqlDataReader r)
    {
        var types = r.GetFieldValue<string[]>(5);
        var values = r.GetFieldValue<string[]>(6);
        return ClientFacts.Create(r.GetInt64(0), r.IsDBNull(1) ? null : r.GetFieldValue<DateTimeOffset>(1),
            ClientFacts.OptedOutOf(Consent(r, 2)),
            types.Select((type, i) => new ContactPoint { Type = ContactTypeOf(type), Value = values[i] }), Text(r, 3), Text(r, 4));
    }

    private static Dictionary<Transport, ConsentRecord> Consent(NpgsqlDataReader r, int ordinal) =>
        CrmJson.Read<Dictionary<Transport, ConsentRecord>>(r.GetString(ordinal));

    private static ContactType ContactTypeOf(string type) => EnumText.TryParse<ContactType>(type, out var parsed) ? parsed : ContactType.Other;

    private static string? Text(NpgsqlDataReader r, int ordinal) => r.IsDBNull(ordinal) ? null : r.GetString(ordinal);
}
