using Microsoft.Extensions.Configuration.EnvironmentVariables;
using Microsoft.Extensions.Configuration.Json;

namespace Crm.Api;

/// <summary>
/// An optional JSON file named by <c>Crm:SettingsFile</c>, read after appsettings.json and before the environment
/// (which still wins), and reloaded when it changes: <c>./crm up</c> writes the first tenant's website channel there,
/// and whatever reads settings through <c>IOptionsMonitor</c> sees a change without a restart.
/// </summary>
public static class SettingsFile
{
    public const string Key = "Crm:SettingsFile";

    public static ConfigurationManager AddCrmSettingsFile(this ConfigurationManager configuration)
    {
        if (configuration[Key] is not { Length: > 0 } path)
            return configuration;
        var source = new JsonConfigurationSource { Path = Path.GetFullPath(path), Optional = true, ReloadOnChange = true };
        source.ResolveFileProvider();
        configuration.Sources.Insert(IndexOfEnvironment(configuration.Sources), source);
        return configuration;
    }

    private static int IndexOfEnvironment(IList<IConfigurationSource> sources)
    {
        for (var i = 0; i < sources.Count; i++)
        {
            if (sources[i] is EnvironmentVariablesConfigurationSource { Prefix: null or "" })
                return i;
        }
        return sources.Count;
    }
}
