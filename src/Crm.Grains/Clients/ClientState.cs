namespace Crm.Grains;

[GenerateSerializer]
public sealed class ClientState
{
    [Id(0)] public ClientProfile? Profile { get; set; }
}
