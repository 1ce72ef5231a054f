namespace Crm.Grains.Tests;

[Collection(ClusterCollection.Name)]
public sealed class ClientGrainTests(ClusterFixture fixture)
{
    private IGrainFactory Grains => fixture.Grains;

    [Fact]
    public async Task CreatingWithoutFirstNameIsInvalidAndStoresNothing()
    {
        var tenant = Fresh.Tenant();
        var grain = Grains.GetGrain<IClientGrain>(Ids.Key(tenant, Ids.New("cl")));

        var result = await grain.CreateAsync(Fresh.Fields(("lastName", "Lee")), [], Fresh.Agent(tenant));

        Assert.Equal(Outcome.Invalid, result.Outcome);
        Assert.Contains("firstName", result.Errors!.Keys);
        Assert.Null(await grain.GetAsync());
    }

    [Fact]
    public async Task CreatingKeepsEveryAttributeAndNormalisesContacts()
    {
        var tenant = Fresh.Tenant();
        var grain = Grains.GetGrain<IClientGrain>(Ids.Key(tenant, Ids.New("cl")));
        var fields = Fresh.Fields(("firstName", "Ann"), ("lastName", "Lee"), ("middleName", "Marie"), ("gender", "female"),
            ("dateOfBirth", "1990-02-03"), ("phone", "+44 20 7946 0958"), ("email", "Ann@Example.COM"), ("address", "1 Main St"),
            ("passportNumber", "X1234567"), ("taxPin", "PIN-42"), ("comment", "VIP"));

        var result = await grain.CreateAsync(fields, [
            new ContactDraft { Type = ContactType.Phone, Value = "+1 (415) 555-0123" },
            new ContactDraft { Type = ContactType.Email, Value = "ANN@Example.com" },
            new ContactDraft { Type = ContactType.Telegram, Value = "@Ann_Lee" },
        ], Fresh.Agent(tenant));

        var p = result.Value!;
        Assert.Equal(("Ann", "Lee", "Marie", Gender.Female), (p.FirstName, p.LastName, p.MiddleName, p.Gender));
        Assert.Equal(new DateOnly(1990, 2, 3), p.DateOfBirth);
        Assert.Equal(("+442079460958", "ann@example.com"), (p.Phone, p.Email));
        Assert.Equal(("1 Main St", "X1234567", "PIN-42", "VIP"), (p.Address, p.PassportNumber, p.TaxPin, p.Comment));
        Assert.Equal(["+14155550123", "ann@example.com", "ann_lee"], p.Contacts.Select(c => c.Value));
        Assert.Equal(p.CreatedAt, p.UpdatedAt);
    }

    [Fact]
    public async Task TwoClientsClaimingOneContactAtOnceLeaveExactlyOneOwner()
    {
        var tenant = Fresh.Tenant();
        var phone = new ContactDraft { Type = ContactType.Phone, Value = "+14155550199" };
        var grains = Enumerable.Range(0, 8).Select(_ => Grains.GetGrain<IClientGrain>(Ids.Key(tenant, Ids.New("cl")))).ToList();

        var results = await Task.WhenAll(grains.Select(g => g.CreateAsync(Fresh.Fields(("firstName", "Racer")), [phone], Fresh.Agent(tenant))));

        var winner = Assert.Single(results, r => r.IsOk);
        Assert.All(results.Where(r => !r.IsOk), r => Assert.Equal(Outcome.Conflict, r.Outcome));
        var owner = await Grains.GetGrain<IContactGrain>(ContactRules.GrainKey(tenant, ContactType.Phone, "+14155550199")).GetOwnerAsync();
        Assert.Equal(winner.Value!.Id, owner);
    }

