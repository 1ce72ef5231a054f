namespace Crm.Grains;

[GenerateSerializer]
public sealed class TelegramOffsetState
{
    [Id(0)] public long Offset { get; set; }
}
