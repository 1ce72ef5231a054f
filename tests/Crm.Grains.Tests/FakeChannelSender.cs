using System.Collections.Concurrent;

namespace Crm.Grains.Tests;

/// <summary>A provider stand-in: records every envelope and answers what the test scripted for its text.</summary>
public sealed class FakeChannelSender : IChannelSender
{
    private readonly ConcurrentDictionary<string, ConcurrentQueue<SendOutcome>> _scripts = new();
    private readonly ConcurrentDictionary<string, (TimeSpan For, TaskCompletionSource Started)> _hangs = new();

    public ConcurrentQueue<OutboundEnvelope> Sent { get; } = new();

    /// <summary>Outcomes for a message with this text, in order; once used up, the message is sent.</summary>
    public void Script(string text, params SendOutcome[] outcomes) => _scripts[text] = new ConcurrentQueue<SendOutcome>(outcomes);

    /// <summary>
    /// The next send of a message with this text hangs for <paramref name="duration"/>, deaf to cancellation, as a
    /// provider that stopped answering; the task completes when the hang has begun.
    /// </summary>
    public Task Hang(string text, TimeSpan duration)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _hangs[text] = (duration, started);
        return started.Task;
    }

    public async Task<SendOutcome> SendAsync(OutboundEnvelope envelope, CancellationToken cancellationToken)
    {
        Sent.Enqueue(envelope);
        if (_hangs.TryRemove(envelope.Text, out var hang))
        {
            hang.Started.TrySetResult();
            await Task.Delay(hang.For, CancellationToken.None);
        }
        return _scripts.TryGetValue(envelope.Text, out var script) && script.TryDequeue(out var next)
            ? next
            : SendOutcome.Sent("prov-" + envelope.MessageId);
    }

    public IReadOnlyList<OutboundEnvelope> For(string tenantId) => Sent.Where(e => e.TenantId == tenantId).ToList();
}