    [Fact]
    public async Task AContactValueIsUniqueWithinATenantButNotAcrossTenants()
    {
        var tenantA = Fresh.Tenant();
        var tenantB = Fresh.Tenant();
        var email = new ContactDraft { Type = ContactType.Email, Value = "shared@example.com" };
        await Fresh.ClientAsync(Grains, tenantA, "First", email);
        var (second, _) = await Fresh.ClientAsync(Grains, tenantA, "Second");

        var sameTenant = await second.AddContactAsync(email with { Value = "SHARED@example.com" }, Fresh.Agent(tenantA));
        var otherTenant = await Grains.GetGrain<IClientGrain>(Ids.Key(tenantB, Ids.New("cl")))
            .CreateAsync(Fresh.Fields(("firstName", "Other")), [email], Fresh.Agent(tenantB));

        Assert.Equal(Outcome.Conflict, sameTenant.Outcome);
        Assert.True(otherTenant.IsOk);
    }

    [Fact]
    public async Task AFailedCreateReleasesTheContactsItHadClaimed()
    {
        var tenant = Fresh.Tenant();
        var taken = new ContactDraft { Type = ContactType.Phone, Value = "+14155550111" };
        var free = new ContactDraft { Type = ContactType.Email, Value = "free@example.com" };
        await Fresh.ClientAsync(Grains, tenant, "Owner", taken);

        var failed = await Grains.GetGrain<IClientGrain>(Ids.Key(tenant, Ids.New("cl")))
            .CreateAsync(Fresh.Fields(("firstName", "Late")), [free, taken], Fresh.Agent(tenant));
        var later = await Grains.GetGrain<IClientGrain>(Ids.Key(tenant, Ids.New("cl")))
            .CreateAsync(Fresh.Fields(("firstName", "Next")), [free], Fresh.Agent(tenant));

        Assert.Equal(Outcome.Conflict, failed.Outcome);
        Assert.True(later.IsOk);
    }

    [Fact]
    public async Task RemovingAContactFreesItsValue()
    {
        var tenant = Fresh.Tenant();
        var phone = new ContactDraft { Type = ContactType.Whatsapp, Value = "+14155550122" };
        var (first, profile) = await Fresh.ClientAsync(Grains, tenant, "First", phone);
        var (second, _) = await Fresh.ClientAsync(Grains, tenant, "Second");

        await first.RemoveContactAsync(profile.Contacts[0].Id, Fresh.Agent(tenant));
        var claimed = await second.AddContactAsync(phone, Fresh.Agent(tenant));

        Assert.True(claimed.IsOk);
        Assert.Empty((await first.GetAsync())!.Contacts);
    }

    [Fact]
    public async Task UpdateChangesOnlyTheGivenFieldsAndNullClears()
    {
        var tenant = Fresh.Tenant();
        var grain = Grains.GetGrain<IClientGrain>(Ids.Key(tenant, Ids.New("cl")));
        var created = (await grain.CreateAsync(Fresh.Fields(("firstName", "Ann"), ("lastName", "Lee"), ("comment", "old")), [], Fresh.Agent(tenant))).Value!;

        var updated = await grain.UpdateAsync(Fresh.Fields(("comment", null), ("middleName", "M")), Fresh.Agent(tenant));

        var p = updated.Value!;
        Assert.Equal(("Ann", "Lee", "M", (string?)null), (p.FirstName, p.LastName, p.MiddleName, p.Comment));
        Assert.Equal(created.CreatedAt, p.CreatedAt);
        Assert.True(p.UpdatedAt >= created.UpdatedAt);
    }

    [Theory]
    [InlineData("firstName", "")]
    [InlineData("firstName", null)]
    [InlineData("dateOfBirth", "03/02/1990")]
    [InlineData("gender", "robot")]
    [InlineData("phone", "12345")]
    [InlineData("email", "not-an-email")]
    [InlineData("createdAt", "2020-01-01")]
    public async Task ABadFieldIsNamedAndNothingChanges(string field, string? value)
    {
        var tenant = Fresh.Tenant();
        var (grain, before) = await Fresh.ClientAsync(Grains, tenant);

        var result = await grain.UpdateAsync(Fresh.Fields(("lastName", "Changed"), (field, value)), Fresh.Agent(tenant));

        Assert.Equal(Outcome.Invalid, result.Outcome);
        Assert.Equal([field], result.Errors!.Keys);
        Assert.Equal(CrmJsonOf(before), CrmJsonOf(await grain.GetAsync()));
    }

