using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using Crm.Grains;
using Npgsql;
using NpgsqlTypes;

namespace Crm.Silo;

/// <summary>
/// The chat's rows: <c>chats</c>, <c>chat_reads</c> and <c>messages</c> (the outbox as its columns). A change is one write
/// through the group commit holding its message, chat row, read horizon, audit records and event rows, so a change and
/// the events that announce it commit together or not at all.
/// </summary>
internal sealed class PostgresChatStore(NpgsqlDataSource db, GroupCommit writer, IStreamRows rows) : IChatStore
{
    private const string MessageColumns =
        "id, chat_id, seq, direction, text, transport, sender::text, attachments::text, status, error_code, created_at, " +
        "sent_at, delivered_at, read_at, provider_message_id, idempotency_key, template_id, inbound_count";

    public async Task<ChatSnapshot> LoadAsync(string tenantId, string chatId, string clientId, int recentKeys)
    {
        await using var batch = new NpgsqlBatch();
        batch.BatchCommands.Add(Keyed("""
            select created_at, last_message_at, last_seq, inbound_count, last_message::text, members::text,
                   last_inbound_transport, last_inbound_from::text, thread::text
            from chats where tenant_id = $1 and chat_id = $2
            """, tenantId, chatId));
        batch.BatchCommands.Add(Keyed(
            "select user_id, read_seq, read_inbound_count, read_at from chat_reads where tenant_id = $1 and chat_id = $2", tenantId, chatId));
        batch.BatchCommands.Add(Keyed(
            "select seq, attempts, next_attempt_at, in_flight from messages where tenant_id = $1 and chat_id = $2 and next_attempt_at is not null order by seq",
            tenantId, chatId));
        var keys = Keyed(
            "select seq, transport, case when direction = 'inbound' then provider_message_id end, idempotency_key from messages where tenant_id = $1 and chat_id = $2 order by seq desc limit $3",
            tenantId, chatId);
        keys.Parameters.Add(new() { Value = recentKeys });
        batch.BatchCommands.Add(keys);
        batch.BatchCommands.Add(ClientFactsOf(tenantId, clientId));

        await using var r = await db.ReadPreparedAsync(batch);
        ChatRow? chat = null;
        if (await r.ReadAsync())
        {
            chat = new ChatRow
            {
                CreatedAt = r.GetFieldValue<DateTimeOffset>(0),
                LastMessageAt = r.IsDBNull(1) ? null : r.GetFieldValue<DateTimeOffset>(1),
                LastSeq = r.GetInt64(2),
                InboundCount = r.GetInt64(3),
                LastMessage = r.IsDBNull(4) ? null : CrmJson.Read<MessagePreview?>(r.GetString(4)),
                Members = CrmJson.Read<Member[]>(r.GetString(5)),
                LastInboundTransport = !r.IsDBNull(6) && EnumText.TryParse<Transport>(r.GetString(6), out var transport) ? transport : null,
                LastInboundFrom = AddressesOf(r.GetString(7)),
                Thread = ThreadOf(r.GetString(8)),
            };
        }
        await r.NextResultAsync();
        var reads = new Dictionary<string, ReadHorizon>();
        while (await r.ReadAsync())
            reads[r.GetString(0)] = new ReadHorizon { Seq = r.GetInt64(1), InboundCount = r.GetInt64(2), At = r.GetFieldValue<DateTimeOffset>(3) };
        await r.NextResultAsync();
        var outbox = new List<OutboxEntry>();
        while (await r.ReadAsync())
            outbox.Add(new OutboxEntry { Seq = r.GetInt64(0), Attempts = r.GetInt32(1), NextAttemptAt = r.GetFieldValue<DateTimeOffset>(2), InFlight = r.GetBoolean(3) });
        await r.NextResultAsync();
        var recent = new List<(string, long)>();
        while (await r.ReadAsync())
        {
            var seq = r.GetInt64(0);
            if (!r.IsDBNull(2) && EnumText.TryParse<Transport>(r.GetString(1), out var transport))
                recent.Add((ChatRules.ProviderKey(transport, r.GetString(2)), seq));
            if (!r.IsDBNull(3))
                recent.Add((ChatRules.IdempotencyKey(r.GetString(3)), seq));
        }
        recent.Reverse();
        await r.NextResultAsync();
        var client = await r.ReadAsync() ? ClientRows.ReadFacts(r) : null;
        return new ChatSnapshot { Chat = chat, Reads = reads, Outbox = outbox, RecentKeys = recent, Client = client };
    }

