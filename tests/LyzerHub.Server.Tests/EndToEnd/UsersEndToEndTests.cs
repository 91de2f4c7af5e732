using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using LyzerHub.Server.Keys;
using LyzerHub.Server.Storage;
using LyzerHub.Server.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace LyzerHub.Server.Tests.EndToEnd;

public sealed class UsersEndToEndTests
{
    // Everything an owner may hold: a login key asks for it explicitly, since the default is narrower.
    private static readonly string[] s_ownerPermissions =
        ["read:metrics", "write:events", "read:events", "manage:keys", "manage:users", "read:audit", "manage:tenant"];

    private static readonly string[] s_adminPermissions =
        ["read:metrics", "write:events", "read:events", "manage:keys", "manage:users", "read:audit"];

    private const string Password = "a-good-long-password-1";

    [Fact]
    public async Task CreateUsers_EachRole_ListedNewestFirstAndGeneratedPasswordLogsIn()
    {
        await using var hub = await HubHost.StartAsync(fakeTime: true);
        var owner = hub.Client(await OwnerKeyAsync(hub));
        hub.Time!.Advance(TimeSpan.FromSeconds(1)); // after the operator, created at start

        using var member = await owner.PostAsJsonAsync("/v1/users", new { username = "carol", role = "member" });
        var memberJson = await member.Content.ReadFromJsonAsync<JsonObject>();
        hub.Time.Advance(TimeSpan.FromSeconds(1));
        var viewer = await CreateUserAsync(owner, "dave", "viewer", Password);
        hub.Time.Advance(TimeSpan.FromSeconds(1));
        var admin = await CreateUserAsync(owner, "erin", "admin", Password);
        var list = await owner.GetFromJsonAsync<JsonObject>("/v1/users");

        Assert.Equal(HttpStatusCode.Created, member.StatusCode);
        Assert.True(member.Headers.CacheControl!.NoStore);
        Assert.Equal($"/v1/users/{memberJson!["id"]}", member.Headers.Location!.ToString());
        Assert.StartsWith("usr_", (string)memberJson["id"]!, StringComparison.Ordinal);
        Assert.Equal("member", (string)memberJson["role"]!);
        Assert.Equal("active", (string)memberJson["state"]!);
        Assert.Null(memberJson["password_hash"]);
        var generated = (string)memberJson["password"]!;
        Assert.Null(viewer["password"]);
        var login = await hub.LoginAsync("carol", generated);
        Assert.Equal(["read:metrics", "write:events"], login["permissions"]!.AsArray().Select(p => (string)p!));
        Assert.Equal(["erin", "dave", "carol", "admin"],
            list!["data"]!.AsArray().Select(u => (string)u!["username"]!));
        Assert.Equal((string)admin["id"]!, (string)list["data"]![0]!["id"]!);
        Assert.Null((string?)list["next_cursor"]);
        Assert.DoesNotContain(hub.Logs.Entries, e => e.Text.Contains(generated, StringComparison.Ordinal));
        Assert.Contains(hub.Logs.Entries, e => e.EventId.Id == 6001);
    }

    [Fact]
    public async Task Demote_MemberHoldingWriteEventsKey_NextRequestNarrowed()
    {
        await using var hub = await HubHost.StartAsync();
        var owner = hub.Client(await OwnerKeyAsync(hub));
        var carol = await CreateUserAsync(owner, "carol", "member", Password);
        var key = hub.Client(await hub.LoginKeyAsync("carol", Password,
            new { permissions = new[] { "read:metrics", "write:events" } }));
        using (var before = await key.PostAsJsonAsync("/v1/events", new { name = "signup" }))
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);

        using var demote = await owner.PatchAsJsonAsync($"/v1/users/{carol["id"]}", new { role = "viewer" });
        using var after = await key.PostAsJsonAsync("/v1/events", new { name = "signup" });
        var whoami = await key.GetFromJsonAsync<JsonObject>("/v1/auth/whoami");

