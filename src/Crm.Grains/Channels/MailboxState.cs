namespace Crm.Grains;

[GenerateSerializer]
public sealed class MailboxState
{
    [Id(0)] public uint UidValidity { get; set; }
    [Id(1)] public uint LastUid { get; set; }
}