    [Fact]
    public async Task SoftDeleteHidesFromSearchAndRestoreBringsBack()
    {
        var tenant = Fresh.Tenant();
        var (grain, profile) = await Fresh.ClientAsync(Grains, tenant, "Zelda");
        var query = Grains.GetGrain<ITenantQueryGrain>(tenant);

        var deleted = await grain.DeleteAsync(Fresh.Agent(tenant));
        var whileDeleted = await query.SearchClientsAsync("zelda", 10, null);
        var editWhileDeleted = await grain.UpdateAsync(Fresh.Fields(("lastName", "X")), Fresh.Agent(tenant));
        await grain.RestoreAsync(Fresh.Agent(tenant));
        var afterRestore = await query.SearchClientsAsync("zelda", 10, null);

        Assert.NotNull(deleted.Value!.DeletedAt);
        Assert.Empty(whileDeleted.Items);
        Assert.Equal(Outcome.Conflict, editWhileDeleted.Outcome);
        Assert.Equal(profile.Id, Assert.Single(afterRestore.Items).Id);
        Assert.Null((await grain.GetAsync())!.DeletedAt);
    }

    [Fact]
    public async Task AReactivatedClientReadsTheSameProfileContactsAndConsentFromItsRows()
    {
        var tenant = Fresh.Tenant();
        var grain = Grains.GetGrain<IClientGrain>(Ids.Key(tenant, Ids.New("cl")));
        var created = await grain.CreateAsync(Fresh.Fields(("firstName", "Durable"), ("lastName", "Row"), ("gender", "other"), ("dateOfBirth", "1984-05-06"),
            ("phone", "+14155550100"), ("comment", "kept")), [
            new ContactDraft { Type = ContactType.Email, Value = "d@example.com" },
            new ContactDraft { Type = ContactType.Phone, Value = "+14155550101" },
        ], Fresh.Agent(tenant));
        await grain.AddContactAsync(new ContactDraft { Type = ContactType.Telegram, Value = "@durable_row" }, Fresh.Agent(tenant));
        await grain.SetConsentAsync(Transport.Whatsapp, true, "api", Fresh.Agent(tenant));
        await grain.SetConsentAsync(Transport.Email, false, "api", Fresh.Agent(tenant));
        var before = await grain.GetAsync();

        await fixture.Cluster.DeactivateAsync(grain);
        var after = await grain.GetAsync();

        Assert.Equal(CrmJsonOf(before), CrmJsonOf(after));
        Assert.Equal(["d@example.com", "+14155550101", "durable_row"], after!.Contacts.Select(c => c.Value));
        Assert.False(after.Consent[Transport.Email].OptedIn);
        var keys = new[] { Ids.Key(tenant, created.Value!.Id) }.Concat(after.Contacts.Select(c => ContactRules.GrainKey(tenant, c.Type, c.Value))).ToArray();
        Assert.Equal(0, await fixture.CountAsync("select count(*) from orleansstorage where grainidextensionstring = any($1)", [keys]));
    }

    [Fact]
    public async Task ALosingClaimCreatesNothingOfItsClient()
    {
        var tenant = Fresh.Tenant();
        var contested = new ContactDraft { Type = ContactType.Phone, Value = "+14155550198" };
        var racers = Enumerable.Range(0, 6).Select(i => (Grain: Grains.GetGrain<IClientGrain>(Ids.Key(tenant, Ids.New("cl"))), Free: new ContactDraft { Type = ContactType.Email, Value = $"racer{i}@example.com" })).ToList();

        var results = await Task.WhenAll(racers.Select(r => r.Grain.CreateAsync(Fresh.Fields(("firstName", "Racer")), [r.Free, contested], Fresh.Agent(tenant))));

        var winner = Assert.Single(results, r => r.IsOk).Value!;
        var losers = racers.Where(r => Ids.Split(r.Grain.GetPrimaryKeyString()).Id != winner.Id).ToList();
        Assert.All(results.Where(r => !r.IsOk), r => Assert.Equal("The phone contact '+14155550198' belongs to another client.", r.Detail));
        foreach (var (grain, _) in losers)
            Assert.Null(await grain.GetAsync());
        Assert.Equal(1, await fixture.CountAsync("select count(*) from clients where tenant_id = $1", tenant));
        Assert.Equal(2, await fixture.CountAsync("select count(*) from contacts where tenant_id = $1", tenant));
        Assert.Equal(1, await fixture.CountAsync("select count(*) from audit_events where tenant_id = $1", tenant));
        var freeAgain = await Fresh.ClientAsync(Grains, tenant, "Later", losers[0].Free);
        Assert.Equal(losers[0].Free.Value, Assert.Single(freeAgain.Profile.Contacts).Value);
    }

