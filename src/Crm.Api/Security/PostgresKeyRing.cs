using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Npgsql;

namespace Crm.Api;

/// <summary>
/// The data protection key ring in the <c>crm_data_protection_keys</c> table, so every API node reads the
/// session cookies and antiforgery tokens any other node wrote. The XML is stored as the key manager gives
/// it, unencrypted: whoever reads the table can forge cookies (an <c>IXmlEncryptor</c>, e.g. a certificate,
/// would close that).
/// </summary>
internal sealed class PostgresKeyRing(NpgsqlDataSource db) : IXmlRepository
{
    public const string ApplicationName = "crm";

    // The key manager calls these synchronously, rarely (at start and when keys roll), so blocking is fine.
    public IReadOnlyCollection<XElement> GetAllElements()
    {
        using var cmd = db.CreateCommand("select xml from crm_data_protection_keys order by id");
        using var reader = cmd.ExecuteReader();
        var elements = new List<XElement>();
        while (reader.Read())
            elements.Add(XElement.Parse(reader.GetString(0)));
        return elements;
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        using var cmd = db.CreateCommand("insert into crm_data_protection_keys (friendly_name, xml) values (@name, @xml) on conflict (friendly_name) do nothing");
        cmd.Parameters.AddWithValue("name", friendlyName);
        cmd.Parameters.AddWithValue("xml", element.ToString(SaveOptions.DisableFormatting));
        cmd.ExecuteNonQuery();
    }
}

public static class CrmDataProtection
{
    /// <summary>One application name and one key ring in PostgreSQL for every node.</summary>
    public static IServiceCollection AddCrmDataProtection(this IServiceCollection services)
    {
        services.AddDataProtection().SetApplicationName(PostgresKeyRing.ApplicationName);
        services.AddOptions<KeyManagementOptions>()
            .Configure<NpgsqlDataSource>((options, db) => options.XmlRepository = new PostgresKeyRing(db));
        return services;
    }
}
