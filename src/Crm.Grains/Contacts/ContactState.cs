namespace Crm.Grains;

[GenerateSerializer]
public sealed class ContactState
{
    [Id(0)] public string? OwnerClientId { get; set; }
    [Id(1)] public DateTimeOffset? ClaimedAt { get; set; }
}
