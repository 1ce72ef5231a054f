namespace Crm.Grains;

/// <summary>The retention job of one tenant (key <c>{tenant}</c>), driven by a durable reminder.</summary>
public interface IRetentionGrain : IGrainWithStringKey
{
    /// <summary>
    /// Replaces the tenant's policy (stored with the tenant) and registers the periodic reminder, or removes it when
    /// the policy keeps everything. The job calls the tenant, never the other way round, so neither waits on the other.
    /// </summary>
    Task<Result<RetentionPolicy>> SetPolicyAsync(RetentionPolicy policy, Actor actor);

    /// <summary>Runs one pass of the tenant's current policy now and audits what it deleted.</summary>
    Task<RetentionRun> RunAsync(Actor actor);
}
