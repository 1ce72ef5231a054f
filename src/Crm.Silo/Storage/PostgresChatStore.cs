using System.Data.Common;
using System.Globalization;
using Crm.Grains;
using Npgsql;
using NpgsqlTypes;

namespace Crm.Silo;

internal sealed class PostgresChatStore(NpgsqlDataSource db, GroupCommit writer) : IChatStore
{
    private const string MessageColumns =
        "id, chat_id, seq, direction, text, transport, sender::text, attachments::text, status, error_code, created_at, " +
        "sent_at, delivered_at, read_at, provider_message_id, idempotency_key, template_id, inbound_count";

    public async Task<ChatMessage> AppendAsync(string tenantId, ChatMessage m, ChatSummary summary)
    {
        var message = new NpgsqlBatchCommand("""
            insert into messages (tenant_id, chat_id, seq, id, client_id, direction, transport, sender, text, attachments,
                                  template_id, idempotency_key, provider_message_id, inbound_count, created_at, status)
            values (@tenant, @chat, @seq, @id, @client, @direction, @transport, @sender::jsonb, @text, @attachments::jsonb,
                    @template, @idem, @provider, @inbound, @created, @status)
            on conflict do nothing
            """);
        var p = message.Parameters;
        p.AddWithValue("tenant", tenantId);
        p.AddWithValue("chat", m.ChatId);
        p.AddWithValue("seq", m.Seq);
        p.AddWithValue("id", m.Id);
        p.AddWithValue("client", summary.ClientId);
        p.AddWithValue("direction", EnumText.Of(m.Direction));
        p.AddWithValue("transport", EnumText.Of(m.Transport));
        p.AddWithValue("sender", CrmJson.Write(m.Sender));
        p.AddWithValue("text", m.Text);
        p.AddWithValue("attachments", CrmJson.Write(m.Attachments));
        p.AddWithValue("template", NpgsqlDbType.Text, (object?)m.TemplateId ?? DBNull.Value);
        p.AddWithValue("idem", NpgsqlDbType.Text, (object?)m.IdempotencyKey ?? DBNull.Value);
        p.AddWithValue("provider", NpgsqlDbType.Text, (object?)m.ProviderMessageId ?? DBNull.Value);
        p.AddWithValue("inbound", m.InboundCount);
        p.AddWithValue("created", m.CreatedAt);
        p.AddWithValue("status", EnumText.Of(m.Status));

        // The list row moves only when this message went in (in this same transaction), never backwards.
        var chat = new NpgsqlBatchCommand("""
            insert into chats (tenant_id, chat_id, client_id, created_at, last_message_at, sort_at, last_seq, inbound_count, last_message, members)
            select @tenant, @chat, @client, @chatCreated, @created, @created, @seq, @inbound, @preview::jsonb, @members::jsonb
            where exists (select 1 from messages where tenant_id = @tenant and chat_id = @chat and seq = @seq and id = @id)
            on conflict (tenant_id, chat_id) do update set
                last_message_at = excluded.last_message_at, sort_at = excluded.sort_at, last_seq = excluded.last_seq,
                inbound_count = excluded.inbound_count, last_message = excluded.last_message, members = excluded.members
            where chats.last_seq < excluded.last_seq
            """);
        p = chat.Parameters;
        p.AddWithValue("tenant", tenantId);
        p.AddWithValue("chat", m.ChatId);
        p.AddWithValue("seq", m.Seq);
        p.AddWithValue("id", m.Id);
        p.AddWithValue("client", summary.ClientId);
        p.AddWithValue("chatCreated", summary.CreatedAt);
        p.AddWithValue("created", m.CreatedAt);
        p.AddWithValue("inbound", m.InboundCount);
        p.AddWithValue("preview", CrmJson.Write(summary.LastMessage));
        p.AddWithValue("members", CrmJson.Write(summary.Members));
        var affected = await writer.WriteAsync(message, chat);
        if (affected[0] == 1)
            return m;

        return await ReadDuplicateAsync(tenantId, m)
            ?? throw new InvalidOperationException($"Seq {m.Seq} of chat {m.ChatId} is taken by another message.");
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

    public async Task UpsertChatAsync(ChatSummary s)
    {
        var cmd = new NpgsqlBatchCommand("""
            insert into chats (tenant_id, chat_id, client_id, created_at, last_message_at, sort_at, last_seq, inbound_count, last_message, members)
            values (@tenant, @chat, @client, @created, @lastAt, coalesce(@lastAt, @created), @seq, @inbound, @preview::jsonb, @members::jsonb)
            on conflict (tenant_id, chat_id) do update set
                members = excluded.members,
                last_message_at = case when excluded.last_seq >= chats.last_seq then excluded.last_message_at else chats.last_message_at end,
                sort_at = case when excluded.last_seq >= chats.last_seq then excluded.sort_at else chats.sort_at end,
                last_message = case when excluded.last_seq >= chats.last_seq then excluded.last_message else chats.last_message end,
                inbound_count = greatest(chats.inbound_count, excluded.inbound_count),
                last_seq = greatest(chats.last_seq, excluded.last_seq)
            """);
        var p = cmd.Parameters;
        p.AddWithValue("tenant", s.TenantId);
        p.AddWithValue("chat", s.ChatId);
        p.AddWithValue("client", s.ClientId);
        p.AddWithValue("created", s.CreatedAt);
        p.AddWithValue("lastAt", NpgsqlDbType.TimestampTz, (object?)s.LastMessageAt ?? DBNull.Value);
        p.AddWithValue("seq", s.LastSeq);
        p.AddWithValue("inbound", s.InboundCount);
        p.AddWithValue("preview", CrmJson.Write(s.LastMessage));
        p.AddWithValue("members", CrmJson.Write(s.Members));
        await writer.WriteAsync(cmd);
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

    public async Task<ChatMessage?> ReadLastAsync(string tenantId, string chatId)
    {
        await using var cmd = db.CreateCommand($"select {MessageColumns} from messages where tenant_id = @tenant and chat_id = @chat order by seq desc limit 1");
        cmd.Parameters.AddWithValue("tenant", tenantId);
        cmd.Parameters.AddWithValue("chat", chatId);
        return (await ReadMessagesAsync(cmd)).FirstOrDefault();
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

    public async Task MarkReadAsync(string tenantId, string chatId, string userId, long upToSeq, long inboundCount, DateTimeOffset at)
    {
        await using var batch = db.CreateBatch();
        var horizon = new NpgsqlBatchCommand("""
            insert into chat_reads (tenant_id, chat_id, user_id, read_seq, read_inbound_count, read_at)
            values ($1, $2, $3, $4, $5, $6)
            on conflict (tenant_id, chat_id, user_id) do update set
                read_seq = excluded.read_seq, read_inbound_count = excluded.read_inbound_count, read_at = excluded.read_at
            where chat_reads.read_seq < excluded.read_seq
            """);
        horizon.Parameters.Add(new() { Value = tenantId });
        horizon.Parameters.Add(new() { Value = chatId });
        horizon.Parameters.Add(new() { Value = userId });
        horizon.Parameters.Add(new() { Value = upToSeq });
        horizon.Parameters.Add(new() { Value = inboundCount });
        horizon.Parameters.Add(new() { Value = at });
        var readAt = new NpgsqlBatchCommand(
            "update messages set read_at = $4 where tenant_id = $1 and chat_id = $2 and seq <= $3 and direction = 'inbound' and read_at is null");
        readAt.Parameters.Add(new() { Value = tenantId });
        readAt.Parameters.Add(new() { Value = chatId });
        readAt.Parameters.Add(new() { Value = upToSeq });
        readAt.Parameters.Add(new() { Value = at });
        batch.BatchCommands.Add(horizon);
        batch.BatchCommands.Add(readAt);
        await batch.ExecuteNonQueryAsync();
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

    public async Task UpdateDeliveryAsync(string tenantId, string chatId, long seq, MessageStatus status, string? errorCode, string? providerMessageId,
        DateTimeOffset? sentAt, DateTimeOffset? deliveredAt, DateTimeOffset? readAt)
    {
        var cmd = new NpgsqlBatchCommand("""
            update messages set status = @status, error_code = @error,
                provider_message_id = coalesce(@provider, provider_message_id),
                sent_at = coalesce(@sent, sent_at), delivered_at = coalesce(@delivered, delivered_at), read_at = coalesce(@read, read_at)
            where tenant_id = @tenant and chat_id = @chat and seq = @seq
            """);
        var p = cmd.Parameters;
        p.AddWithValue("tenant", tenantId);
        p.AddWithValue("chat", chatId);
        p.AddWithValue("seq", seq);
        p.AddWithValue("status", EnumText.Of(status));
        p.AddWithValue("error", NpgsqlDbType.Text, (object?)errorCode ?? DBNull.Value);
        p.AddWithValue("provider", NpgsqlDbType.Text, (object?)providerMessageId ?? DBNull.Value);
        p.AddWithValue("sent", NpgsqlDbType.TimestampTz, (object?)sentAt ?? DBNull.Value);
        p.AddWithValue("delivered", NpgsqlDbType.TimestampTz, (object?)deliveredAt ?? DBNull.Value);
        p.AddWithValue("read", NpgsqlDbType.TimestampTz, (object?)readAt ?? DBNull.Value);
        await writer.WriteAsync(cmd);
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
            select {MessageColumns}, pos from messages
            where tenant_id = @tenant and search @@ plainto_tsquery('simple', @query) and pos < @before
            order by pos desc
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
