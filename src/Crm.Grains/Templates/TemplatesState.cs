namespace Crm.Grains;

[GenerateSerializer]
public sealed class TemplatesState
{
    [Id(0)] public Dictionary<string, Template> Templates { get; set; } = [];
}
