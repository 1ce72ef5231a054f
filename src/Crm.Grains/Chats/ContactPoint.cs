namespace Crm.Grains;

/// <summary>A contact value as the contacts table holds it (normalised), without its id and times.</summary>
[GenerateSerializer, Immutable]
public sealed record ContactPoint
{
    [Id(0)] public ContactType Type { get; init; }
    [Id(1)] public string Value { get; init; } = "";
}
