using System.Security.Cryptography;
using LyzerHub.Server.Tests.TestSupport;
using Microsoft.Playwright;

namespace LyzerHub.Console.Tests.TestSupport;

/// <summary>
/// Debian's Chromium, headless, driven by Playwright, trusting exactly one hub's certificate: its public key's
/// SHA-256 goes to <c>--ignore-certificate-errors-spki-list</c>, so any other certificate still fails. Every
/// hub makes its own certificate, so each test launches its own browser.
/// </summary>
public sealed class ConsoleBrowser : IAsyncDisposable
{
    /// <summary>Debian's Chromium; <c>LYZER_CHROMIUM</c> points elsewhere (or nowhere: the tests skip).</summary>
    public static readonly string ChromiumPath =
        Environment.GetEnvironmentVariable("LYZER_CHROMIUM") ?? "/usr/bin/chromium";

    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;

    private ConsoleBrowser(IPlaywright playwright, IBrowser browser, HubHost hub)
    {
        _playwright = playwright;
        _browser = browser;
        Hub = hub;
    }

    public HubHost Hub { get; }

    /// <summary>Skips (never passes) the calling test when the machine has no Chromium.</summary>
    public static void SkipUnlessChromium() =>
        Skip.IfNot(File.Exists(ChromiumPath),
            $"Chromium is not installed at {ChromiumPath} (apt-get install chromium)");

    public static async Task<ConsoleBrowser> LaunchAsync(HubHost hub)
    {
        SkipUnlessChromium();
        var spki = Convert.ToBase64String(SHA256.HashData(hub.Certificate.PublicKey.ExportSubjectPublicKeyInfo()));
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args =
            [
                "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--disable-quic",
                "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1",
                $"--ignore-certificate-errors-spki-list={spki}",
            ],
        });
        return new ConsoleBrowser(playwright, browser, hub);
    }

    /// <summary>A fresh browser profile (its own cookies) with a page on the hub.</summary>
    public async Task<IPage> NewPageAsync(int width = 1280, int height = 900)
    {
        var context = await _browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = Hub.BaseAddress.ToString().TrimEnd('/'),
            ViewportSize = new ViewportSize { Width = width, Height = height },
        });
        context.SetDefaultTimeout(30_000);
        return await context.NewPageAsync();
    }

    /// <summary>Signs in through the form and waits for the overview.</summary>
    public static async Task SignInAsync(IPage page, string username, string password)
    {
        var response = await page.GotoAsync("/signin");
        Assert.True(response is { Ok: true }, $"GET /signin: {response?.Status} {await page.ContentAsync()}");
        await page.GetByLabel("Username").FillAsync(username);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.WaitForURLAsync(url => !url.Contains("/signin", StringComparison.Ordinal));
    }

    /// <summary>Saves a screenshot under TestResults/console/ at the repository root, for the CI's artifacts.</summary>
    public static async Task<string> ScreenshotAsync(IPage page, string name)
    {
        var path = Path.Combine(RepositoryRoot(), "TestResults", "console", name + ".png");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        return path;
    }

    public static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "LyzerHub.slnx")))
            directory = directory.Parent;
        return directory?.FullName ?? AppContext.BaseDirectory;
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.CloseAsync();
        _playwright.Dispose();
    }
}
