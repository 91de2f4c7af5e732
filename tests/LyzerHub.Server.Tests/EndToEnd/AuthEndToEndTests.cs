using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using LyzerHub.Server.Auth;
using LyzerHub.Server.Hosting;
using LyzerHub.Server.Keys;
using LyzerHub.Server.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace LyzerHub.Server.Tests.EndToEnd;

public sealed class AuthEndToEndTests
{
    [Fact]
    public async Task DefaultHttpClient_HubsOwnCertificate_RefusedAsUntrusted()
    {
        await using var hub = await HubHost.StartAsync();
        using var untrusting = new HttpClient { BaseAddress = hub.BaseAddress };

        var failure = await Assert.ThrowsAsync<HttpRequestException>(() => untrusting.GetAsync("/healthz"));

        Assert.Contains("SSL", failure.ToString(), StringComparison.OrdinalIgnoreCase);
        using var trusting = await hub.Client().GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, trusting.StatusCode);
    }

    [Fact]
    public async Task Login_Operator_AnswersTheContractShapeWithNoStore()
    {
        await using var hub = await HubHost.StartAsync();

        using var response = await hub.Client().PostAsJsonAsync("/v1/auth/key",
            new { username = "ADMIN", password = HubHost.AdminPassword });
        var json = await response.Content.ReadFromJsonAsync<JsonObject>();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(response.Headers.CacheControl!.NoStore);
        Assert.True(KeyFormat.IsWellFormed((string)json!["key"]!));
        Assert.Equal("bearer", (string)json["type"]!);
        Assert.Equal(3600, (long)json["expires_in_seconds"]!);
        Assert.Equal(["read:metrics", "write:events"], json["permissions"]!.AsArray().Select(p => (string)p!));
        Assert.StartsWith("key_", (string)json["key_id"]!, StringComparison.Ordinal);
        Assert.Equal("default", (string)json["tenant"]!);
        var expiresAt = DateTimeOffset.Parse((string)json["expires_at"]!,
            System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(expiresAt - DateTimeOffset.UtcNow, TimeSpan.FromSeconds(3500), TimeSpan.FromSeconds(3601));
    }

    [Fact]
    public async Task Login_WrongPasswordOrUnknownUser_IdenticalInvalidCredentials()
    {
        await using var hub = await HubHost.StartAsync();
        var client = hub.Client();

        using var wrongPassword = await client.PostAsJsonAsync("/v1/auth/key",
            new { username = "admin", password = "not-the-password-1" });
        using var unknownUser = await client.PostAsJsonAsync("/v1/auth/key",
            new { username = "nobody", password = "not-the-password-1" });

        Assert.Equal(HttpStatusCode.Unauthorized, wrongPassword.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, unknownUser.StatusCode);
        var a = await Comparable(wrongPassword);
        Assert.Equal("invalid_credentials", (string)a["code"]!);
        Assert.Equal(a.ToJsonString(), (await Comparable(unknownUser)).ToJsonString());
    }

    [Fact]
    public async Task Login_BadRequests_ClearProblems()
    {
        await using var hub = await HubHost.StartAsync();
        var client = hub.Client();

        using var unknownPermission = await client.PostAsJsonAsync("/v1/auth/key",
            new { username = "admin", password = HubHost.AdminPassword, permissions = new[] { "read:everything" } });
        using var tooLong = await client.PostAsJsonAsync("/v1/auth/key",
            new { username = "admin", password = HubHost.AdminPassword, expires_in_seconds = 3601 });
        using var notJson = await client.PostAsync("/v1/auth/key",
            new StringContent("{\"username\": ", Encoding.UTF8, "application/json"));

        using var form = await client.PostAsync("/v1/auth/key", new FormUrlEncodedContent(
            new Dictionary<string, string> { ["username"] = "admin", ["password"] = HubHost.AdminPassword }));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, form.StatusCode);
        Assert.Contains("application/json", await form.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains("not valid JSON", await notJson.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        foreach (var response in new[] { unknownPermission, tooLong, notJson })
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
            var problem = await response.Content.ReadFromJsonAsync<JsonObject>();
            Assert.Equal("invalid_request", (string)problem!["code"]!);
            Assert.NotEmpty(problem["errors"]!.AsArray());
        }
    }

    [Fact]
    public async Task Login_HashingSaturated_OverloadedWithRetryAfterThenServedAgain()
    {
        await using var hub = await HubHost.StartAsync(false, null,
            "--Hub:PasswordHashing:MaxConcurrency=1", "--Hub:PasswordHashing:QueueTimeoutMilliseconds=50");
        var slots = hub.Services.GetRequiredService<PasswordHashingSlots>();
        var login = new { username = "admin", password = HubHost.AdminPassword };

        Assert.True(await slots.TryEnterAsync(CancellationToken.None)); // another login is hashing
        using var saturated = await hub.Client().PostAsJsonAsync("/v1/auth/key", login);
        slots.Exit();
        using var afterwards = await hub.Client().PostAsJsonAsync("/v1/auth/key", login);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, saturated.StatusCode);
        Assert.Equal("1", saturated.Headers.RetryAfter!.ToString());
        Assert.Contains("\"code\":\"overloaded\"", await saturated.Content.ReadAsStringAsync(),
            StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, afterwards.StatusCode);
    }

    [Fact]
    public async Task Login_PermissionBeyondRole_ForbiddenNamingIt()
    {
        await using var hub = await HubHost.StartAsync();
        var (_, ownerPassword) = await CreateTenantAsync(hub, "globex", "bob@globex.test");

        using var response = await hub.Client().PostAsJsonAsync("/v1/auth/key",
            new { username = "bob@globex.test", password = ownerPassword, permissions = new[] { "admin:hub" } });
        var problem = await response.Content.ReadFromJsonAsync<JsonObject>();

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("missing_permission", (string)problem!["code"]!);
        Assert.Equal("admin:hub", (string)problem["permission"]!);
    }

    [Fact]
    public async Task InvalidKeys_EveryKind_OneIdenticalUnauthorizedAnswer()
    {
        await using var hub = await HubHost.StartAsync(fakeTime: true);
        var expiring = await hub.LoginKeyAsync(extra: new { expires_in_seconds = 60 });
        var revoked = await hub.LoginKeyAsync();
        using (var revoke = await hub.Client(revoked).PostAsync("/v1/auth/revoke", null))
            Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        using (var beforeExpiry = await hub.Client(expiring).GetAsync("/v1/auth/whoami"))
            Assert.Equal(HttpStatusCode.OK, beforeExpiry.StatusCode);
        hub.Time!.Advance(TimeSpan.FromSeconds(60));

        string[] presented =
        [
            KeyFormat.Generate(), // well-formed, never issued
            "lyz_short",
            revoked[..^1] + (revoked[^1] == 'a' ? 'b' : 'a'), // checksum broken
            "not-a-lyzer-key-at-all-but-quite-long-0123",
            expiring,
            revoked,
        ];
        var answers = new List<string>();
        foreach (var key in presented)
        {
            using var response = await hub.Client(key).GetAsync("/v1/auth/whoami");
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("Bearer realm=\"lyzer\", error=\"invalid_token\"",
                response.Headers.WwwAuthenticate.ToString());
            answers.Add((await Comparable(response)).ToJsonString());
        }

        Assert.Single(answers.Distinct());
        Assert.Contains("\"code\":\"invalid_key\"", answers[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoKey_ProtectedEndpoint_MissingKeyWithBearerChallenge()
    {
        await using var hub = await HubHost.StartAsync();

        using var response = await hub.Client().GetAsync("/v1/keys");
        var problem = await response.Content.ReadFromJsonAsync<JsonObject>();

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer realm=\"lyzer\"", response.Headers.WwwAuthenticate.ToString());
        Assert.Equal("missing_key", (string)problem!["code"]!);
        Assert.Equal("/problems/missing_key", (string)problem["type"]!);
        Assert.Equal("/v1/keys", (string)problem["instance"]!);
        Assert.False(string.IsNullOrEmpty((string?)problem["request_id"]));
    }

    [Fact]
    public async Task OperatorEndpoint_KeyWithoutAdminHub_ForbiddenNamingPermission()
    {
        await using var hub = await HubHost.StartAsync();
        var key = await hub.LoginKeyAsync();

        using var response = await hub.Client(key).GetAsync("/v1/tenants");
        var problem = await response.Content.ReadFromJsonAsync<JsonObject>();

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("missing_permission", (string)problem!["code"]!);
        Assert.Equal("admin:hub", (string)problem["permission"]!);
        Assert.Contains("admin:hub", (string)problem["detail"]!, StringComparison.Ordinal);
        Assert.Contains("error=\"insufficient_scope\", scope=\"admin:hub\"",
            response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Revoke_ByIdByBodyAndByBearer_NextRequestUnauthorized()
    {
        await using var hub = await HubHost.StartAsync();
        var byId = await hub.LoginAsync();
        var byBody = await hub.LoginKeyAsync();
        var byBearer = await hub.LoginKeyAsync();
        var client = hub.Client((string)byId["key"]!);

        using (var delete = await client.DeleteAsync($"/v1/keys/{(string)byId["key_id"]!}"))
            Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        using (var body = await hub.Client().PostAsJsonAsync("/v1/auth/revoke", new { key = byBody }))
            Assert.Equal("{\"revoked\":true}", await body.Content.ReadAsStringAsync());
        using (var bearer = await hub.Client(byBearer).PostAsync("/v1/auth/revoke", null))
            Assert.Equal(HttpStatusCode.OK, bearer.StatusCode);

        foreach (var key in new[] { (string)byId["key"]!, byBody, byBearer })
        {
            using var after = await hub.Client(key).GetAsync("/v1/auth/whoami");
            Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        }
    }

    [Fact]
    public async Task Revoke_UnknownKeyOrNothing_RevealsNothing()
    {
        await using var hub = await HubHost.StartAsync();
        var client = hub.Client();

        using var unknown = await client.PostAsJsonAsync("/v1/auth/revoke", new { key = KeyFormat.Generate() });
        using var nothing = await client.PostAsync("/v1/auth/revoke", null);
        using var notJson = await client.PostAsync("/v1/auth/revoke", new StringContent("key=x"));

        Assert.Equal(HttpStatusCode.OK, unknown.StatusCode);
        Assert.Equal("{\"revoked\":true}", await unknown.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, nothing.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, notJson.StatusCode);
    }

    [Fact]
    public async Task Whoami_LoginKey_DescribesKeyUserAndTenant()
    {
        await using var hub = await HubHost.StartAsync();
        var login = await hub.LoginAsync(extra: new { permissions = new[] { "read:metrics" } });

        var whoami = await hub.Client((string)login["key"]!).GetFromJsonAsync<JsonObject>("/v1/auth/whoami");

        Assert.Equal("default", (string)whoami!["tenant"]!["slug"]!);
        Assert.Equal("admin", (string)whoami["user"]!["username"]!);
        Assert.Equal("owner", (string)whoami["user"]!["role"]!);
        Assert.Equal((string)login["key_id"]!, (string)whoami["key"]!["id"]!);
        Assert.Equal(((string)login["key"]!)[..8], (string)whoami["key"]!["start"]!);
        Assert.Equal(["read:metrics"], whoami["key"]!["effective_permissions"]!.AsArray().Select(p => (string)p!));
        Assert.Equal((string)login["expires_at"]!, (string)whoami["key"]!["expires_at"]!);
    }

    [Fact]
    public async Task Keys_SecondTenant_SeesNoneOfTheFirstAndGets404ForItsIds()
    {
        await using var hub = await HubHost.StartAsync();
        var admin = await hub.LoginAsync();
        var (_, password) = await CreateTenantAsync(hub, "globex", "bob@globex.test");
        var bob = await hub.LoginAsync("bob@globex.test", password);
        var bobClient = hub.Client((string)bob["key"]!);
        var adminKeyId = (string)admin["key_id"]!;

        var list = await bobClient.GetFromJsonAsync<JsonObject>("/v1/keys?status=all");
        using var show = await bobClient.GetAsync($"/v1/keys/{adminKeyId}");
        using var delete = await bobClient.DeleteAsync($"/v1/keys/{adminKeyId}");
        using var never = await bobClient.GetAsync("/v1/keys/key_doesnotexist00000000");
        var tenant = await bobClient.GetFromJsonAsync<JsonObject>("/v1/tenant");

        Assert.Equal([(string)bob["key_id"]!], list!["data"]!.AsArray().Select(k => (string)k!["id"]!));
        Assert.Equal(HttpStatusCode.NotFound, show.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, delete.StatusCode);
        Assert.Equal((await Comparable(never)).ToJsonString().Replace("key_doesnotexist00000000", adminKeyId),
            (await Comparable(show)).ToJsonString());
        Assert.Equal("globex", (string)tenant!["slug"]!);
        using var stillValid = await hub.Client((string)admin["key"]!).GetAsync("/v1/auth/whoami");
        Assert.Equal(HttpStatusCode.OK, stillValid.StatusCode);
    }

    [Fact]
    public async Task CreateTenant_TakenSlugOrUsername_Conflict()
    {
        await using var hub = await HubHost.StartAsync();
        await CreateTenantAsync(hub, "globex", "bob@globex.test");
        var operatorClient = hub.Client(await hub.LoginKeyAsync(extra: new { permissions = new[] { "admin:hub" } }));

        using var sameSlug = await operatorClient.PostAsJsonAsync("/v1/tenants",
            new { slug = "globex", owner = new { username = "carol" } });
        using var sameUser = await operatorClient.PostAsJsonAsync("/v1/tenants",
            new { slug = "initech", owner = new { username = "BOB@globex.test" } });
        using var badSlug = await operatorClient.PostAsJsonAsync("/v1/tenants",
            new { slug = "Not A Slug", owner = new { username = "dave" } });

        Assert.Equal(HttpStatusCode.Conflict, sameSlug.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, sameUser.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badSlug.StatusCode);
        var tenants = await operatorClient.GetFromJsonAsync<JsonObject>("/v1/tenants");
        Assert.Equal(["globex", "default"], tenants!["data"]!.AsArray().Select(t => (string)t!["slug"]!));
    }

    [Fact]
    public async Task KeyInQueryString_Refused_AndNeitherLoggedNorEchoed()
    {
        await using var hub = await HubHost.StartAsync();
        var key = await hub.LoginKeyAsync();

        using var response = await hub.Client().GetAsync($"/v1/keys?api_key={key}");
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("\"code\":\"key_in_query\"", body, StringComparison.Ordinal);
        Assert.Contains("\"instance\":\"/v1/keys\"", body, StringComparison.Ordinal);
        Assert.DoesNotContain(key, body, StringComparison.Ordinal);
        Assert.DoesNotContain(hub.Logs.Entries, e => e.Text.Contains(key, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ProblemType_EveryCode_ResolvesToAnExplanation()
    {
        await using var hub = await HubHost.StartAsync();

        var explanation = await hub.Client().GetFromJsonAsync<JsonObject>("/problems/invalid_key");
        using var unknownRoute = await hub.Client().GetAsync("/v1/nothing-here");

        Assert.Equal("Invalid key", (string)explanation!["title"]!);
        Assert.Equal(HttpStatusCode.NotFound, unknownRoute.StatusCode);
        Assert.Equal("application/problem+json", unknownRoute.Content.Headers.ContentType!.MediaType);
    }

    [Theory]
    [InlineData("--Hub:Urls=http://127.0.0.1:0", "Hub:AllowInsecureHttp")]
    [InlineData("--Hub:Urls=ftp://127.0.0.1:21", "Hub:Urls")]
    [InlineData("--Hub:DuckDb:MemoryLimit=lots", "Hub:DuckDb:MemoryLimit")]
    [InlineData("--Hub:Bootstrap:AdminPassword=short", "Hub:Bootstrap:AdminPassword")]
    [InlineData("--Hub:Tls:CertificatePath=/nonexistent/hub.crt", "Hub:Tls:CertificatePath")]
    public void Start_WrongSetting_RefusedWithOneLineNamingIt(string setting, string named)
    {
        var dir = Path.Combine(Path.GetTempPath(), "lyzer-cfg-" + Guid.NewGuid().ToString("N"));

        var failure = Assert.Throws<HubConfigurationException>(() =>
            HubApp.Build([$"--Hub:DataDir={dir}", "--Hub:Urls=https://127.0.0.1:0", setting]));

        Assert.Contains(named, failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', failure.Message);
        Assert.False(Directory.Exists(Path.Combine(dir, "tls")));
    }

    [Fact]
    public async Task Start_SecondHubOnSameDataDir_Refused()
    {
        await using var hub = await HubHost.StartAsync();

        var failure = Assert.Throws<HubConfigurationException>(() =>
            HubApp.Build([$"--Hub:DataDir={hub.DataDir}", "--Hub:Urls=https://127.0.0.1:0"]));

        Assert.Contains("in use", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Secrets_AfterLoginsAndTenantCreation_NotInLogsNorInDataDirectory()
    {
        await using var hub = await HubHost.StartAsync();
        var keys = new List<string> { await hub.LoginKeyAsync(), await hub.LoginKeyAsync() };
        var (_, ownerPassword) = await CreateTenantAsync(hub, "globex", "bob@globex.test");
        keys.Add(await hub.LoginKeyAsync("bob@globex.test", ownerPassword));
        using (await hub.Client(keys[0]).GetAsync("/v1/auth/whoami")) { }
        using (await hub.Client().PostAsJsonAsync("/v1/auth/key",
                   new { username = "admin", password = "wrong-password-xx" })) { }
        string[] secrets = [.. keys, HubHost.AdminPassword, ownerPassword, "wrong-password-xx"];

        await hub.DisposeAsyncKeepingData(async dataDir =>
        {
            foreach (var file in Directory.EnumerateFiles(dataDir, "*", SearchOption.AllDirectories))
            {
                var bytes = await File.ReadAllBytesAsync(file);
                foreach (var secret in secrets)
                {
                    Assert.True(bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(secret)) < 0,
                        $"{Path.GetFileName(file)} holds a secret in plain text");
                }
            }

            var keyFile = Path.Combine(dataDir, "tls", "hub.key");
            if (!OperatingSystem.IsWindows())
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
        });

        Assert.NotEmpty(hub.Logs.Entries);
        foreach (var secret in secrets)
            Assert.DoesNotContain(hub.Logs.Entries, e => e.Text.Contains(secret, StringComparison.Ordinal));
    }

    internal static async Task<(string TenantId, string Password)> CreateTenantAsync(
        HubHost hub, string slug, string username)
    {
        var operatorKey = await hub.LoginKeyAsync(extra: new { permissions = new[] { "admin:hub" } });
        using var response = await hub.Client(operatorKey).PostAsJsonAsync("/v1/tenants",
            new { slug, name = slug, owner = new { username } });
        var json = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.True(response.StatusCode == HttpStatusCode.Created, json?.ToJsonString());
        Assert.True(response.Headers.CacheControl!.NoStore);
        return ((string)json!["id"]!, (string)json["owner"]!["password"]!);
    }

    /// <summary>A problem body without the per-request fields, so two answers can be compared whole.</summary>
    private static async Task<JsonObject> Comparable(HttpResponseMessage response)
    {
        var json = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        json.Remove("request_id");
        json.Remove("trace_id");
        json.Remove("instance");
        return json;
    }
}
