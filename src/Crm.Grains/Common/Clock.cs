namespace Crm.Grains;

public static class Clock
{
    /// <summary>Now, at the microsecond precision PostgreSQL keeps, so a value reads back exactly as it was answered.</summary>
    public static DateTimeOffset Now(this TimeProvider clock)
    {
        var now = clock.GetUtcNow();
        return now.AddTicks(-(now.Ticks % 10));
    }
}
