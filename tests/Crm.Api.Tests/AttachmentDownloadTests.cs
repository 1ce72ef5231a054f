using System.Net;

namespace Crm.Api.Tests;

/// <summary>
/// A downloaded file never runs in the API's origin: a type that a browser could execute (HTML, SVG) is served as an
/// opaque download, and every download forbids sniffing and carries a sandbox policy.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class AttachmentDownloadTests(ApiFixture fixture)
{
    private CrmApiFactory Factory => fixture.Factory;

    [Theory]
    [InlineData("page.html", "text/html", "application/octet-stream")]
    [InlineData("page.html", "TEXT/HTML; charset=utf-8", "application/octet-stream")]
    [InlineData("logo.svg", "image/svg+xml", "application/octet-stream")]
    [InlineData("photo.png", "image/png", "image/png")]
    [InlineData("scan.pdf", "application/pdf", "application/pdf")]
    [InlineData("notes.txt", "text/plain", "text/plain")]
    public async Task ADownloadIsServedAsASafeTypeWithoutSniffingAndSandboxed(string fileName, string claimedType, string servedType)
    {
        var tenant = await Factory.CreateTenantAsync();
        byte[] content = "<html><script>fetch('/api/v1/me')</script></html>"u8.ToArray();
        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(content) { Headers = { { "Content-Type", claimedType } } }, "file", fileName },
        };
        var uploaded = await tenant.Admin.PostAsync("/api/v1/attachments", form);
        Assert.Equal(HttpStatusCode.Created, uploaded.StatusCode);

        var download = await tenant.Admin.GetAsync($"/api/v1/attachments/{(await uploaded.BodyAsync()).Str("id")}");

        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal(servedType, download.Content.Headers.ContentType?.MediaType);
        Assert.Equal("nosniff", Assert.Single(download.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal("sandbox", Assert.Single(download.Headers.GetValues("Content-Security-Policy")));
        Assert.Equal(content, await download.Content.ReadAsByteArrayAsync());
    }
}