    public async Task<ClientFacts?> ReadClientAsync(string tenantId, string clientId)
    {
        await using var r = await db.ReadPreparedAsync(ClientFactsOf(tenantId, clientId));
        return await r.ReadAsync() ? ClientRows.ReadFacts(r) : null;
    }

    private static NpgsqlBatchCommand ClientFactsOf(string tenantId, string clientId) =>
        Keyed($"{ClientRows.SelectFacts} where c.tenant_id = $1 and c.client_id = $2", tenantId, clientId);

    private static NpgsqlBatchCommand Keyed(string sql, string tenantId, string id)
    {
        var command = new NpgsqlBatchCommand(sql);
        command.Parameters.Add(new() { Value = tenantId });
        command.Parameters.Add(new() { Value = id });
        return command;
    }

    public async Task<ChatMessage?> CommitAsync(ChatChange change)
    {
        var statements = new List<NpgsqlBatchCommand>(4 + change.Updated.Count + change.Audit.Count + change.Events.Count);
        if (change.Inserted is { } inserted)
            statements.Add(Insert(change, inserted));
        if (change.Chat is { } chat)
            statements.Add(Upsert(change, chat));
        foreach (var updated in change.Updated)
            statements.Add(Update(change, updated));
        if (change.Read is { } read)
            statements.AddRange(Read(change, read.UserId, read.Horizon));
        foreach (var audit in change.Audit)
            statements.Add(PostgresAuditLog.Insert(audit));
        var events = StreamId.Create(StreamNames.Events, change.TenantId);
        foreach (var e in change.Events)
            statements.Add(rows.Enqueue(events, e));
        try
        {
            await writer.WriteAsync([.. statements]);
            return null;
        }
        catch (PostgresException e) when (change.Inserted is not null && e.SqlState == PostgresErrorCodes.UniqueViolation
                                          && e.ConstraintName is "messages_idempotency" or "messages_provider_id")
        {
            return await ReadDuplicateAsync(change.TenantId, change.Inserted.Message)
                ?? throw new InvalidOperationException($"Message {change.Inserted.Message.Id} repeats a key of chat {change.ChatId}, yet no message holds it.", e);
        }
    }

    /// <remarks>
    /// No <c>on conflict do nothing</c>: a repeated idempotency key or provider id must take the change's audit record
    /// and event down with it, so the unique index fails the transaction and the group commit commits the neighbours
    /// without it (each on its own, once). The chat's recent keys catch the usual repeats before they get this far. A
    /// taken seq (a second activation of the chat) fails the same way and is not a repeat: the grain reloads.
    /// </remarks>
    private static NpgsqlBatchCommand Insert(ChatChange change, MessageWrite write)
    {
        var m = write.Message;
        var statement = new NpgsqlBatchCommand("""
            insert into messages (tenant_id, chat_id, seq, id, client_id, direction, transport, sender, text, attachments,
                                  template_id, idempotency_key, provider_message_id, inbound_count, created_at, status,
                                  attempts, next_attempt_at, in_flight)
            values ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10::jsonb, $11, $12, $13, $14, $15, $16, $17, $18, $19)
            """);
        Positional(statement.Parameters,
            change.TenantId, change.ChatId, m.Seq, m.Id, change.ClientId, EnumText.Of(m.Direction), EnumText.Of(m.Transport),
            CrmJson.Write(m.Sender), m.Text, CrmJson.Write(m.Attachments), Text(m.TemplateId), Text(m.IdempotencyKey),
            Text(m.ProviderMessageId), m.InboundCount, m.CreatedAt, EnumText.Of(m.Status));
        AddOutbox(statement.Parameters, write.Outbox);
        return statement;
    }

    /// <summary>The outbox columns, the last three positional parameters of a message's insert or update.</summary>
    private static void AddOutbox(NpgsqlParameterCollection p, OutboxEntry? outbox) =>
        Positional(p, outbox?.Attempts ?? 0, Timestamp(outbox?.NextAttemptAt), outbox?.InFlight ?? false);

    /// <summary>
    /// Adds the values as positional parameters ($1, $2 ... in order). The statements of a chat's commit are written
    /// this way: Npgsql sends them as they are, where named parameters make it parse and rewrite the SQL on every
    /// execution (9 % of the API's CPU in an inbound profile).
    /// </summary>
    private static void Positional(NpgsqlParameterCollection p, params object[] values)
    {
        foreach (var value in values)
            p.Add(value as NpgsqlParameter ?? new NpgsqlParameter { Value = value });
    }

