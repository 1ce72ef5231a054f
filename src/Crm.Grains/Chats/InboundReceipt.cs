namespace Crm.Grains;

/// <summary>An inbound message as the chat holds it, and whether this call stored it (false: the provider delivered it again).</summary>
[GenerateSerializer, Immutable]
public sealed record InboundReceipt
{
    [Id(0)] public ChatMessage Message { get; init; } = new();
    [Id(1)] public bool Stored { get; init; }
}
