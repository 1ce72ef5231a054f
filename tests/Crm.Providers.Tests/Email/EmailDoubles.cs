using System.Collections.Concurrent;
using Crm.Grains;
using Microsoft.Extensions.Options;

namespace Crm.Providers.Tests;

/// <summary>Takes inbound messages as the real gateway would and remembers them in order; can be told to fail.</summary>
internal sealed class RecordingGateway : IInboundGateway
{
    private readonly ConcurrentQueue<InboundMessage> accepted = new();
    private int failuresLeft;

    public IReadOnlyList<InboundMessage> Accepted => [.. accepted];

    public void FailNext(int times) => failuresLeft = times;

    public Task AcceptMessageAsync(InboundMessage message)
    {
        if (Interlocked.Decrement(ref failuresLeft) >= 0)
            throw new InvalidOperationException("The inbound stream is unavailable.");
        accepted.Enqueue(message);
        return Task.CompletedTask;
    }

    public Task AcceptStatusAsync(StatusReport report) => Task.CompletedTask;

    /// <summary>Waits until at least <paramref name="count"/> messages were accepted and returns them all.</summary>
    public async Task<IReadOnlyList<InboundMessage>> WaitForAsync(int count, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(10));
        while (accepted.Count < count && DateTime.UtcNow < deadline)
            await Task.Delay(25);
        Assert.True(accepted.Count >= count, $"{accepted.Count} of {count} messages reached the gateway in time.");
        return Accepted;
    }
}

internal sealed class MemoryMarks : IMailboxMarks
{
    private readonly ConcurrentDictionary<string, MailboxMark> marks = new();
    private readonly ConcurrentDictionary<string, (string Holder, DateTime Until)> leases = new();

    public Task<bool> LeaseAsync(string key, string holder, TimeSpan duration)
    {
        lock (leases)
        {
            if (leases.TryGetValue(key, out var lease) && lease.Holder != holder && lease.Until > DateTime.UtcNow)
                return Task.FromResult(false);
            leases[key] = (holder, DateTime.UtcNow + duration);
            return Task.FromResult(true);
        }
    }

    public Task ReleaseAsync(string key, string holder)
    {
        lock (leases)
        {
            if (leases.TryGetValue(key, out var lease) && lease.Holder == holder)
                leases.TryRemove(key, out _);
            return Task.CompletedTask;
        }
    }

    public Task<MailboxMark> GetAsync(string key) => Task.FromResult(marks.GetValueOrDefault(key) ?? MailboxMark.None);

    public Task AdvanceAsync(string key, MailboxMark mark)
    {
        marks.AddOrUpdate(key, mark, (_, current) => MailboxMark.Advance(current, mark));
        return Task.CompletedTask;
    }
}

internal sealed class MemoryFiles : IEmailFiles
{
    private readonly ConcurrentDictionary<string, AttachmentContent> files = new();

    public Task<AttachmentRef?> SaveAsync(string tenantId, string fileName, string contentType, byte[] content)
    {
        var meta = new AttachmentRef { Id = Ids.New("at"), FileName = fileName, ContentType = contentType, Size = content.Length };
        files[tenantId + "/" + meta.Id] = new AttachmentContent { Meta = meta, Content = content };
        return Task.FromResult<AttachmentRef?>(meta);
    }

    public Task<AttachmentContent?> ReadAsync(string tenantId, string attachmentId) =>
        Task.FromResult(files.GetValueOrDefault(tenantId + "/" + attachmentId));
}

internal sealed class StaticOptions(ChannelOptions value) : IOptionsMonitor<ChannelOptions>
{
    public ChannelOptions CurrentValue => value;
    public ChannelOptions Get(string? name) => value;
    public IDisposable? OnChange(Action<ChannelOptions, string?> listener) => null;
}
