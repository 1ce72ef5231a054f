namespace Crm.Grains;

/// <summary>How long a tenant keeps messages and attachments; null keeps them for ever.</summary>
[GenerateSerializer, Immutable]
public sealed record RetentionPolicy
{
    [Id(0)] public int? MessageDays { get; init; }
    [Id(1)] public int? AttachmentDays { get; init; }

    public bool IsEmpty => MessageDays is null && AttachmentDays is null;
}

/// <summary>What one retention pass deleted.</summary>
[GenerateSerializer, Immutable]
public sealed record RetentionRun
{
    [Id(0)] public DateTimeOffset At { get; init; }
    [Id(1)] public long MessagesDeleted { get; init; }
    [Id(2)] public long AttachmentsDeleted { get; init; }
    [Id(3)] public DateTimeOffset? MessagesBefore { get; init; }
    [Id(4)] public DateTimeOffset? AttachmentsBefore { get; init; }
}

public static class RetentionRules
{
    public const int MinDays = 1;
    public const int MaxDays = 3650;

    public static void Validate(RetentionPolicy policy, Errors errors)
    {
        Check(policy.MessageDays, "messageDays", errors);
        Check(policy.AttachmentDays, "attachmentDays", errors);
    }

    /// <summary>Rows created before this instant are expired; null when the policy keeps them for ever.</summary>
    public static DateTimeOffset? Cutoff(int? days, DateTimeOffset now) => days is { } d ? now.AddDays(-d) : null;

    private static void Check(int? days, string field, Errors errors)
    {
        if (days is < MinDays or > MaxDays)
            errors.Add(field, $"Must be between {MinDays} and {MaxDays} days, or null to keep for ever.");
    }
}

/// <summary>How often the retention job runs and how many rows one statement deletes.</summary>
public sealed class RetentionOptions
{
    public const string SectionName = "Crm:Retention";

    public TimeSpan Period { get; set; } = TimeSpan.FromHours(1);

    public int BatchSize { get; set; } = 1000;
}
