namespace Crm.Grains;

/// <summary>Names of the storage and stream providers, fixed here because they are persisted.</summary>
public static class StorageNames
{
    public const string Crm = "crm";
    public const string PubSub = "PubSubStore";
}
