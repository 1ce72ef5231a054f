using Crm.Silo;
using Microsoft.Extensions.Configuration;
using Npgsql;

namespace Crm.Api.Tests;

/// <summary>
/// Pooled connections keep their state, and Orleans' key lookups are prepared while Crm's own tenant-wide statements
/// are not, unless the operator's connection string says otherwise.
/// </summary>
public sealed class ConnectionStringTests
{
    [Fact]
    public void DefaultsApplyWhereTheConnectionStringIsSilent()
    {
        var configuration = Configured("Host=db;Username=crm");
        var crm = new NpgsqlConnectionStringBuilder(configuration.GetCrmConnectionString());
        var orleans = new NpgsqlConnectionStringBuilder(configuration.GetOrleansConnectionString());

        Assert.Equal(("db", "crm"), (crm.Host, crm.Username));
        Assert.Equal(("db", "crm"), (orleans.Host, orleans.Username));
        Assert.True(crm.NoResetOnClose);
        Assert.True(orleans.NoResetOnClose);
        Assert.Equal(0, crm.MaxAutoPrepare);
        Assert.Equal(64, orleans.MaxAutoPrepare);
    }

    [Theory]
    [InlineData("Host=db;Max Auto Prepare=0;No Reset On Close=false")]
    [InlineData("Host=db;maxautoprepare=0;NoResetOnClose=false")]
    public void WhatTheOperatorSetIsKept(string configured)
    {
        var configuration = Configured(configured);

        foreach (var used in new[] { configuration.GetCrmConnectionString(), configuration.GetOrleansConnectionString() }.Select(s => new NpgsqlConnectionStringBuilder(s)))
        {
            Assert.Equal(0, used.MaxAutoPrepare);
            Assert.False(used.NoResetOnClose);
        }
    }

    private static IConfiguration Configured(string connectionString) =>
        new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:Crm"] = connectionString }).Build();
}