    /// <summary>The audit record is written in the change's commit: when it cannot be written, neither is the change.</summary>
    [Fact]
    public async Task AnUpdateIsOneCommitWithItsAuditRecord()
    {
        var tenant = Fresh.Tenant();
        var (grain, before) = await Fresh.ClientAsync(Grains, tenant, "Atomic");
        var trigger = "refuse_audit_" + before.Id;
        await fixture.CountAsync($"""
            create function {trigger}() returns trigger language plpgsql as $$ begin raise exception 'audit refused'; end $$;
            create trigger {trigger} before insert on audit_events for each row when (new.client_id = '{before.Id}') execute function {trigger}();
            select 0
            """);
        try
        {
            await Assert.ThrowsAnyAsync<Exception>(() => grain.UpdateAsync(Fresh.Fields(("lastName", "Changed")), Fresh.Agent(tenant)));

            Assert.Equal(0, await fixture.CountAsync("select count(*) from clients where tenant_id = $1 and last_name is not null", tenant));
            Assert.Equal(1, await fixture.CountAsync("select version from clients where tenant_id = $1", tenant));
            Assert.Equal(CrmJsonOf(before), CrmJsonOf(await grain.GetAsync()));
        }
        finally
        {
            await fixture.CountAsync($"drop trigger {trigger} on audit_events; drop function {trigger}(); select 0");
        }
        var retried = await grain.UpdateAsync(Fresh.Fields(("lastName", "Changed")), Fresh.Agent(tenant));
        Assert.Equal("Changed", retried.Value!.LastName);
        Assert.Equal(2, await fixture.CountAsync("select count(*) from audit_events where tenant_id = $1", tenant));
    }

    /// <summary>A crash after the new client's commit and before its chat stores the message: the message comes again.</summary>
    [Fact]
    public async Task AFirstMessageDeliveredAgainAfterTheClientsCommitGoesToThatClient()
    {
        var tenant = Fresh.Tenant();
        var clientId = Ids.New("cl");
        var phone = new ContactDraft { Type = ContactType.Phone, Value = "+14155550178" };
        var inbound = Fresh.Inbound(tenant, "Anyone there?") with
        {
            ContactType = ContactType.Phone, ContactValue = phone.Value, Sender = new Sender { Type = SenderType.Sms, Address = phone.Value, DisplayName = "Max Weber" },
        };
        await Grains.GetGrain<IClientGrain>(Ids.Key(tenant, clientId)).AdoptAsync(ContactRules.ProfileOf(inbound), phone, Actor.System(tenant));

        var received = await Grains.GetGrain<IContactGrain>(ContactRules.GrainKey(tenant, phone.Type, phone.Value)).ReceiveAsync(inbound);

        Assert.True(received.IsOk, $"{received.Outcome}: {received.Detail}");
        Assert.Equal(clientId, received.Value!.Sender.ClientId);
        Assert.Equal(1, await fixture.CountAsync("select count(*) from clients where tenant_id = $1", tenant));
        Assert.Equal("Max", (await Grains.GetGrain<IClientGrain>(Ids.Key(tenant, clientId)).GetAsync())!.FirstName);
    }

