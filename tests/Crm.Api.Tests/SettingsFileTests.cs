using Microsoft.Extensions.Configuration;

namespace Crm.Api.Tests;

/// <summary>The file ./crm up writes channel settings into: over appsettings, under the environment, reloaded on change.</summary>
public sealed class SettingsFileTests : IDisposable
{
    private readonly string file = Path.Combine(Path.GetTempPath(), $"crm-settings-{Guid.NewGuid():N}", "settings.json");
    private readonly string variable = "CrmSettingsTest" + Guid.NewGuid().ToString("N");

    [Fact]
    public async Task TheFileOverridesAppsettingsTheEnvironmentOverridesTheFileAndAChangeIsReadWithoutARestart()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        await File.WriteAllTextAsync(file, $$"""{"Crm":{"Site":"from the file"},"{{variable}}":"from the file"}""");
        Environment.SetEnvironmentVariable(variable, "from the environment");
        var configuration = new ConfigurationManager();
        configuration.AddInMemoryCollection(new Dictionary<string, string?> { [SettingsFile.Key] = file, ["Crm:Site"] = "from appsettings" });
        configuration.AddEnvironmentVariables();

        configuration.AddCrmSettingsFile();
        var before = configuration["Crm:Site"];
        await File.WriteAllTextAsync(file, $$"""{"Crm":{"Site":"changed"},"{{variable}}":"from the file"}""");

        Assert.Equal(("from the file", "from the environment"), (before, configuration[variable]));
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (configuration["Crm:Site"] != "changed" && DateTime.UtcNow < deadline)
            await Task.Delay(100);
        Assert.Equal("changed", configuration["Crm:Site"]);
    }

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(variable, null);
        Directory.Delete(Path.GetDirectoryName(file)!, recursive: true);
    }
}
