using Crm.Grains;
using Npgsql;

namespace Crm.Silo;

internal sealed class PostgresAttachmentStore(NpgsqlDataSource db) : IAttachmentStore
{
    public async Task SaveAsync(string tenantId, AttachmentRef meta, byte[] content, string createdBy, DateTimeOffset at)
    {
        await using var cmd = db.CreateCommand("""
            insert into attachments (tenant_id, id, file_name, content_type, size, content, created_at, created_by)
            values (@tenant, @id, @name, @type, @size, @content, @at, @by)
            """);
        cmd.Parameters.AddWithValue("tenant", tenantId);
        cmd.Parameters.AddWithValue("id", meta.Id);
        cmd.Parameters.AddWithValue("name", meta.FileName!);
        cmd.Parameters.AddWithValue("type", meta.ContentType!);
        cmd.Parameters.AddWithValue("size", (long)content.Length);
        cmd.Parameters.AddWithValue("content", content);
        cmd.Parameters.AddWithValue("at", at);
        cmd.Parameters.AddWithValue("by", createdBy);
        await cmd.ExecuteNonQueryAsync();
    }

    public async Task<IReadOnlyList<AttachmentRef>> DescribeAsync(string tenantId, IReadOnlyList<string> ids)
    {
        await using var cmd = db.CreateCommand("select id, file_name, content_type, size from attachments where tenant_id = @tenant and id = any(@ids)");
        cmd.Parameters.AddWithValue("tenant", tenantId);
        cmd.Parameters.AddWithValue("ids", ids.ToArray());
        var list = new List<AttachmentRef>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            list.Add(new AttachmentRef { Id = reader.GetString(0), FileName = reader.GetString(1), ContentType = reader.GetString(2), Size = reader.GetInt64(3) });
        return list;
    }

    public async Task<AttachmentContent?> ReadAsync(string tenantId, string id)
    {
        await using var cmd = db.CreateCommand("select file_name, content_type, size, content from attachments where tenant_id = @tenant and id = @id");
        cmd.Parameters.AddWithValue("tenant", tenantId);
        cmd.Parameters.AddWithValue("id", id);
        await using var reader = await cmd.ExecuteReaderAsync();
        if (!await reader.ReadAsync())
            return null;
        return new AttachmentContent
        {
            Meta = new AttachmentRef { Id = id, FileName = reader.GetString(0), ContentType = reader.GetString(1), Size = reader.GetInt64(2) },
            Content = await reader.GetFieldValueAsync<byte[]>(3),
        };
    }
}
