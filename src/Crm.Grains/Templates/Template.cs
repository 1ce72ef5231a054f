namespace Crm.Grains;

[GenerateSerializer, Immutable]
public sealed record Template
{
    [Id(0)] public string Id { get; init; } = "";
    [Id(1)] public string Name { get; init; } = "";
    [Id(2)] public string Text { get; init; } = "";
    [Id(3)] public DateTimeOffset CreatedAt { get; init; }
    [Id(4)] public DateTimeOffset UpdatedAt { get; init; }
}

public static class TemplateRules
{
    public const int MaxNameLength = 100;
    public const int MaxTemplates = 5000;

    public static void Validate(string? name, string? text, Errors errors)
    {
        if (string.IsNullOrWhiteSpace(name))
            errors.Add("name", "A name is required.");
        else if (name.Trim().Length > MaxNameLength)
            errors.Add("name", $"At most {MaxNameLength} characters.");
        else
            TextInput.Check(name, "name", errors);
        if (string.IsNullOrWhiteSpace(text))
            errors.Add("text", "Text is required.");
        else if (text.Length > ChatRules.MaxTextLength)
            errors.Add("text", $"At most {ChatRules.MaxTextLength} characters.");
        else
            TextInput.Check(text, "text", errors);
    }
}
