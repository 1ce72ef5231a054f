namespace Crm.Silo;

/// <summary>
/// How Crm.Api takes part in the cluster: <c>CoHosted</c> runs a silo in the API process (one process, the default);
/// <c>Client</c> makes the API an Orleans client of silos run by Crm.Silo.Host (PostgreSQL only).
/// </summary>
public enum ApiRole { CoHosted, Client }

/// <summary>How the silo stores data and joins its cluster (section <c>Crm</c>; the connection string is <c>ConnectionStrings:Crm</c>).</summary>
public sealed class CrmOptions
{
    public const string SectionName = "Crm";

    public ApiRole Role { get; set; } = ApiRole.CoHosted;
    public string ClusterId { get; set; } = "crm";
    public string ServiceId { get; set; } = "crm";
    public int SiloPort { get; set; } = 11111;
    public int GatewayPort { get; set; } = 30000;

    /// <summary>The IP address other silos and clients reach this silo at; unset keeps it on loopback (one machine).</summary>
    public string? AdvertisedAddress { get; set; }

    /// <summary>Queues of the durable streams; each is pulled by one agent somewhere in the cluster.</summary>
    public int StreamPartitions { get; set; } = 4;

    /// <summary>The key that may create tenants (environment <c>CRM_SYSTEM_KEY</c>); without it no tenant can be created.</summary>
    public string? SystemKey { get; set; }
}