        Assert.Equal(HttpStatusCode.OK, demote.StatusCode);
        Assert.Equal("viewer", (string)(await demote.Content.ReadFromJsonAsync<JsonObject>())!["role"]!);
        await AssertMissingPermissionAsync(after, "write:events");
        Assert.Equal("viewer", (string)whoami!["user"]!["role"]!);
        Assert.Equal(["read:metrics", "write:events"],
            whoami["key"]!["permissions"]!.AsArray().Select(p => (string)p!));
        Assert.Equal(["read:metrics"], whoami["key"]!["effective_permissions"]!.AsArray().Select(p => (string)p!));
    }

    [Fact]
    public async Task Offboard_UserWithKeys_EveryKeyRevokedAndLoginRefused()
    {
        await using var hub = await HubHost.StartAsync();
        var owner = hub.Client(await OwnerKeyAsync(hub));
        var carol = await CreateUserAsync(owner, "carol", "member", Password);
        var first = hub.Client(await hub.LoginKeyAsync("carol", Password));
        var second = hub.Client(await hub.LoginKeyAsync("carol", Password));
        using (var before = await first.GetAsync("/v1/auth/whoami"))
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);

        using var offboard = await owner.PostAsync($"/v1/users/{carol["id"]}/offboard", null);
        using var firstAfter = await first.GetAsync("/v1/auth/whoami");
        using var secondAfter = await second.GetAsync("/v1/auth/whoami");
        using var login = await hub.Client().PostAsJsonAsync("/v1/auth/key",
            new { username = "carol", password = Password });
        var shown = await owner.GetFromJsonAsync<JsonObject>($"/v1/users/{carol["id"]}");

        Assert.Equal(HttpStatusCode.OK, offboard.StatusCode);
        Assert.Equal(2, (int)(await offboard.Content.ReadFromJsonAsync<JsonObject>())!["keys_revoked"]!);
        foreach (var response in new[] { firstAfter, secondAfter })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("invalid_key", await CodeOf(response));
        }

        Assert.Equal(HttpStatusCode.Unauthorized, login.StatusCode);
        Assert.Equal("invalid_credentials", await CodeOf(login));
        Assert.Equal("offboarded", (string)shown!["state"]!);
    }

    [Fact]
    public async Task Admin_CreateOrDemoteOrOffboardOwner_ForbiddenButMembersAllowed()
    {
        await using var hub = await HubHost.StartAsync();
        var owner = hub.Client(await OwnerKeyAsync(hub));
        await CreateUserAsync(owner, "dave", "admin", Password);
        var erin = await CreateUserAsync(owner, "erin", "owner", Password);
        var admin = hub.Client(await hub.LoginKeyAsync("dave", Password, new { permissions = s_adminPermissions }));

        using var createOwner = await admin.PostAsJsonAsync("/v1/users", new { username = "frank", role = "owner" });
        using var demoteOwner = await admin.PatchAsJsonAsync($"/v1/users/{erin["id"]}", new { role = "member" });
        using var offboardOwner = await admin.PostAsync($"/v1/users/{erin["id"]}/offboard", null);
        using var createMember = await admin.PostAsJsonAsync("/v1/users", new { username = "gina", role = "member" });

        foreach (var response in new[] { createOwner, demoteOwner, offboardOwner })
        {
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Equal("insufficient_role", await CodeOf(response));
        }

        Assert.Equal(HttpStatusCode.Created, createMember.StatusCode);
        Assert.Equal("owner", (string)(await owner.GetFromJsonAsync<JsonObject>($"/v1/users/{erin["id"]}"))!["role"]!);
    }

    [Fact]
    public async Task KeyWithManageUsersAlone_AddsViewersOnly()
    {
        await using var hub = await HubHost.StartAsync();
        var narrow = hub.Client(await hub.LoginKeyAsync(extra: new { permissions = new[] { "manage:users" } }));

        using var viewer = await narrow.PostAsJsonAsync("/v1/users", new { username = "dave", role = "viewer" });
        using var member = await narrow.PostAsJsonAsync("/v1/users", new { username = "carol", role = "member" });

        Assert.Equal(HttpStatusCode.Created, viewer.StatusCode);
        await AssertMissingPermissionAsync(member, "write:events");
    }

    [Fact]
    public async Task LastOwner_DemoteOrOffboard_Conflict()
    {
        await using var hub = await HubHost.StartAsync();
        var (_, bobPassword) = await AuthEndToEndTests.CreateTenantAsync(hub, "globex", "bob@globex.test");
        var bob = hub.Client(await hub.LoginKeyAsync("bob@globex.test", bobPassword,
            new { permissions = s_ownerPermissions }));
        var bobId = (string)(await bob.GetFromJsonAsync<JsonObject>("/v1/auth/whoami"))!["user"]!["id"]!;

        using var demote = await bob.PatchAsJsonAsync($"/v1/users/{bobId}", new { role = "admin" });
        using var offboard = await bob.PostAsync($"/v1/users/{bobId}/offboard", null);
        await CreateUserAsync(bob, "carl@globex.test", "owner", Password);
        using var demoteWithSecondOwner = await bob.PatchAsJsonAsync($"/v1/users/{bobId}", new { role = "admin" });

        foreach (var response in new[] { demote, offboard })
        {
            Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
            Assert.Equal("conflict", await CodeOf(response));
        }

        Assert.Equal(HttpStatusCode.OK, demoteWithSecondOwner.StatusCode);
    }

    [Fact]
    public async Task OtherTenantsUserId_EveryEndpoint_NotFoundLikeUnknown()
    {
        await using var hub = await HubHost.StartAsync();
        var (_, bobPassword) = await AuthEndToEndTests.CreateTenantAsync(hub, "globex", "bob@globex.test");
        var bobKey = await hub.LoginKeyAsync("bob@globex.test", bobPassword);
        var bobId = (string)(await hub.Client(bobKey).GetFromJsonAsync<JsonObject>("/v1/auth/whoami"))!
            ["user"]!["id"]!;
        var owner = hub.Client(await OwnerKeyAsync(hub));

        foreach (var id in new[] { bobId, "usr_00000000000000000000" })
        {
            using var get = await owner.GetAsync($"/v1/users/{id}");
            using var patch = await owner.PatchAsJsonAsync($"/v1/users/{id}", new { role = "viewer" });
            using var offboard = await owner.PostAsync($"/v1/users/{id}/offboard", null);
            foreach (var response in new[] { get, patch, offboard })
            {
                Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
                Assert.Equal("No user with that id.",
                    (string)(await response.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!);
            }
        }

        using var bobStill = await hub.Client(bobKey).GetAsync("/v1/auth/whoami");
        Assert.Equal(HttpStatusCode.OK, bobStill.StatusCode);
        Assert.DoesNotContain("bob@globex.test", await owner.GetStringAsync("/v1/users"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateUser_UsernameTakenInAnyTenantAnyCase_Conflict()
    {
        await using var hub = await HubHost.StartAsync();
        await AuthEndToEndTests.CreateTenantAsync(hub, "globex", "bob@globex.test");
        var owner = hub.Client(await OwnerKeyAsync(hub));

        using var operatorName = await owner.PostAsJsonAsync("/v1/users", new { username = "ADMIN", role = "viewer" });
        using var otherTenants = await owner.PostAsJsonAsync("/v1/users",
            new { username = "Bob@Globex.test", role = "viewer" });
        using var invalid = await owner.PostAsJsonAsync("/v1/users",
            new { username = " spaced ", role = "chief", password = "short" });

        Assert.Equal(HttpStatusCode.Conflict, operatorName.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, otherTenants.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        var errors = (await invalid.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!.AsArray();
        Assert.Equal(["username", "role", "password"], errors.Select(e => (string)e!["field"]!));
    }

    [Fact]
    public async Task TenantPolicy_MaxLifetimeLoweredBelowKeyAge_KeyRejectedOnNextRequest()
    {
        await using var hub = await HubHost.StartAsync(fakeTime: true);
        var owner = hub.Client(await OwnerKeyAsync(hub));
        using (var longer = await owner.PatchAsJsonAsync("/v1/tenant", new { login_key_lifetime_seconds = 7200 }))
            Assert.Equal(HttpStatusCode.OK, longer.StatusCode);
        var old = hub.Client(await hub.LoginKeyAsync(extra: new { expires_in_seconds = 7200 }));
        hub.Time!.Advance(TimeSpan.FromHours(1));
        using (var stillValid = await old.GetAsync("/v1/auth/whoami"))
            Assert.Equal(HttpStatusCode.OK, stillValid.StatusCode);

        var fresh = hub.Client(await OwnerKeyAsync(hub));
        using var tighten = await fresh.PatchAsJsonAsync("/v1/tenant",
            new { max_key_lifetime_seconds = 1800, login_key_lifetime_seconds = 1800 });
        using var oldAfter = await old.GetAsync("/v1/auth/whoami");
        var tenant = await fresh.GetFromJsonAsync<JsonObject>("/v1/tenant");

        Assert.Equal(HttpStatusCode.OK, tighten.StatusCode);
        var answered = (await tighten.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(tenant!.ToJsonString(), answered.ToJsonString());
        Assert.Equal(1800, (long)tenant["policy"]!["max_key_lifetime_seconds"]!);
        Assert.Equal(1800, (long)tenant["policy"]!["login_key_lifetime_seconds"]!);
        Assert.Equal(HttpStatusCode.Unauthorized, oldAfter.StatusCode);
        Assert.Equal("invalid_key", await CodeOf(oldAfter));
    }

    [Fact]
    public async Task TenantPolicy_InvalidValues_BadRequestAndNothingChanged()
    {
        await using var hub = await HubHost.StartAsync();
        var owner = hub.Client(await OwnerKeyAsync(hub));

        using var negative = await owner.PatchAsJsonAsync("/v1/tenant", new { max_key_lifetime_seconds = -1 });
        using var unknown = await owner.PatchAsJsonAsync("/v1/tenant",
            new { default_login_permissions = new[] { "read:everything" } });
        using var loginOverMax = await owner.PatchAsJsonAsync("/v1/tenant", new { max_key_lifetime_seconds = 60 });
        var tenant = await owner.GetFromJsonAsync<JsonObject>("/v1/tenant");

        foreach (var response in new[] { negative, unknown, loginOverMax })
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("login_key_lifetime_seconds", await loginOverMax.Content.ReadAsStringAsync(),
            StringComparison.Ordinal);
        Assert.Equal(TenantPolicy.Default.MaxKeyLifetimeSeconds,
            (long)tenant!["policy"]!["max_key_lifetime_seconds"]!);
    }

    [Fact]
    public async Task ChangePassword_LoginKey_OtherLoginKeysRevokedCallingAndNamedKeysKept()
    {
        await using var hub = await HubHost.StartAsync();
        var owner = hub.Client(await OwnerKeyAsync(hub));
        await CreateUserAsync(owner, "carol", "member", Password);
        var calling = hub.Client(await hub.LoginKeyAsync("carol", Password));
        var other = hub.Client(await hub.LoginKeyAsync("carol", Password));
        var named = hub.Client(await IssueNamedKeyAsync(hub, "carol"));
        const string newPassword = "another-long-password-2";

        using var wrong = await calling.PostAsJsonAsync("/v1/auth/password",
            new { current_password = "not-the-password-9", new_password = newPassword });
        using var tooShort = await calling.PostAsJsonAsync("/v1/auth/password",
            new { current_password = Password, new_password = "short" });
        using var byNamedKey = await named.PostAsJsonAsync("/v1/auth/password",
            new { current_password = Password, new_password = newPassword });
        using var change = await calling.PostAsJsonAsync("/v1/auth/password",
            new { current_password = Password, new_password = newPassword });

        Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, tooShort.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, byNamedKey.StatusCode);
        Assert.Equal("login_key_required", await CodeOf(byNamedKey));
        Assert.Equal(HttpStatusCode.OK, change.StatusCode);
        Assert.Equal(1, (int)(await change.Content.ReadFromJsonAsync<JsonObject>())!["keys_revoked"]!);
        using (var callingAfter = await calling.GetAsync("/v1/auth/whoami"))
            Assert.Equal(HttpStatusCode.OK, callingAfter.StatusCode);
        using (var namedAfter = await named.GetAsync("/v1/auth/whoami"))
            Assert.Equal(HttpStatusCode.OK, namedAfter.StatusCode);
        using (var otherAfter = await other.GetAsync("/v1/auth/whoami"))
            Assert.Equal(HttpStatusCode.Unauthorized, otherAfter.StatusCode);
        using (var oldLogin = await hub.Client().PostAsJsonAsync("/v1/auth/key",
                   new { username = "carol", password = Password }))
            Assert.Equal(HttpStatusCode.Unauthorized, oldLogin.StatusCode);
        await hub.LoginKeyAsync("carol", newPassword);
        Assert.DoesNotContain(hub.Logs.Entries, e => e.Text.Contains(newPassword, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("GET", "/v1/users", "manage:users")]
    [InlineData("POST", "/v1/users", "manage:users")]
    [InlineData("GET", "/v1/users/usr_00000000000000000000", "manage:users")]
    [InlineData("PATCH", "/v1/users/usr_00000000000000000000", "manage:users")]
    [InlineData("POST", "/v1/users/usr_00000000000000000000/offboard", "manage:users")]
    [InlineData("PATCH", "/v1/tenant", "manage:tenant")]
    public async Task Endpoint_PermissionMissing_ForbiddenNamingIt(string method, string path, string permission)
    {
        await using var hub = await HubHost.StartAsync();
        var key = hub.Client(await hub.LoginKeyAsync(extra: new { permissions = new[] { "read:metrics" } }));

        using var response = await key.SendAsync(new HttpRequestMessage(new HttpMethod(method), path)
        {
            Content = JsonContent.Create(new { role = "viewer", username = "x" }),
        });

        await AssertMissingPermissionAsync(response, permission);
    }

    private static async Task<string> OwnerKeyAsync(HubHost hub) =>
        await hub.LoginKeyAsync(extra: new { permissions = s_ownerPermissions });

    private static async Task<JsonObject> CreateUserAsync(HttpClient client, string username, string role,
        string? password)
    {
        using var response = await client.PostAsJsonAsync("/v1/users", new { username, role, password });
        var json = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.True(response.StatusCode == HttpStatusCode.Created, json?.ToJsonString());
        return json!;
    }

    /// <summary>A named (non-login) key; issued through the service since named keys have their own issue.</summary>
    private static async Task<string> IssueNamedKeyAsync(HubHost hub, string username)
    {
        var user = await hub.Services.GetRequiredService<IControlStore>()
            .FindUserByUsernameAsync(username, CancellationToken.None);
        var issued = await hub.Services.GetRequiredService<KeyService>().IssueAsync(user!, "ci", ["read:metrics"],
            TimeSpan.FromDays(1), isLoginKey: false, Server.Audit.AuditActor.System, CancellationToken.None);
        return issued.PlainKey;
    }

    private static async Task AssertMissingPermissionAsync(HttpResponseMessage response, string permission)
    {
        var problem = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("missing_permission", (string)problem!["code"]!);
        Assert.Equal(permission, (string)problem["permission"]!);
        Assert.Contains($"scope=\"{permission}\"", response.Headers.WwwAuthenticate.ToString(),
            StringComparison.Ordinal);
    }

    private static async Task<string> CodeOf(HttpResponseMessage response) =>
        (string)(await response.Content.ReadFromJsonAsync<JsonObject>())!["code"]!;
}
