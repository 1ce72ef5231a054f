using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Crm.Api.Tests;

/// <summary>
/// Every endpoint the API maps, probed as anonymous, the system key and a user of each role (by API key and by session cookie). The expected table
/// below is written out from the contract (README's role table and endpoint lists, docs/API.md), never read from
/// the product's own permission table, so a wrong table in the code fails here. Endpoints are enumerated from the
/// running app: a new endpoint without a row here fails the test, and so does a row no endpoint answers to.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed partial class PermissionMatrixTests(ApiFixture fixture, ITestOutputHelper output)
{
    private enum Who { Anonymous, SystemKey, Sales, Agent, Lead, Admin }

    /// <summary>The four roles, as the README names them, with the user each one gets.</summary>
    private static readonly (Who Who, string Role)[] Roles = [(Who.Sales, "sales"), (Who.Agent, "agent"), (Who.Lead, "lead"), (Who.Admin, "admin")];

    /// <summary>Who may call an endpoint. Public endpoints need no credential: every caller gets the same answer.</summary>
    private sealed record Access(string Name, bool IsPublic, params Who[] Allowed);

    private static readonly Access Public = new("public", true, Enum.GetValues<Who>());

    // README, Security model: "The system key can only create tenants."
    private static readonly Access SystemOnly = new("system key", false, Who.SystemKey);

    // docs/API.md: GET /api/v1/me is for "any" key; GET and DELETE /api/v1/session describe or end the caller's own
    // credential (the system key reads that it is the system key, and has no session to end).
    private static readonly Access AnyKey = new("any key", false, Who.SystemKey, Who.Sales, Who.Agent, Who.Lead, Who.Admin);

    // README: "signed in"; the system key is no user and has no password.
    private static readonly Access AnyUser = new("any user", false, Who.Sales, Who.Agent, Who.Lead, Who.Admin);

    // README role table: sales "read, create and edit clients; read chats and send messages".
    private static readonly Access Sales = new("sales and up", false, Who.Sales, Who.Agent, Who.Lead, Who.Admin);

    // agent: "what sales may, plus mark chats read, manage chat members, read templates".
    private static readonly Access Agent = new("agent and up", false, Who.Agent, Who.Lead, Who.Admin);

    // lead: "what agents may, plus read the audit trail and export clients".
    private static readonly Access Lead = new("lead and admin", false, Who.Lead, Who.Admin);

    // admin: "everything: users and keys, templates, deleting, restoring, erasing clients, retention, channel settings".
    private static readonly Access Admin = new("admin", false, Who.Admin);

    /// <summary>Every route and verb of the API with who may call it ("ANY": the endpoint takes every verb).</summary>
    private static readonly Dictionary<string, Access> Expected = new(StringComparer.Ordinal)
    {
        // Operations (API.md): probes, the OpenAPI document and its reference UI.
        ["ANY /health/live"] = Public,
        ["ANY /health/ready"] = Public,
        ["GET /openapi/{documentName}.json"] = Public,
        ["GET /docs/{documentName}"] = Public,
        ["GET /docs/scalar.js"] = Public,
        ["GET /docs/scalar.aspnetcore.js"] = Public,
        ["GET /docs/favicon.svg"] = Public,

        // Sign-in and invitations (README).
        ["POST /api/v1/session"] = Public,
        ["GET /api/v1/session"] = AnyKey,
        ["DELETE /api/v1/session"] = AnyKey,
        ["PUT /api/v1/me/password"] = AnyUser,
        ["GET /api/v1/invites/{token}"] = Public,
        ["POST /api/v1/invites/{token}/accept"] = Public,

        // Tenants and users: "users and keys" are the admin's.
        ["POST /api/v1/tenants"] = SystemOnly,
        ["GET /api/v1/me"] = AnyKey,
        ["POST /api/v1/users"] = Admin,
        ["GET /api/v1/users"] = Admin,
        ["PATCH /api/v1/users/{id}"] = Admin,
        ["DELETE /api/v1/users/{id}"] = Admin,
        ["POST /api/v1/users/{id}/keys"] = Admin,
        ["PUT /api/v1/users/{id}/password"] = Admin,
        ["PUT /api/v1/users/{id}/invite"] = Admin,

        // Retention, audit trail and channel settings.
        ["GET /api/v1/tenants/current/retention"] = Admin,
        ["PUT /api/v1/tenants/current/retention"] = Admin,
        ["POST /api/v1/tenants/current/retention/run"] = Admin,
        ["GET /api/v1/audit"] = Lead,
        ["GET /api/v1/channels"] = Admin,

        // Clients: read, create and edit (contacts and consent are part of the client) from sales up;
        // delete and restore (admin), export (lead, admin), erase (admin).
        ["POST /api/v1/clients"] = Sales,
        ["GET /api/v1/clients"] = Sales,
        ["GET /api/v1/clients/lookup"] = Sales,
        ["GET /api/v1/clients/{id}"] = Sales,
        ["PATCH /api/v1/clients/{id}"] = Sales,
        ["POST /api/v1/clients/{id}/contacts"] = Sales,
        ["DELETE /api/v1/clients/{id}/contacts/{contactId}"] = Sales,
        ["PUT /api/v1/clients/{id}/consent/{transport}"] = Sales,
        ["DELETE /api/v1/clients/{id}"] = Admin,
        ["POST /api/v1/clients/{id}/restore"] = Admin,
        ["GET /api/v1/clients/{id}/export"] = Lead,
        ["POST /api/v1/clients/{id}/erase"] = Admin,

        // Chats and messages: reading them (the client's chat, lists, history, search, attachments, the live stream)
        // and sending (messages, retries, logged calls, attachment uploads) from sales up; marking read and adding
        // members from agent up.
        ["GET /api/v1/clients/{clientId}/chat"] = Sales,
        ["GET /api/v1/chats"] = Sales,
        ["GET /api/v1/chats/{chatId}"] = Sales,
        ["GET /api/v1/chats/{chatId}/messages"] = Sales,
        ["POST /api/v1/chats/{chatId}/messages"] = Sales,
        ["POST /api/v1/chats/{chatId}/messages/{seq}/retry"] = Sales,
        ["POST /api/v1/chats/{chatId}/log"] = Sales,
        ["POST /api/v1/chats/{chatId}/read"] = Agent,
        ["POST /api/v1/chats/{chatId}/members"] = Agent,
        ["GET /api/v1/messages/search"] = Sales,
        ["POST /api/v1/attachments"] = Sales,
        ["GET /api/v1/attachments/{id}"] = Sales,
        ["GET /api/v1/events/stream"] = Sales,

        // Templates: read from agent up, created, replaced and deleted by admins.
        ["GET /api/v1/templates"] = Agent,
        ["GET /api/v1/templates/{id}"] = Agent,
        ["POST /api/v1/templates"] = Admin,
        ["PUT /api/v1/templates/{id}"] = Admin,
        ["DELETE /api/v1/templates/{id}"] = Admin,

        // Provider webhooks and the website widget check their own signatures and tokens.
        ["POST /webhooks/twilio/{tenant}"] = Public,
        ["POST /webhooks/twilio/{tenant}/status"] = Public,
        ["POST /webhooks/telegram/{tenant}"] = Public,
        ["GET /webhooks/meta/{tenant}"] = Public,
        ["POST /webhooks/meta/{tenant}"] = Public,
        ["POST /api/v1/widget/sessions"] = Public,
        ["POST /api/v1/widget/messages"] = Public,
        ["GET /api/v1/widget/messages"] = Public,
    };

    /// <summary>One verb of one endpoint; <see cref="Multipart"/>: it takes only forms, and routing refuses JSON with 415 before authorization.</summary>
    private sealed record Probe(string Key, string Method, string Path, Endpoint Endpoint)
    {
        public bool Multipart => Endpoint.Metadata.GetMetadata<IAcceptsMetadata>() is { ContentTypes.Count: > 0 } accepts
            && accepts.ContentTypes.All(t => t.StartsWith("multipart/", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task EveryEndpointAnswersEveryRoleAsTheContractSays()
    {
        var tenant = await fixture.Factory.CreateTenantAsync("Matrix");
        using var anonymous = fixture.Factory.ClientWithKey(null);
        using var system = fixture.Factory.ClientWithKey(CrmApiFactory.SystemKey);
        // README: "every endpoint accepts either [API key or session cookie], with the same role table".
        var callers = new List<Caller> { new(Who.Anonymous, "", anonymous), new(Who.SystemKey, "", system), new(Who.Admin, " (key)", tenant.Admin) };
        foreach (var (who, role) in Roles)
        {
            if (who != Who.Admin)
                callers.Add(new(who, " (key)", (await fixture.Factory.CreateUserAsync(tenant, role, name: role)).Http));
            callers.Add(new(who, " (session)", await SignedInAsync(tenant, role)));
        }

        var probes = Endpoints(tenant.Id);
        var mismatches = new List<string>();
        foreach (var stale in Expected.Keys.Except(probes.Select(p => p.Key)).Order(StringComparer.Ordinal))
            mismatches.Add($"{stale}: in the table, but the API maps no such endpoint");
        foreach (var missing in probes.Where(p => !Expected.ContainsKey(p.Key)).Select(p => p.Key).Distinct().Order(StringComparer.Ordinal))
            mismatches.Add($"{missing}: the API maps it, but the table has no expectation for it");

        // Signing out ends the probing sessions, so it comes last.
        var covered = probes.Where(p => Expected.ContainsKey(p.Key)).OrderBy(p => p.Key == "DELETE /api/v1/session").ToList();
        var requests = 0;
        foreach (var probe in covered)
        {
            var access = Expected[probe.Key];
            var answers = await Task.WhenAll(callers.Select(async c => (Caller: c, Status: await StatusAsync(c.Http, probe))));
            requests += answers.Length;
            var anonymousAnswer = answers.Single(a => a.Caller.Who == Who.Anonymous).Status;
            if (access.IsPublic)
            {
                if (probe.Endpoint.Metadata.GetMetadata<IAllowAnonymous>() is null && probe.Endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>().Count > 0)
                    mismatches.Add($"{probe.Key}: public, but the endpoint requires authorization");
                if (anonymousAnswer == 0)
                    mismatches.Add($"{probe.Key} as anonymous: public, but {Text(0)}");
                foreach (var (caller, answer) in answers.Where(a => a.Status != anonymousAnswer))
                    mismatches.Add($"{probe.Key} as {caller}: public, so the same answer as anonymous ({Text(anonymousAnswer)}), got {Text(answer)}");
                continue;
            }
            foreach (var (caller, answer) in answers)
            {
                var who = caller.Who;
                var expected = who == Who.Anonymous ? "401" : access.Allowed.Contains(who) ? "allowed" : "403";
                var ok = expected switch
                {
                    "401" => answer == (int)HttpStatusCode.Unauthorized,
                    "403" => answer == (int)HttpStatusCode.Forbidden,
                    _ => answer is not ((int)HttpStatusCode.Unauthorized or (int)HttpStatusCode.Forbidden or 0),
                };
                if (!ok)
                    mismatches.Add($"{probe.Key} as {caller} ({access.Name}): expected {(expected == "allowed" ? "neither 401 nor 403" : expected)}, got {Text(answer)}");
            }
        }

        var summary = $"permission matrix: {covered.Count} endpoints of {probes.Count} covered, {Roles.Length} roles, {requests} probes, {mismatches.Count} mismatches";
        output.WriteLine(summary);
        Console.WriteLine(summary);
        foreach (var mismatch in mismatches)
            output.WriteLine("  " + mismatch);
        Assert.True(mismatches.Count == 0, summary + Environment.NewLine + string.Join(Environment.NewLine, mismatches));
    }

    /// <summary>Every route endpoint of the running app, one probe per verb, on made-up ids.</summary>
    private List<Probe> Endpoints(string tenantId)
    {
        var source = fixture.Factory.Services.GetRequiredService<EndpointDataSource>();
        var probes = new List<Probe>();
        foreach (var endpoint in source.Endpoints.OfType<RouteEndpoint>())
        {
            var route = Normalize(endpoint.RoutePattern.RawText ?? "");
            var path = ParameterPattern().Replace(route, m => m.Groups["name"].Value switch
            {
                "seq" => "1",
                "tenant" => tenantId,
                "documentName" => "v1",
                var name => $"{name}_none",
            });
            var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods;
            if (methods is null || methods.Count == 0)
                probes.Add(new Probe("ANY " + route, HttpMethods.Get, path, endpoint));
            else
                probes.AddRange(methods.Select(m => new Probe($"{m} {route}", m, path, endpoint)));
        }
        return probes;
    }

    /// <summary>A route as the table writes it: no constraints, defaults or catch-all marks, no trailing slash.</summary>
    private static string Normalize(string raw)
    {
        var route = "/" + raw.Trim('/');
        route = Regex.Replace(route, "/+", "/");
        return ParameterPattern().Replace(route, m => "{" + m.Groups["name"].Value + "}");
    }

    [GeneratedRegex(@"\{\**(?<name>\w+)[^}]*\}")]
    private static partial Regex ParameterPattern();

    /// <summary>The status the endpoint answers; only the headers are awaited, so an event stream does not hold the probe.</summary>
    private static async Task<int> StatusAsync(HttpClient http, Probe probe)
    {
        using var request = new HttpRequestMessage(new HttpMethod(probe.Method), probe.Path);
        if (probe.Method is "POST" or "PUT" or "PATCH")
            request.Content = probe.Multipart ? new MultipartFormDataContent() : new StringContent("{}", Encoding.UTF8, "application/json");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            return (int)response.StatusCode;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            return 0;
        }
    }

    private static string Text(int status) => status == 0 ? "no answer within 15 s" : status.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Who calls, and how: an API key or a session cookie (which sends its antiforgery token).</summary>
    private sealed record Caller(Who Who, string Via, HttpClient Http)
    {
        public override string ToString() => Who switch
        {
            Who.Anonymous => "anonymous",
            Who.SystemKey => "the system key",
            _ => Roles.Single(r => r.Who == Who).Role + Via,
        };
    }

    /// <summary>A new user of the role who signed in: a cookie-holding client that sends the antiforgery token.</summary>
    private async Task<HttpClient> SignedInAsync(Tenant tenant, string role)
    {
        const string password = "correct horse battery";
        var email = $"{role}-{Guid.NewGuid():N}@example.com";
        var created = await tenant.Admin.PostAsJsonAsync("/api/v1/users", new { name = role, role, email, password });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var browser = fixture.Factory.CreateDefaultClient(new CookieContainerHandler(new CookieContainer()));
        var signedIn = await browser.PostAsJsonAsync("/api/v1/session", new { email, password });
        Assert.Equal(HttpStatusCode.OK, signedIn.StatusCode);
        var session = await browser.GetOkAsync("/api/v1/session");
        browser.DefaultRequestHeaders.Add(session.Str("antiforgeryHeader"), session.Str("antiforgeryToken"));
        return browser;
    }
}
