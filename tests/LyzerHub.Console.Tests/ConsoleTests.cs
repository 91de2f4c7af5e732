using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using LyzerHub.Console.Tests.TestSupport;
using LyzerHub.Server.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace LyzerHub.Console.Tests;

/// <summary>
/// The console in real Chromium against a real hub over HTTPS. Each test owns its hub and browser; they run one
/// after another (one collection), since each Chromium wants a core of the two this machine kind has.
/// </summary>
[Collection("browser")]
public sealed class ConsoleTests
{
    private const string Password = "a-good-long-password-1";

    [SkippableFact]
    public async Task Keys_CreateInPageThenRevokeInPage_ApiAcceptsThenAnswers401()
    {
        ConsoleBrowser.SkipUnlessChromium();
        await using var hub = await HubHost.StartAsync();
        await using var browser = await ConsoleBrowser.LaunchAsync(hub);
        var page = await browser.NewPageAsync();
        await ConsoleBrowser.SignInAsync(page, "admin", HubHost.AdminPassword);

        await page.GotoAsync("/keys");
        await page.GetByLabel("Name").FillAsync("checkout-service");
        await page.GetByLabel("write:events").CheckAsync();
        await page.GetByLabel("read:metrics").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Create key" }).ClickAsync();
        var key = await page.Locator("#new-key-value").InputValueAsync();
        var curl = await page.Locator("#new-key-curl").InnerTextAsync();
        await ConsoleBrowser.ScreenshotAsync(page, "keys-created");
        var api = hub.Client(key);
        using var sent = await api.PostAsJsonAsync("/v1/events", new { name = "checkout" });
        var whoami = await api.GetFromJsonAsync<JsonObject>("/v1/auth/whoami");

        await page.GotoAsync("/keys");
        var row = page.Locator("tr", new() { HasText = "checkout-service" });
        await KeysPageScreenshotAsync(page);
        await row.GetByRole(AriaRole.Link, new() { Name = "Revoke checkout-service" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Revoke key" }).ClickAsync();
        var confirmation = await page.GetByRole(AriaRole.Status).InnerTextAsync();
        using var afterRevoke = await api.GetAsync("/v1/auth/whoami");
        await page.GotoAsync("/keys?all=true");
        var status = await page.Locator("tr", new() { HasText = "checkout-service" })
            .Locator("td[data-label=Status]").InnerTextAsync();

        Assert.StartsWith("lyz_", key, StringComparison.Ordinal);
        Assert.Equal(40, key.Length);
        Assert.Contains($"Authorization: Bearer {key}", curl, StringComparison.Ordinal);
        Assert.Contains(hub.BaseAddress.Authority, curl, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, sent.StatusCode);
        Assert.Equal("checkout-service", (string)whoami!["key"]!["name"]!);
        Assert.Equal(["read:metrics", "write:events"],
            whoami["key"]!["permissions"]!.AsArray().Select(p => (string)p!));
        Assert.Contains("revoked", confirmation, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, afterRevoke.StatusCode);
        Assert.Equal("invalid_key", (string)(await afterRevoke.Content.ReadFromJsonAsync<JsonObject>())!["code"]!);
        Assert.Equal("revoked", status);
        Assert.DoesNotContain(hub.Logs.Entries, e => e.Text.Contains(key, StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task Keys_MemberCreatesKey_OnlyRolePermissionsOfferedAndKeyHoldsThem()
    {
        ConsoleBrowser.SkipUnlessChromium();
        await using var hub = await HubHost.StartAsync();
        await hub.AddUserAsync("carol", "member");
        var (_, password) = await hub.AddUserAsync("dave", "member");
        await using var browser = await ConsoleBrowser.LaunchAsync(hub);
        var page = await browser.NewPageAsync();
        await ConsoleBrowser.SignInAsync(page, "dave", password);

        await page.GotoAsync("/keys");
        var offered = await page.Locator("fieldset input[type=checkbox]").EvaluateAllAsync<string[]>(
            "boxes => boxes.map(b => b.value)");
        await page.GetByLabel("Name").FillAsync("reader");
        await page.GetByLabel("read:events").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Create key" }).ClickAsync();
        var key = await page.Locator("#new-key-value").InputValueAsync();
        using var read = await hub.Client(key).GetAsync("/v1/events");
        using var write = await hub.Client(key).PostAsJsonAsync("/v1/events", new { name = "x" });

        Assert.Equal(["read:metrics", "write:events", "read:events"], offered);
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, write.StatusCode);
    }

    [SkippableFact]
    public async Task Team_OffboardMemberInPage_KeysRevokedAndConsoleSessionEnded()
    {
        ConsoleBrowser.SkipUnlessChromium();
        await using var hub = await HubHost.StartAsync();
        var (carolId, carolPassword) = await hub.AddUserAsync("carol", "member");
        var carolKey = await hub.LoginKeyAsync("carol", carolPassword);
        await using var browser = await ConsoleBrowser.LaunchAsync(hub);
        var carol = await browser.NewPageAsync();
        await ConsoleBrowser.SignInAsync(carol, "carol", carolPassword);
        await carol.GotoAsync("/keys");
        await carol.GetByLabel("Name").FillAsync("carol-service");
        await carol.GetByLabel("write:events").CheckAsync();
        await carol.GetByRole(AriaRole.Button, new() { Name = "Create key" }).ClickAsync();
        var carolNamedKey = await carol.Locator("#new-key-value").InputValueAsync();
        var admin = await browser.NewPageAsync();
        await ConsoleBrowser.SignInAsync(admin, "admin", HubHost.AdminPassword);

        await admin.GotoAsync("/team");
        await ConsoleBrowser.ScreenshotAsync(admin, "team");
        await admin.Locator($"tr[data-user-id={carolId}]")
            .GetByRole(AriaRole.Link, new() { Name = "Offboard carol" }).ClickAsync();
        var toRevoke = await admin.Locator("#keys-to-revoke").InnerTextAsync();
        await admin.GetByRole(AriaRole.Button, new() { Name = "Offboard and revoke 2 key(s)" }).ClickAsync();
        var revoked = await admin.Locator("#keys-revoked").InnerTextAsync();
        using var loginKeyAfter = await hub.Client(carolKey).GetAsync("/v1/auth/whoami");
        using var namedKeyAfter = await hub.Client(carolNamedKey).GetAsync("/v1/auth/whoami");
        var carolReload = await carol.GotoAsync("/keys");
        await admin.GotoAsync("/team");
        var state = await admin.Locator($"tr[data-user-id={carolId}] td[data-label=State]").InnerTextAsync();

        Assert.Equal("2", toRevoke);
        Assert.Equal("2", revoked);
        Assert.Equal(HttpStatusCode.Unauthorized, loginKeyAfter.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, namedKeyAfter.StatusCode);
        Assert.EndsWith("/signin?returnUrl=%2Fkeys", carolReload!.Url, StringComparison.Ordinal);
        Assert.Equal("offboarded", state);
    }

    [SkippableFact]
    public async Task Team_Viewer_NoTeamLinkAndTeamPageRefused()
    {
        ConsoleBrowser.SkipUnlessChromium();
        await using var hub = await HubHost.StartAsync();
        var (_, password) = await hub.AddUserAsync("vera", "viewer");
        await using var browser = await ConsoleBrowser.LaunchAsync(hub);
        var page = await browser.NewPageAsync();
        await ConsoleBrowser.SignInAsync(page, "vera", password);

        var navigation = await page.GetByRole(AriaRole.Navigation).InnerTextAsync();
        var team = await page.GotoAsync("/team");
        var offboard = await page.GotoAsync("/team/usr_0000000000000000/offboard");
        var audit = await page.GotoAsync("/audit");
        await ConsoleBrowser.ScreenshotAsync(page, "viewer-team-refused");

        Assert.Contains("Keys", navigation, StringComparison.Ordinal);
        Assert.DoesNotContain("Team", navigation, StringComparison.Ordinal);
        Assert.Equal(403, team!.Status);
        Assert.Contains("/denied", team.Url, StringComparison.Ordinal);
        Assert.Equal(403, offboard!.Status);
        Assert.DoesNotContain("Audit", navigation, StringComparison.Ordinal);
        Assert.Equal(403, audit!.Status);
    }

    [SkippableFact]
    public async Task Team_AdminAddsMemberInPage_GeneratedPasswordLogsIn()
    {
        ConsoleBrowser.SkipUnlessChromium();
        await using var hub = await HubHost.StartAsync();
        await using var browser = await ConsoleBrowser.LaunchAsync(hub);
        var page = await browser.NewPageAsync();
        await ConsoleBrowser.SignInAsync(page, "admin", HubHost.AdminPassword);

        await page.GotoAsync("/team");
        await page.GetByLabel("Username").FillAsync("erin@example.com");
        await page.GetByLabel("Role", new() { Exact = true }).SelectOptionAsync("member");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add member" }).ClickAsync();
        var password = await page.Locator("#new-password").InputValueAsync();
        var login = await hub.LoginAsync("erin@example.com", password);

        Assert.Equal(24, password.Length);
        Assert.Equal("default", (string)login["tenant"]!);
    }

    [SkippableFact]
    public async Task Forms_PostWithoutAntiforgeryToken_RefusedAndNothingCreated()
    {
        ConsoleBrowser.SkipUnlessChromium();
        await using var hub = await HubHost.StartAsync();
        await using var browser = await ConsoleBrowser.LaunchAsync(hub);
        var page = await browser.NewPageAsync();
        await ConsoleBrowser.SignInAsync(page, "admin", HubHost.AdminPassword);
        await page.GotoAsync("/keys");
        await page.GetByLabel("Name").FillAsync("forged");
        await page.GetByLabel("read:metrics").CheckAsync();

        await page.Locator("form input[name=__antiforgery]")
            .EvaluateAllAsync<int>("inputs => { inputs.forEach(i => i.remove()); return inputs.length; }");
        var response = await page.RunAndWaitForResponseAsync(
            () => page.GetByRole(AriaRole.Button, new() { Name = "Create key" }).ClickAsync(),
            r => r.Request.Method == "POST");
        var owner = hub.Client(await hub.LoginKeyAsync());
        var keys = await owner.GetFromJsonAsync<JsonObject>("/v1/keys?status=all");

        Assert.Equal(400, response.Status);
        Assert.DoesNotContain(keys!["data"]!.AsArray(), k => (string)k!["name"]! == "forged");
    }

    [SkippableFact]
    public async Task Cookie_PresentedToApi_NotAccepted()
    {
        ConsoleBrowser.SkipUnlessChromium();
        await using var hub = await HubHost.StartAsync();
        await using var browser = await ConsoleBrowser.LaunchAsync(hub);
        var page = await browser.NewPageAsync();
        await ConsoleBrowser.SignInAsync(page, "admin", HubHost.AdminPassword);
        var cookies = await page.Context.CookiesAsync();
        var session = cookies.Single(c => c.Name == "__Host-lyzer-console");

        var inBrowser = await page.GotoAsync("/v1/auth/whoami");
        var inBrowserBody = await inBrowser!.TextAsync();
        var client = hub.Client();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/keys");
        request.Headers.Add("Cookie", $"{session.Name}={session.Value}");
        using var withCookie = await client.SendAsync(request);
        var consoleStillOpen = await page.GotoAsync("/keys");

        Assert.True(session.HttpOnly);
        Assert.True(session.Secure);
        Assert.Equal(SameSiteAttribute.Strict, session.SameSite);
        Assert.Equal(401, inBrowser.Status);
        Assert.Contains("missing_key", inBrowserBody, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, withCookie.StatusCode);
        Assert.Equal("missing_key", (string)(await withCookie.Content.ReadFromJsonAsync<JsonObject>())!["code"]!);
        Assert.Equal(200, consoleStillOpen!.Status);
    }

    [SkippableFact]
    public async Task SignOut_CopiedCookie_OpensNothingAfterwards()
    {
        ConsoleBrowser.SkipUnlessChromium();
        await using var hub = await HubHost.StartAsync();
        await using var browser = await ConsoleBrowser.LaunchAsync(hub);
        var page = await browser.NewPageAsync();
        await ConsoleBrowser.SignInAsync(page, "admin", HubHost.AdminPassword);
        var session = (await page.Context.CookiesAsync()).Single(c => c.Name == "__Host-lyzer-console");
        var copy = await browser.NewPageAsync();
        await copy.Context.AddCookiesAsync([new Microsoft.Playwright.Cookie
        {
            Name = session.Name, Value = session.Value, Domain = session.Domain, Path = "/", Secure = true,
            HttpOnly = true, SameSite = SameSiteAttribute.Strict,
        }]);
        var before = await copy.GotoAsync("/keys");

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await page.WaitForURLAsync(url => url.Contains("/signin", StringComparison.Ordinal));
        var after = await copy.GotoAsync("/keys");

        Assert.EndsWith("/keys", before!.Url, StringComparison.Ordinal);
        Assert.Contains("/signin", after!.Url, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task SignIn_WrongPasswordFiveTimes_ThrottledLikeTheApi()
    {
        ConsoleBrowser.SkipUnlessChromium();
        await using var hub = await HubHost.StartAsync();
        await using var browser = await ConsoleBrowser.LaunchAsync(hub);
        var page = await browser.NewPageAsync();
        var statuses = new List<int>();

        for (var attempt = 0; attempt < 6; attempt++)
        {
            await page.GotoAsync("/signin");
            await page.GetByLabel("Username").FillAsync("admin");
            await page.GetByLabel("Password").FillAsync("not-the-password-" + attempt);
            var response = await page.RunAndWaitForResponseAsync(
                () => page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync(),
                r => r.Request.Method == "POST");
            statuses.Add(response.Status);
        }

        var message = await page.GetByRole(AriaRole.Alert).InnerTextAsync();
        using var apiLogin = await hub.Client().PostAsJsonAsync("/v1/auth/key",
            new { username = "admin", password = HubHost.AdminPassword });

        Assert.Equal([401, 401, 401, 401, 401, 429], statuses);
        Assert.Contains("Too many failed sign-ins", message, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.TooManyRequests, apiLogin.StatusCode);
        Assert.NotNull(apiLogin.Headers.RetryAfter);
    }

    [SkippableFact]
    public async Task Pages_SecurityHeaders_StrictCspNoFramingHsts()
    {
        ConsoleBrowser.SkipUnlessChromium();
        await using var hub = await HubHost.StartAsync();
        await using var browser = await ConsoleBrowser.LaunchAsync(hub);
        var page = await browser.NewPageAsync();
        await ConsoleBrowser.SignInAsync(page, "admin", HubHost.AdminPassword);

        var keys = await page.GotoAsync("/keys");
        var headers = await keys!.AllHeadersAsync();
        var inline = await page.EvaluateAsync<bool>("""
            () => { const s = document.createElement('script'); s.textContent = 'window.__ran = true';
                    document.head.appendChild(s); return window.__ran === true; }
            """);

        Assert.Contains("script-src 'self'", headers["content-security-policy"], StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", headers["content-security-policy"], StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", headers["content-security-policy"], StringComparison.Ordinal);
        Assert.StartsWith("max-age=", headers["strict-transport-security"], StringComparison.Ordinal);
        Assert.Equal("DENY", headers["x-frame-options"]);
        Assert.Equal("no-store", headers["cache-control"]);
        Assert.False(inline);
    }

    [SkippableFact]
    public async Task Keys_NarrowScreen_TableStacksAndFormUsable()
    {
        ConsoleBrowser.SkipUnlessChromium();
        await using var hub = await HubHost.StartAsync();
        await using var browser = await ConsoleBrowser.LaunchAsync(hub);
        var page = await browser.NewPageAsync(width: 375, height: 800);
        await ConsoleBrowser.SignInAsync(page, "admin", HubHost.AdminPassword);

        await page.GotoAsync("/keys");
        await page.GetByLabel("Name").FillAsync("phone");
        await page.GetByLabel("read:metrics").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Create key" }).ClickAsync();
        await page.GotoAsync("/keys");
        await ConsoleBrowser.ScreenshotAsync(page, "keys-narrow");
        var scrollWidth = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth");

        Assert.True(scrollWidth <= 375, $"the page is {scrollWidth} px wide on a 375 px screen");
        Assert.True(await page.Locator("tr", new() { HasText = "phone" }).IsVisibleAsync());
    }

    [SkippableFact]
    public async Task Metrics_QueryInPage_ChartAndTableMatchTheApi()
    {
        ConsoleBrowser.SkipUnlessChromium();
        await using var hub = await HubHost.StartAsync();
        var writer = hub.Client(await hub.LoginKeyAsync(extra: new { permissions = new[] { "write:events" } }));
        var events = new List<object>();
        foreach (var (day, path, count) in new[] { (1, "/a", 3), (1, "/b", 1), (2, "/b", 2) })
        {
            for (var i = 0; i < count; i++)
            {
                events.Add(new
                {
                    name = "http_request", timestamp = $"2026-11-0{day}T1{i}:00:00Z", properties = new { path },
                });
            }
        }

        using (var sent = await writer.PostAsJsonAsync("/v1/events", events))
            Assert.Equal(HttpStatusCode.OK, sent.StatusCode);
        var reader = hub.Client(await hub.LoginKeyAsync());
        using var api = await reader.PostAsJsonAsync("/v1/metrics/query", new
        {
            @event = "http_request", interval = "day", timezone = "UTC", breakdown = "path",
            from = "2026-11-01T00:00:00Z", to = "2026-11-03T00:00:00Z",
        });
        var answer = await api.Content.ReadFromJsonAsync<JsonObject>();
        await using var browser = await ConsoleBrowser.LaunchAsync(hub);
        var page = await browser.NewPageAsync();
        await ConsoleBrowser.SignInAsync(page, "admin", HubHost.AdminPassword);

        await page.GotoAsync("/metrics");
        await page.GetByLabel("Event").FillAsync("http_request");
        await page.GetByLabel("From (date)").FillAsync("2026-11-01");
        await page.GetByLabel("To (date, included)").FillAsync("2026-11-02");
        await page.GetByLabel("Interval").SelectOptionAsync("day");
        await page.GetByLabel("Breakdown (property, optional)").FillAsync("path");
        await page.GetByRole(AriaRole.Button, new() { Name = "Show" }).ClickAsync();
        await ConsoleBrowser.ScreenshotAsync(page, "metrics");
        var header = await page.Locator("#metric-table thead th").AllInnerTextsAsync();
        var rows = await page.Locator("#metric-table tbody tr").EvaluateAllAsync<string[][]>(
            "rows => rows.map(r => [...r.children].map(c => c.textContent.trim()))");
        var lines = await page.Locator("svg.chart path").CountAsync();

        var series = answer!["series"]!.AsArray();
        Assert.Equal(["Bucket", .. series.Select(s => (string)s!["key"]!)], header);
        Assert.Equal(series.Count, lines);
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(series.Select(s => ((long)s!["points"]![i]!["value"]!).ToString(CultureInfo.InvariantCulture)),
                rows[i].Skip(1));
        }

        Assert.Equal(["Total", .. series.Select(s => ((long)s!["total"]!).ToString(CultureInfo.InvariantCulture))],
            rows[2]);
        Assert.Equal(["/a", "/b"], series.Select(s => (string)s!["key"]!));
    }

    [SkippableFact]
    public async Task Overview_EventsSentToday_CountedWithKeysInUse()
    {
        ConsoleBrowser.SkipUnlessChromium();
        await using var hub = await HubHost.StartAsync();
        var writer = hub.Client(await hub.LoginKeyAsync(extra: new { permissions = new[] { "write:events" } }));
        using (var sent = await writer.PostAsJsonAsync("/v1/events",
                   new object[] { new { name = "signup" }, new { name = "signup" }, new { name = "login" } }))
            Assert.Equal(HttpStatusCode.OK, sent.StatusCode);
        await using var browser = await ConsoleBrowser.LaunchAsync(hub);
        var page = await browser.NewPageAsync();

        await ConsoleBrowser.SignInAsync(page, "admin", HubHost.AdminPassword);
        await ConsoleBrowser.ScreenshotAsync(page, "overview");
        var today = await page.Locator("#events-today").InnerTextAsync();
        var keys = await page.Locator("#active-keys").InnerTextAsync();

        Assert.Equal("3", today);
        Assert.Equal("1", keys);
    }

    [SkippableFact]
    public async Task Pages_KeyboardOnly_SignInAndEveryControlLabelled()
    {
        ConsoleBrowser.SkipUnlessChromium();
        await using var hub = await HubHost.StartAsync();
        await using var browser = await ConsoleBrowser.LaunchAsync(hub);
        var page = await browser.NewPageAsync();
        const string unlabelled = """
            () => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
                .filter(e => e.labels.length === 0 && !e.getAttribute('aria-label')).map(e => e.id || e.name)
            """;

        await page.GotoAsync("/signin");
        var onSignIn = await page.EvaluateAsync<string[]>(unlabelled);
        await page.Keyboard.TypeAsync("admin");
        await page.Keyboard.PressAsync("Tab");
        await page.Keyboard.TypeAsync(HubHost.AdminPassword);
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForURLAsync(url => !url.Contains("/signin", StringComparison.Ordinal));
        var missing = new Dictionary<string, string[]>();
        foreach (var path in new[] { "/", "/keys", "/team", "/metrics" })
        {
            await page.GotoAsync(path);
            missing[path] = await page.EvaluateAsync<string[]>(unlabelled);
        }

        Assert.Empty(onSignIn);
        Assert.All(missing, m => Assert.True(m.Value.Length == 0, $"{m.Key}: {string.Join(", ", m.Value)}"));
        Assert.EndsWith("/metrics", page.Url, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Keys_RollInPageWithoutGrace_NewSecretWorksOldOneRefused()
    {
        ConsoleBrowser.SkipUnlessChromium();
        await using var hub = await HubHost.StartAsync();
        await using var browser = await ConsoleBrowser.LaunchAsync(hub);
        var page = await browser.NewPageAsync();
        await ConsoleBrowser.SignInAsync(page, "admin", HubHost.AdminPassword);
        await page.GotoAsync("/keys");
        await page.GetByLabel("Name").FillAsync("rolled");
        await page.GetByLabel("read:metrics").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Create key" }).ClickAsync();
        var oldKey = await page.Locator("#new-key-value").InputValueAsync();

        await page.GotoAsync("/keys");
        await page.GetByRole(AriaRole.Link, new() { Name = "Roll rolled" }).ClickAsync();
        await page.GetByLabel("Keep the old secret working for").SelectOptionAsync("0");
        await page.GetByRole(AriaRole.Button, new() { Name = "Roll key" }).ClickAsync();
        var newKey = await page.Locator("#new-key-value").InputValueAsync();
        using var withOld = await hub.Client(oldKey).GetAsync("/v1/auth/whoami");
        var withNew = await hub.Client(newKey).GetFromJsonAsync<JsonObject>("/v1/auth/whoami");

        Assert.NotEqual(oldKey, newKey);
        Assert.Equal(HttpStatusCode.Unauthorized, withOld.StatusCode);
        Assert.Equal("rolled", (string)withNew!["key"]!["name"]!);
    }

    [SkippableFact]
    public async Task Team_AdminChangesRoleInPage_OwnerNotOfferedAndMembersKeyNarrowed()
    {
        ConsoleBrowser.SkipUnlessChromium();
        await using var hub = await HubHost.StartAsync();
        var (_, adminPassword) = await hub.AddUserAsync("erin", "admin");
        var (carolId, carolPassword) = await hub.AddUserAsync("carol", "member");
        var carolKey = hub.Client(await hub.LoginKeyAsync("carol", carolPassword,
            new { permissions = new[] { "read:metrics", "write:events" } }));
        await using var browser = await ConsoleBrowser.LaunchAsync(hub);
        var page = await browser.NewPageAsync();
        await ConsoleBrowser.SignInAsync(page, "erin", adminPassword);

        await page.GotoAsync("/team");
        var offered = await page.Locator("#role option").AllInnerTextsAsync();
        var row = page.Locator($"tr[data-user-id={carolId}]");
        await row.GetByLabel("Role of carol").SelectOptionAsync("viewer");
        await row.GetByRole(AriaRole.Button, new() { Name = "Change role" }).ClickAsync();
        var notice = await page.GetByRole(AriaRole.Status).InnerTextAsync();
        using var write = await carolKey.PostAsJsonAsync("/v1/events", new { name = "after-demotion" });
        var role = await page.Locator($"tr[data-user-id={carolId}] td[data-label=Role]").InnerTextAsync();

        Assert.Equal(["admin", "member", "viewer"], offered);
        Assert.Contains("carol is now viewer", notice, StringComparison.Ordinal);
        Assert.Equal("viewer", role);
        Assert.Equal(HttpStatusCode.Forbidden, write.StatusCode);
    }

    [SkippableFact]
    public async Task Audit_ChangesMadeInPages_ListedFilteredAndChainVerifiedThenBroken()
    {
        ConsoleBrowser.SkipUnlessChromium();
        await using var hub = await HubHost.StartAsync();
        await using var browser = await ConsoleBrowser.LaunchAsync(hub);
        var page = await browser.NewPageAsync();
        await ConsoleBrowser.SignInAsync(page, "admin", HubHost.AdminPassword);
        var adminId = (string)(await hub.Client(await hub.LoginKeyAsync())
            .GetFromJsonAsync<JsonObject>("/v1/auth/whoami"))!["user"]!["id"]!;
        await page.GotoAsync("/keys");
        await page.GetByLabel("Name").FillAsync("audited");
        await page.GetByLabel("read:metrics").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Create key" }).ClickAsync();
        await page.GotoAsync("/keys");
        await page.GetByRole(AriaRole.Link, new() { Name = "Revoke audited" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Revoke key" }).ClickAsync();

        await page.GotoAsync("/");
        var recent = await page.Locator("#recent-audit td[data-label=Action]").AllInnerTextsAsync();
        await page.GetByRole(AriaRole.Navigation).GetByRole(AriaRole.Link, new() { Name = "Audit" }).ClickAsync();
        var status = await page.Locator("#chain-status").InnerTextAsync();
        var actions = await page.Locator("#audit-table td[data-label=Action]").AllInnerTextsAsync();
        var actors = await page.Locator("#audit-table td[data-label=Actor]").AllInnerTextsAsync();
        await ConsoleBrowser.ScreenshotAsync(page, "audit");
        await page.GetByLabel("Action").SelectOptionAsync("key.revoked");
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        var filtered = await page.Locator("#audit-table td[data-label=Action]").AllInnerTextsAsync();
        await TamperAsync(hub, "UPDATE audit_entries SET actor = 'someone-else' WHERE action = 'key.created'");
        await page.ReloadAsync();
        var broken = await page.Locator("#chain-status").InnerTextAsync();

        Assert.Equal(["key.revoked", "key.created"], recent.Take(2));
        Assert.Contains("auth.login", recent);
        Assert.Contains("Chain verified", status, StringComparison.Ordinal);
        Assert.Equal(["key.revoked", "key.created"], actions.Take(2));
        Assert.StartsWith(adminId, actors[0], StringComparison.Ordinal);
        Assert.Equal(["key.revoked"], filtered);
        Assert.Contains("Chain broken", broken, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Audit_SignInsInConsole_RecordedLikeApiLogins()
    {
        ConsoleBrowser.SkipUnlessChromium();
        await using var hub = await HubHost.StartAsync();
        await using var browser = await ConsoleBrowser.LaunchAsync(hub);
        var page = await browser.NewPageAsync();
        await page.GotoAsync("/signin");
        await page.GetByLabel("Username").FillAsync("admin");
        await page.GetByLabel("Password").FillAsync("not-the-password");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

        await ConsoleBrowser.SignInAsync(page, "admin", HubHost.AdminPassword);
        var reader = hub.Client(await hub.LoginKeyAsync(extra: new { permissions = new[] { "read:audit" } }));
        var logins = await reader.GetFromJsonAsync<JsonObject>("/v1/audit?action=auth.login");
        // Failed logins are counted in memory and written in batches; flush now rather than wait for the timer.
        await hub.Services.GetRequiredService<LyzerHub.Server.Audit.AuditFlusher>().FlushAsync(CancellationToken.None);
        var failed = (await reader.GetFromJsonAsync<JsonObject>("/v1/audit?action=auth.login_failed"))!["data"]!
            .AsArray();

        var entries = logins!["data"]!.AsArray();
        Assert.Contains(entries, e => (string?)e!["detail"] == "console session");
        Assert.Equal(1, (long)Assert.Single(failed)!["count"]!);
    }

    private static async Task TamperAsync(HubHost hub, string sql)
    {
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection(
            $"Data Source={Path.Combine(hub.DataDir, "control.db")};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        Assert.True(await command.ExecuteNonQueryAsync() > 0);
    }

    /// <summary>The keys page for the README (docs/console-keys.png) when LYZER_DOCS_SCREENSHOTS=1.</summary>
    private static async Task KeysPageScreenshotAsync(IPage page)
    {
        var path = await ConsoleBrowser.ScreenshotAsync(page, "keys");
        if (Environment.GetEnvironmentVariable("LYZER_DOCS_SCREENSHOTS") == "1")
        {
            File.Copy(path, Path.Combine(ConsoleBrowser.RepositoryRoot(), "docs", "console-keys.png"),
                overwrite: true);
        }
    }
}

[CollectionDefinition("browser", DisableParallelization = true)]
public sealed class BrowserCollection;
