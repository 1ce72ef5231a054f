namespace Crm.Grains.Tests;

[Collection(ClusterCollection.Name)]
public sealed class AttachmentTests(ClusterFixture fixture)
{
    [Fact]
    public async Task AMessageRefersToAnUploadedFileOfItsTenant()
    {
        var tenant = Fresh.Tenant();
        var (_, client) = await Fresh.ClientAsync(fixture.Grains, tenant, "Files", new ContactDraft { Type = ContactType.Email, Value = $"{Guid.NewGuid():N}@example.com" });
        var chat = fixture.Grains.GetGrain<IChatGrain>(Ids.Key(tenant, client.Id));
        var uploaded = (await fixture.Grains.GetGrain<IAttachmentsGrain>(tenant).UploadAsync("invoice.pdf", "application/pdf", [1, 2, 3], Fresh.Agent(tenant))).Value!;
        var foreign = (await fixture.Grains.GetGrain<IAttachmentsGrain>(Fresh.Tenant()).UploadAsync("x.txt", "text/plain", [9], Fresh.Agent("other"))).Value!;

        var sent = await chat.SendAsync(new OutgoingMessage { Text = "see attached", Attachments = [new AttachmentRef { Id = uploaded.Id }] }, Fresh.Agent(tenant));
        var stolen = await chat.SendAsync(new OutgoingMessage { Text = "x", Attachments = [new AttachmentRef { Id = foreign.Id }] }, Fresh.Agent(tenant));
        var downloaded = await fixture.Grains.GetGrain<IAttachmentsGrain>(tenant).DownloadAsync(uploaded.Id);

        var attachment = Assert.Single(sent.Value!.Attachments);
        Assert.Equal(("invoice.pdf", "application/pdf", 3L), (attachment.FileName, attachment.ContentType, attachment.Size));
        Assert.Contains("attachments", stolen.Errors!.Keys);
        Assert.Equal([1, 2, 3], downloaded!.Content);
    }

    [Fact]
    public async Task AnEmptyOrNamelessFileIsRefused()
    {
        var attachments = fixture.Grains.GetGrain<IAttachmentsGrain>(Fresh.Tenant());

        var empty = await attachments.UploadAsync("a.txt", "text/plain", [], Fresh.Agent("t"));
        var nameless = await attachments.UploadAsync(" ", "text/plain", [1], Fresh.Agent("t"));

        Assert.Equal(Outcome.Invalid, empty.Outcome);
        Assert.Equal(Outcome.Invalid, nameless.Outcome);
    }
}