    [Fact]
    public async Task AMessageFromARemovedContactCreatesANewClient()
    {
        var (tenant, first, profile, contact, inbound, toFirst) = await RoutedAsync("+14155550179", "hello");

        await first.RemoveContactAsync(profile.Contacts[0].Id, Fresh.Agent(tenant));
        var afterRemoval = await contact.ReceiveAsync(inbound with { ProviderMessageId = Ids.New("SM") });

        Assert.Equal(profile.Id, toFirst.Value!.Sender.ClientId);
        var second = afterRemoval.Value!.Sender.ClientId!;
        Assert.NotEqual(profile.Id, second);
        Assert.Equal(second, await contact.GetOwnerAsync());
        Assert.Equal(inbound.ContactValue, Assert.Single((await Grains.GetGrain<IClientGrain>(Ids.Key(tenant, second)).GetAsync())!.Contacts).Value);
    }

    /// <summary>The contact grain and the first client's chat are both active and knew the first client as the owner.</summary>
    [Fact]
    public async Task AMessageFromAContactMovedToAnotherClientLandsInTheNewOwnersChat()
    {
        var (tenant, first, profile, contact, inbound, _) = await RoutedAsync("+14155550171", "before the move");
        var (second, _) = await Fresh.ClientAsync(Grains, tenant, "Second");

        await first.RemoveContactAsync(profile.Contacts[0].Id, Fresh.Agent(tenant));
        var added = await second.AddContactAsync(new ContactDraft { Type = inbound.ContactType, Value = inbound.ContactValue }, Fresh.Agent(tenant));
        var afterMove = await contact.ReceiveAsync(inbound with { ProviderMessageId = Ids.New("SM"), Text = "after the move" });

        Assert.True(added.IsOk, $"{added.Outcome}: {added.Detail}");
        var secondId = second.GetPrimaryKeyString()[(tenant.Length + 1)..];
        Assert.Equal(secondId, afterMove.Value!.Sender.ClientId);
        Assert.Equal(["after the move"], await TextsAsync(tenant, secondId));
        Assert.Equal(["before the move"], await TextsAsync(tenant, profile.Id));
        Assert.Equal(2, await fixture.CountAsync("select count(*) from clients where tenant_id = $1", tenant));
    }

    [Fact]
    public async Task AMessageFromAnErasedClientsContactMakesANewClientAndNothingReachesTheErasedChat()
    {
        var (tenant, client, profile, contact, inbound, _) = await RoutedAsync("+14155550172", "before erasure");

        var erased = await client.EraseAsync(Fresh.Agent(tenant));
        var afterErasure = await contact.ReceiveAsync(inbound with { ProviderMessageId = Ids.New("SM"), Text = "after erasure" });

        Assert.Equal(1, erased.Value!.Messages);
        var newcomer = afterErasure.Value!.Sender.ClientId!;
        Assert.NotEqual(profile.Id, newcomer);
        Assert.Equal(["after erasure"], await TextsAsync(tenant, newcomer));
        Assert.Empty(await TextsAsync(tenant, profile.Id));
        Assert.Equal(Outcome.NotFound, (await Grains.GetGrain<IChatGrain>(Ids.Key(tenant, profile.Id)).GetAsync(Fresh.Agent(tenant))).Outcome);
    }

    /// <summary>
    /// A message a puller took from its queue before the erasure and delivers after it: the erasure deleted its row,
    /// so it is dropped with the client's data instead of making a new client. A message queued after the erasure
    /// (its row there) makes one. The rows sit in a queue no puller reads, so only these calls deliver them.
    /// </summary>
    [Fact]
    public async Task AMessageTakenFromItsQueueBeforeTheErasureDoesNotBringTheClientBack()
    {
        var (tenant, client, profile, contact, inbound, _) = await RoutedAsync("+14155550173", "before erasure");
        var contactKey = ContactRules.GrainKey(tenant, inbound.ContactType, inbound.ContactValue);
        var taken = await QueuedRowAsync(tenant, contactKey);

        await client.EraseAsync(Fresh.Agent(tenant));
        var late = await contact.ReceiveQueuedAsync(inbound with { ProviderMessageId = Ids.New("SM"), Text = "taken before erasure" }, taken);
        var owner = await contact.GetOwnerAsync();
        var later = await contact.ReceiveQueuedAsync(inbound with { ProviderMessageId = Ids.New("SM"), Text = "sent after erasure" },
            await QueuedRowAsync(tenant, contactKey));

        Assert.Equal(Outcome.NotFound, late.Outcome);
        Assert.Null(owner);
        Assert.True(later.IsOk, $"{later.Outcome}: {later.Detail}");
        Assert.Equal(["sent after erasure"], await TextsAsync(tenant, later.Value!.Sender.ClientId!));
        Assert.Equal(1, await fixture.CountAsync("select count(*) from clients where tenant_id = $1", tenant));
    }

