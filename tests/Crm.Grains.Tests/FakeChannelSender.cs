using System.Collections.Concurrent;

namespace Crm.Grains.Tests;

/// <summary>A provider stand-in: records every envelope and answers what the test scripted for its text.</summary>
public sealed class FakeChannelSender : IChannelSender
{
    private readonly ConcurrentDictionary<string, ConcurrentQueue<SendOutcome>> _scripts = new();

    public ConcurrentQueue<OutboundEnvelope> Sent { get; } = new();

    /// <summary>Outcomes for a message with this text, in order; once used up, the message is sent.</summary>
    public void Script(string text, params SendOutcome[] outcomes) => _scripts[text] = new ConcurrentQueue<SendOutcome>(outcomes);

    public Task<SendOutcome> SendAsync(OutboundEnvelope envelope, CancellationToken cancellationToken)
    {
        Sent.Enqueue(envelope);
        var outcome = _scripts.TryGetValue(envelope.Text, out var script) && script.TryDequeue(out var next)
            ? next
            : SendOutcome.Sent("prov-" + envelope.MessageId);
        return Task.FromResult(outcome);
    }

    public IReadOnlyList<OutboundEnvelope> For(string tenantId) => Sent.Where(e => e.TenantId == tenantId).ToList();
}