    private static NpgsqlParameter Text(string? value) => new() { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)value ?? DBNull.Value };

    private static NpgsqlParameter Timestamp(DateTimeOffset? value) => new() { NpgsqlDbType = NpgsqlDbType.TimestampTz, Value = value is { } v ? v : DBNull.Value };

    /// <summary>The chat's row as the grain holds it; never moved back by an activation that missed a newer message.</summary>
    private static NpgsqlBatchCommand Upsert(ChatChange change, ChatRow chat)
    {
        var statement = new NpgsqlBatchCommand("""
            insert into chats (tenant_id, chat_id, client_id, created_at, last_message_at, sort_at, last_seq, inbound_count,
                               last_message, members, last_inbound_transport, last_inbound_from, thread)
            values ($1, $2, $3, $4, $5, coalesce($5, $4), $6, $7, $8::jsonb, $9::jsonb, $10, $11::jsonb, $12::jsonb)
            on conflict (tenant_id, chat_id) do update set
                last_message_at = excluded.last_message_at, sort_at = excluded.sort_at, last_seq = excluded.last_seq,
                inbound_count = excluded.inbound_count, last_message = excluded.last_message, members = excluded.members,
                last_inbound_transport = excluded.last_inbound_transport, last_inbound_from = excluded.last_inbound_from,
                thread = excluded.thread
            where chats.last_seq <= excluded.last_seq
            """);
        Positional(statement.Parameters,
            change.TenantId, change.ChatId, change.ClientId, chat.CreatedAt, Timestamp(chat.LastMessageAt), chat.LastSeq,
            chat.InboundCount, CrmJson.Write(chat.LastMessage), CrmJson.Write(chat.Members),
            Text(chat.LastInboundTransport is { } t ? EnumText.Of(t) : null),
            JsonSerializer.Serialize(chat.LastInboundFrom.ToDictionary(a => EnumText.Of(a.Key), a => a.Value)),
            JsonSerializer.Serialize(chat.Thread));
        return statement;
    }

    /// <summary>A message's delivery columns and outbox place; a provider id and delivery times, once set, stay.</summary>
    private static NpgsqlBatchCommand Update(ChatChange change, MessageWrite write)
    {
        var m = write.Message;
        var statement = new NpgsqlBatchCommand("""
            update messages set status = $4, error_code = $5,
                provider_message_id = coalesce($6, provider_message_id),
                sent_at = coalesce($7, sent_at), delivered_at = coalesce($8, delivered_at), read_at = coalesce($9, read_at),
                attempts = greatest(attempts, $10), next_attempt_at = $11, in_flight = $12
            where tenant_id = $1 and chat_id = $2 and seq = $3
            """);
        Positional(statement.Parameters,
            change.TenantId, change.ChatId, m.Seq, EnumText.Of(m.Status), Text(m.ErrorCode), Text(m.ProviderMessageId),
            Timestamp(m.SentAt), Timestamp(m.DeliveredAt), Timestamp(m.ReadAt));
        AddOutbox(statement.Parameters, write.Outbox);
        return statement;
    }

    /// <summary>The user's read horizon (only ever forward) and <c>read_at</c> on the inbound messages up to it.</summary>
    private static NpgsqlBatchCommand[] Read(ChatChange change, string userId, ReadHorizon horizon)
    {
        var upsert = new NpgsqlBatchCommand("""
            insert into chat_reads (tenant_id, chat_id, user_id, read_seq, read_inbound_count, read_at)
            values ($1, $2, $3, $4, $5, $6)
            on conflict (tenant_id, chat_id, user_id) do update set
                read_seq = excluded.read_seq, read_inbound_count = excluded.read_inbound_count, read_at = excluded.read_at
            where chat_reads.read_seq < excluded.read_seq
            """);
        upsert.Parameters.Add(new() { Value = change.TenantId });
        upsert.Parameters.Add(new() { Value = change.ChatId });
        upsert.Parameters.Add(new() { Value = userId });
        upsert.Parameters.Add(new() { Value = horizon.Seq });
        upsert.Parameters.Add(new() { Value = horizon.InboundCount });
        upsert.Parameters.Add(new() { Value = horizon.At });
        var readAt = new NpgsqlBatchCommand(
            "update messages set read_at = $4 where tenant_id = $1 and chat_id = $2 and seq <= $3 and direction = 'inbound' and read_at is null");
        readAt.Parameters.Add(new() { Value = change.TenantId });
        readAt.Parameters.Add(new() { Value = change.ChatId });
        readAt.Parameters.Add(new() { Value = horizon.Seq });
        readAt.Parameters.Add(new() { Value = horizon.At });
        return [upsert, readAt];
    }

    private async Task<ChatMessage?> ReadDuplicateAsync(string tenantId, ChatMessage m)
    {
        await using var cmd = db.CreateCommand($"""
            select {MessageColumns} from messages
            where tenant_id = @tenant and chat_id = @chat
              and (idempotency_key = @idem or (transport = @transport and provider_message_id = @provider))
            limit 1
            """);
        cmd.Parameters.AddWithValue("tenant", tenantId);
        cmd.Parameters.AddWithValue("chat", m.ChatId);
        cmd.Parameters.AddWithValue("idem", NpgsqlDbType.Text, (object?)m.IdempotencyKey ?? DBNull.Value);
        cmd.Parameters.AddWithValue("transport", EnumText.Of(m.Transport));
        cmd.Parameters.AddWithValue("provider", NpgsqlDbType.Text, (object?)m.ProviderMessageId ?? DBNull.Value);
        return (await ReadMessagesAsync(cmd)).FirstOrDefault();
    }

    private static IReadOnlyDictionary<Transport, string> AddressesOf(string json)
    {
        var stored = JsonSerializer.Deserialize<Dictionary<string, string>>(json) ?? [];
        return SmallMap<Transport, string>.Of(stored
            .Select(a => (Known: EnumText.TryParse<Transport>(a.Key, out var transport), Entry: KeyValuePair.Create(transport, a.Value)))
            .Where(a => a.Known)
            .Select(a => a.Entry));
    }

    private static IReadOnlyDictionary<string, string> ThreadOf(string json) =>
        SmallMap<string, string>.Of(JsonSerializer.Deserialize<Dictionary<string, string>>(json) ?? []);

    public async Task<IReadOnlyList<(string TenantId, string ChatId)>> OverdueOutboxesAsync(TimeSpan overdueFor, int limit)
    {
        // The partial index messages_outbox holds only the outbox's rows, so this reads none of the history.
        await using var command = db.CreateCommand("""
            select distinct tenant_id, chat_id from messages
             where next_attempt_at is not null and next_attempt_at < now() - $1
             limit $2
            """);
        command.Parameters.AddWithValue(overdueFor);
        command.Parameters.AddWithValue(limit);
        var chats = new List<(string, string)>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            chats.Add((reader.GetString(0), reader.GetString(1)));
        return chats;
    }

    public async Task<ChatErasure> EraseChatAsync(string tenantId, string chatId)
    {
        await using var connection = await db.OpenConnectionAsync();
        await using var tx = await connection.BeginTransactionAsync();
        await using var cmd = new NpgsqlCommand("""
            with files as (
                select distinct a->>'id' as id
                from messages m, jsonb_array_elements(m.attachments) a
                where m.tenant_id = @tenant and m.chat_id = @chat),
            gone_files as (
                delete from attachments t using files f
                where t.tenant_id = @tenant and t.id = f.id
                  and not exists (
                      select 1 from messages o, jsonb_array_elements(o.attachments) oa
                      where o.tenant_id = @tenant and o.chat_id <> @chat and oa->>'id' = f.id)
                returning 1),
            gone_messages as (delete from messages where tenant_id = @tenant and chat_id = @chat returning 1),
            gone_reads as (delete from chat_reads where tenant_id = @tenant and chat_id = @chat returning 1),
            gone_chat as (delete from chats where tenant_id = @tenant and chat_id = @chat returning 1)
            select (select count(*) from gone_messages), (select count(*) from gone_files),
                   (select count(*) from gone_reads) + (select count(*) from gone_chat)
            """, connection, tx);
        cmd.Parameters.AddWithValue("tenant", tenantId);
        cmd.Parameters.AddWithValue("chat", chatId);
        ChatErasure erased;
        await using (var reader = await cmd.ExecuteReaderAsync())
        {
            await reader.ReadAsync();
            erased = new ChatErasure { Messages = reader.GetInt64(0), Attachments = reader.GetInt64(1) };
        }
        await tx.CommitAsync();
        return erased;
    }

    public async Task<ChatMessage?> ReadMessageAsync(string tenantId, string chatId, long seq)
    {
        await using var cmd = db.CreateCommand($"select {MessageColumns} from messages where tenant_id = @tenant and chat_id = @chat and seq = @seq");
        cmd.Parameters.AddWithValue("tenant", tenantId);
        cmd.Parameters.AddWithValue("chat", chatId);
        cmd.Parameters.AddWithValue("seq", seq);
        return (await ReadMessagesAsync(cmd)).FirstOrDefault();
    }

    public async Task<IReadOnlyList<ChatMessage>> ReadMessagesAsync(string tenantId, string chatId, long? before, long? after, int limit)
    {
        var sql = after is not null || before is null
            ? $"select {MessageColumns} from messages where tenant_id = @tenant and chat_id = @chat and seq > @after and seq < @before order by seq limit @limit"
            : $"select * from (select {MessageColumns} from messages where tenant_id = @tenant and chat_id = @chat and seq > @after and seq < @before order by seq desc limit @limit) tail order by seq";
        await using var cmd = db.CreateCommand(sql);
        cmd.Parameters.AddWithValue("tenant", tenantId);
        cmd.Parameters.AddWithValue("chat", chatId);
        cmd.Parameters.AddWithValue("after", after ?? 0);
        cmd.Parameters.AddWithValue("before", before ?? long.MaxValue);
        cmd.Parameters.AddWithValue("limit", limit);
        return await ReadMessagesAsync(cmd);
    }

    public async Task<long> InboundCountAtAsync(string tenantId, string chatId, long seq)
    {
        await using var cmd = db.CreateCommand("select inbound_count from messages where tenant_id = @tenant and chat_id = @chat and seq <= @seq order by seq desc limit 1");
        cmd.Parameters.AddWithValue("tenant", tenantId);
        cmd.Parameters.AddWithValue("chat", chatId);
        cmd.Parameters.AddWithValue("seq", seq);
        return await cmd.ExecuteScalarAsync() is long count ? count : 0;
    }

    public async Task<Page<ChatView>> ListChatsAsync(string tenantId, string userId, bool unreadOnly, Transport? transport, int limit, string? cursor)
    {
        var hasCursor = ChatListCursor.TryParse(cursor, out var cursorAt, out var cursorId);
        await using var cmd = db.CreateCommand("""
            select c.chat_id, c.client_id, c.created_at, c.last_message_at, c.inbound_count - coalesce(r.read_inbound_count, 0),
                   c.last_message::text, c.members::text, ci.first_name, ci.last_name, c.sort_at
            from chats c
            join clients ci on ci.tenant_id = c.tenant_id and ci.client_id = c.client_id and ci.deleted_at is null
            left join chat_reads r on r.tenant_id = c.tenant_id and r.chat_id = c.chat_id and r.user_id = @user
            where c.tenant_id = @tenant
              and (@cursorAt::timestamptz is null or (c.sort_at, c.chat_id) < (@cursorAt, @cursorId))
              and (not @unread or c.inbound_count > coalesce(r.read_inbound_count, 0))
              and (@transport::text is null or c.last_message ->> 'transport' = @transport)
            order by c.sort_at desc, c.chat_id desc
            limit @limit
            """);
        cmd.Parameters.AddWithValue("tenant", tenantId);
        cmd.Parameters.AddWithValue("user", userId);
        cmd.Parameters.AddWithValue("cursorAt", NpgsqlDbType.TimestampTz, hasCursor ? cursorAt : DBNull.Value);
        cmd.Parameters.AddWithValue("cursorId", cursorId);
        cmd.Parameters.AddWithValue("unread", unreadOnly);
        cmd.Parameters.AddWithValue("transport", transport is { } t ? EnumText.Of(t) : DBNull.Value);
        cmd.Parameters.AddWithValue("limit", limit + 1);
        var items = new List<(ChatView Chat, DateTimeOffset SortAt)>();
        await using (var reader = await cmd.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                var name = ChatView.NameOf(reader.GetString(7), reader.IsDBNull(8) ? null : reader.GetString(8));
                items.Add((new ChatView
                {
                    Id = reader.GetString(0),
                    ClientId = reader.GetString(1),
                    CreatedAt = reader.GetFieldValue<DateTimeOffset>(2),
                    LastMessageAt = reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTimeOffset>(3),
                    UnreadCount = reader.GetInt64(4),
                    LastMessage = reader.IsDBNull(5) ? null : CrmJson.Read<MessagePreview?>(reader.GetString(5)),
                    Members = CrmJson.Read<List<Member>>(reader.GetString(6)),
                    ClientName = name,
                }, reader.GetFieldValue<DateTimeOffset>(9)));
            }
        }
        var more = items.Count > limit;
        if (more)
            items.RemoveAt(limit);
        var next = more ? ChatListCursor.Of(items[^1].SortAt, items[^1].Chat.Id) : null;
        return new Page<ChatView> { Items = items.Select(i => i.Chat).ToList(), NextCursor = next };
    }

    public async Task<MessageLocation?> LocateAsync(string tenantId, string? messageId, Transport transport, string? providerMessageId)
    {
        await using var cmd = db.CreateCommand("""
            select client_id, seq from messages
            where tenant_id = @tenant
              and ((@id::text is not null and id = @id) or (@provider::text is not null and transport = @transport and provider_message_id = @provider))
            limit 1
            """);
        cmd.Parameters.AddWithValue("tenant", tenantId);
        cmd.Parameters.AddWithValue("id", NpgsqlDbType.Text, (object?)messageId ?? DBNull.Value);
        cmd.Parameters.AddWithValue("transport", EnumText.Of(transport));
        cmd.Parameters.AddWithValue("provider", NpgsqlDbType.Text, (object?)providerMessageId ?? DBNull.Value);
        await using var reader = await cmd.ExecuteReaderAsync();
        return await reader.ReadAsync() ? new MessageLocation { ClientId = reader.GetString(0), Seq = reader.GetInt64(1) } : null;
    }

    public async Task<Page<ChatMessage>> SearchMessagesAsync(string tenantId, string query, int limit, string? cursor)
    {
        var before = long.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out var pos) ? pos : long.MaxValue;
        await using var cmd = db.CreateCommand($"""
            select {MessageColumns}, pos from messages m
            where m.tenant_id = @tenant and m.search @@ plainto_tsquery('simple', @query) and m.pos < @before
              and not exists (select 1 from clients ci
                              where ci.tenant_id = m.tenant_id and ci.client_id = m.client_id and ci.deleted_at is not null)
            order by m.pos desc
            limit @limit
            """);
        cmd.Parameters.AddWithValue("tenant", tenantId);
        cmd.Parameters.AddWithValue("query", query);
        cmd.Parameters.AddWithValue("before", before);
        cmd.Parameters.AddWithValue("limit", limit + 1);
        var positions = new List<long>();
        var items = await ReadMessagesAsync(cmd, r => positions.Add(r.GetInt64(18)));
        var more = items.Count > limit;
        return new Page<ChatMessage>
        {
            Items = more ? items.Take(limit).ToList() : items,
            NextCursor = more ? positions[limit - 1].ToString(CultureInfo.InvariantCulture) : null,
        };
    }

    private static async Task<IReadOnlyList<ChatMessage>> ReadMessagesAsync(NpgsqlCommand cmd, Action<DbDataReader>? extra = null)
    {
        var list = new List<ChatMessage>();
        await using var r = await cmd.ExecuteReaderAsync();
        while (await r.ReadAsync())
        {
            list.Add(new ChatMessage
            {
                Id = r.GetString(0),
                ChatId = r.GetString(1),
                Seq = r.GetInt64(2),
                Direction = Enum.Parse<MessageDirection>(r.GetString(3), ignoreCase: true),
                Text = r.GetString(4),
                Transport = Enum.Parse<Transport>(r.GetString(5), ignoreCase: true),
                Sender = CrmJson.Read<Sender>(r.GetString(6)),
                Attachments = CrmJson.Read<List<AttachmentRef>>(r.GetString(7)),
                Status = Enum.Parse<MessageStatus>(r.GetString(8), ignoreCase: true),
                ErrorCode = r.IsDBNull(9) ? null : r.GetString(9),
                CreatedAt = r.GetFieldValue<DateTimeOffset>(10),
                SentAt = r.IsDBNull(11) ? null : r.GetFieldValue<DateTimeOffset>(11),
                DeliveredAt = r.IsDBNull(12) ? null : r.GetFieldValue<DateTimeOffset>(12),
                ReadAt = r.IsDBNull(13) ? null : r.GetFieldValue<DateTimeOffset>(13),
                ProviderMessageId = r.IsDBNull(14) ? null : r.GetString(14),
                IdempotencyKey = r.IsDBNull(15) ? null : r.GetString(15),
                TemplateId = r.IsDBNull(16) ? null : r.GetString(16),
                InboundCount = r.GetInt64(17),
            });
            extra?.Invoke(r);
        }
        return list;
    }
}
