using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace LyzerHub.Server.Tests.TestSupport;

/// <summary>
/// The built hub (<c>LyzerHub.Server.dll</c>) run by <c>dotnet</c> as a process of its own, so a test can kill it
/// the way a power cut or the OOM killer would: no shutdown hooks, no flush, no unlocking.
/// </summary>
public sealed partial class HubProcess : IDisposable
{
    private static readonly TimeSpan s_startTimeout = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<HttpClient> _clients = [];

    private HubProcess(Process process) => _process = process;

    public Uri BaseAddress { get; private set; } = null!;

    public X509Certificate2 Certificate { get; private set; } = null!;

    /// <summary>Everything the hub wrote to stdout and stderr so far, for a failure message.</summary>
    public string Output => string.Join('\n', _output);

    /// <summary>
    /// Starts the hub on <paramref name="dataDir"/> with a port the kernel picks (read back from the hub's own
    /// "Now listening on" line, so no other process can take it in between) and waits until it is ready.
    /// </summary>
    public static async Task<HubProcess> StartAsync(string dataDir)
    {
        var serverDll = Path.Combine(AppContext.BaseDirectory, "LyzerHub.Server.dll");
        Assert.True(File.Exists(serverDll), $"the built hub is missing: {serverDll}");
        var start = new ProcessStartInfo(DotnetHost(), [serverDll])
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["Hub__DataDir"] = dataDir;
        start.Environment["Hub__Urls"] = "https://127.0.0.1:0";
        start.Environment["Hub__Bootstrap__AdminPassword"] = HubHost.AdminPassword;
        start.Environment["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information";
        start.Environment["Logging__Console__FormatterName"] = "simple";

        var hub = new HubProcess(new Process { StartInfo = start });
        hub._process.OutputDataReceived += (_, line) => hub.OnOutput(line.Data);
        hub._process.ErrorDataReceived += (_, line) => hub.OnOutput(line.Data);
        hub._process.Start();
        hub._process.BeginOutputReadLine();
        hub._process.BeginErrorReadLine();
        try
        {
            var exited = hub._process.WaitForExitAsync();
            var first = await Task.WhenAny(hub._listening.Task, exited).WaitAsync(s_startTimeout);
            Assert.True(first == hub._listening.Task, $"the hub exited before listening:\n{hub.Output}");
            hub.BaseAddress = await hub._listening.Task;
            hub.Certificate = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(dataDir, "tls", "hub.crt"));
            await hub.WaitReadyAsync();
            return hub;
        }
        catch
        {
            hub.Kill();
            hub.Dispose();
            throw;
        }
    }

    /// <summary>An HTTP client trusting only this hub's certificate, optionally sending a key.</summary>
    public HttpClient Client(string? key = null)
    {
        var handler = new SocketsHttpHandler();
        handler.SslOptions.CertificateChainPolicy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            CustomTrustStore = { Certificate },
            RevocationMode = X509RevocationMode.NoCheck,
        };
        var client = new HttpClient(handler) { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        if (key is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        _clients.Add(client);
        return client;
    }

    public async Task<string> LoginKeyAsync(string[] permissions)
    {
        using var response = await Client().PostAsJsonAsync("/v1/auth/key",
            new { username = "admin", password = HubHost.AdminPassword, permissions });
        var json = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.True(response.IsSuccessStatusCode, $"login failed: {(int)response.StatusCode} {json}");
        return (string)json!["key"]!;
    }

    /// <summary>SIGKILL on Unix: the hub gets no chance to flush, checkpoint or release anything itself.</summary>
    public void Kill()
    {
        if (_process.HasExited) return;
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public void Dispose()
    {
        Kill();
        foreach (var client in _clients) client.Dispose();
        Certificate?.Dispose();
        _process.Dispose();
    }

    private void OnOutput(string? line)
    {
        if (line is null) return;
        _output.Enqueue(line);
        if (ListeningLine().Match(line) is { Success: true } match)
            _listening.TrySetResult(new Uri(match.Groups[1].Value));
    }

    private async Task WaitReadyAsync()
    {
        var client = Client();
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var ready = await client.GetAsync("/readyz");
                if (ready.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) when (deadline.Elapsed < s_startTimeout)
            {
                // Listening is logged a moment before the pipeline answers; try again.
            }

            Assert.True(deadline.Elapsed < s_startTimeout, $"the hub never became ready:\n{Output}");
            await Task.Delay(50);
        }
    }

    /// <summary>The dotnet host running this test (set by the SDK), so the hub runs on the same runtime.</summary>
    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host)
            ? host
            : "dotnet";

    [GeneratedRegex(@"Now listening on: (https://\S+)")]
    private static partial Regex ListeningLine();
}
