namespace Crm.Grains;

/// <summary>Names of the grain storage providers.</summary>
public static class StorageNames
{
    /// <summary>
    /// Grain state. It must differ from every stream provider name: Orleans keeps a stream provider's producer and
    /// consumer records in the grain storage of the same name when there is one, and this storage's JSON cannot
    /// read those records back.
    /// </summary>
    public const string Crm = "crm-state";

    /// <summary>Orleans' stream records (producers, consumers), in Orleans' binary format.</summary>
    public const string PubSub = "PubSubStore";
}
