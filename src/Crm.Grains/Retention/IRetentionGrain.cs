namespace Crm.Grains;

/// <summary>The retention job of one tenant (key <c>{tenant}</c>), driven by a durable reminder.</summary>
public interface IRetentionGrain : IGrainWithStringKey
{
    /// <summary>Registers the periodic reminder (idempotent).</summary>
    Task StartAsync();

    /// <summary>Unregisters the reminder, if any.</summary>
    Task StopAsync();

    /// <summary>Runs one pass of the tenant's current policy now and audits what it deleted.</summary>
    Task<RetentionRun> RunAsync(Actor actor);
}
