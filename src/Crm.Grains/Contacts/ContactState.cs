namespace Crm.Grains;

[GenerateSerializer]
public sealed class ContactState
{
    [Id(0)] public string? OwnerClientId { get; set; }
    [Id(1)] public DateTimeOffset? ClaimedAt { get; set; }

    /// <summary>
    /// The owner's client record is known to exist. A claim is written before the client is, so a crash between
    /// the two leaves a claim whose client must still be made.
    /// </summary>
    [Id(2)] public bool OwnerExists { get; set; }
}
