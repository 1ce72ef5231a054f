using Crm.Silo;
using Microsoft.Extensions.Configuration;
using Npgsql;

namespace Crm.Api.Tests;

/// <summary>Crm prepares its frequent statements and keeps pooled connections' state unless the operator's connection string says otherwise.</summary>
public sealed class ConnectionStringTests
{
    [Fact]
    public void DefaultsApplyWhereTheConnectionStringIsSilent()
    {
        var used = new NpgsqlConnectionStringBuilder(Configured("Host=db;Username=crm").GetCrmConnectionString());

        Assert.Equal("db", used.Host);
        Assert.True(used.NoResetOnClose);
        Assert.Equal(64, used.MaxAutoPrepare);
    }

    [Theory]
    [InlineData("Host=db;Max Auto Prepare=0;No Reset On Close=false")]
    [InlineData("Host=db;maxautoprepare=0;NoResetOnClose=false")]
    public void WhatTheOperatorSetIsKept(string configured)
    {
        var used = new NpgsqlConnectionStringBuilder(Configured(configured).GetCrmConnectionString());

        Assert.Equal(0, used.MaxAutoPrepare);
        Assert.False(used.NoResetOnClose);
    }

    private static IConfiguration Configured(string connectionString) =>
        new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:Crm"] = connectionString }).Build();
}