    private async Task<QueuedRow> QueuedRowAsync(string tenant, string contactKey) => new()
    {
        Queue = 100_000,
        RowId = await fixture.CountAsync("""
            insert into stream_queue (provider, queue, stream_namespace, stream_key, tenant_id, subject, payload)
            values ('crm-inbound', 100000, 'inbound', $2, $1, $2, '\x00') returning id
            """, tenant, contactKey),
    };

    /// <summary>A client holding a phone number whose first message has been routed: its contact grain and chat are active.</summary>
    private async Task<(string Tenant, IClientGrain Client, ClientProfile Profile, IContactGrain Contact, InboundMessage Inbound, Result<ChatMessage> Routed)>
        RoutedAsync(string phone, string text)
    {
        var tenant = Fresh.Tenant();
        var draft = new ContactDraft { Type = ContactType.Phone, Value = phone };
        var (client, profile) = await Fresh.ClientAsync(Grains, tenant, "First", draft);
        var contact = Grains.GetGrain<IContactGrain>(ContactRules.GrainKey(tenant, draft.Type, draft.Value));
        var inbound = Fresh.Inbound(tenant, text) with { ContactType = draft.Type, ContactValue = draft.Value };
        return (tenant, client, profile, contact, inbound, await contact.ReceiveAsync(inbound));
    }

    private async Task<List<string>> TextsAsync(string tenant, string clientId)
    {
        var texts = new List<string>();
        await using var connection = new Npgsql.NpgsqlConnection(fixture.ConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand("select text from messages where tenant_id = $1 and client_id = $2 order by seq", connection);
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = tenant });
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = clientId });
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            texts.Add(reader.GetString(0));
        return texts;
    }

    [Fact]
    public async Task SearchFindsByNamePhoneEmailAndContactAndPagesWithoutGaps()
    {
        var tenant = Fresh.Tenant();
        for (var i = 0; i < 7; i++)
            await Fresh.ClientAsync(Grains, tenant, $"Page{i}");
        await Fresh.ClientAsync(Grains, tenant, "Tg", new ContactDraft { Type = ContactType.Telegram, Value = "@unique_handle" });
        var query = Grains.GetGrain<ITenantQueryGrain>(tenant);

        var seen = new List<string>();
        string? cursor = null;
        do
        {
            var page = await query.SearchClientsAsync("page", 3, cursor);
            seen.AddRange(page.Items.Select(c => c.FirstName));
            cursor = page.NextCursor;
        }
        while (cursor is not null);
        var byHandle = await query.SearchClientsAsync("unique_hand", 10, null);

        Assert.Equal(Enumerable.Range(0, 7).Select(i => $"Page{i}").Order(), seen.Order());
        Assert.Equal("Tg", Assert.Single(byHandle.Items).FirstName);
    }

    [Fact]
    public async Task EveryChangeIsAudited()
    {
        var tenant = Fresh.Tenant();
        var (grain, profile) = await Fresh.ClientAsync(Grains, tenant);

        await grain.UpdateAsync(Fresh.Fields(("lastName", "Lee")), Fresh.Agent(tenant));
        await grain.DeleteAsync(Fresh.Agent(tenant));

        var actions = await fixture.CountAsync("select count(*) from audit_events where tenant_id = $1 and client_id = $2 and action in ('client.created','client.updated','client.deleted')", tenant, profile.Id);
        Assert.Equal(3, actions);
    }

    private static string CrmJsonOf(ClientProfile? p) => Crm.Silo.CrmJson.Write(p);
}
