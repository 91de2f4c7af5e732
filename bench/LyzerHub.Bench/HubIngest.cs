using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Nodes;
using LyzerHub.Server.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LyzerHub.Bench;

/// <summary>The hub's side: NDJSON batches over HTTPS to the real hub, each awaited for its durable 200.</summary>
internal static class HubIngest
{
    internal const string AdminPassword = "bench-operator-password-1";

    public static async Task<HubResult> RunAsync(
        SyntheticEvents events, int batchSize, int clientCount, CancellationToken cancellationToken)
    {
        using var directory = new TempDirectory("lyzer-bench-hub-");
        var dataDir = Path.Combine(directory.Path, "data");
        var logs = new WriterLogCapture();
        string[] args =
        [
            $"--Hub:DataDir={dataDir}",
            "--Hub:Urls=https://127.0.0.1:0",
            $"--Hub:Bootstrap:AdminPassword={AdminPassword}",
        ];
        var app = HubApp.Build(args, builder =>
        {
            builder.Logging.ClearProviders();
            builder.Logging.AddProvider(logs);
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            builder.Logging.AddFilter(WriterLogCapture.WriterCategory, LogLevel.Debug);
        });
        try
        {
            await app.StartAsync(cancellationToken);
            var address = app.Services.GetRequiredService<IServer>().Features
                .GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
            using var certificate = X509CertificateLoader.LoadCertificateFromFile(
                Path.Combine(dataDir, "tls", "hub.crt"));

            var clients = Enumerable.Range(0, clientCount)
                .Select(_ => CreateClient(new Uri(address), certificate)).ToList();
            try
            {
                var key = await LoginAsync(clients[0], cancellationToken);
                foreach (var client in clients)
                {
                    client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
                }

                // Warm-up: every client opens its TLS connection and the whole path is JIT-compiled, on events
                // outside the measured set.
                var warmUp = new SyntheticEvents(clientCount * 2 * batchSize, DateTimeOffset.UtcNow)
                    .ToNdjsonBodies(batchSize);
                await SendAllAsync(clients, warmUp, batchSize, cancellationToken);

                var bodies = events.ToNdjsonBodies(batchSize);
                logs.StartRecording();
                var stopwatch = Stopwatch.StartNew();
                var latencies = await SendAllAsync(clients, bodies, batchSize, cancellationToken);
                stopwatch.Stop();
                logs.StopRecording();

                return new HubResult(events.Count / stopwatch.Elapsed.TotalSeconds, latencies,
                    stopwatch.Elapsed, [.. logs.Appends]);
            }
            finally
            {
                foreach (var client in clients) client.Dispose();
            }
        }
        finally
        {
            await app.StopAsync(CancellationToken.None);
            await app.DisposeAsync();
        }
    }

    internal static HttpClient CreateClient(Uri baseAddress, X509Certificate2 certificate)
    {
        // Trusts exactly the certificate this hub generated; verification stays on.
        var handler = new SocketsHttpHandler { MaxConnectionsPerServer = 1 };
        handler.SslOptions.CertificateChainPolicy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            CustomTrustStore = { certificate },
            RevocationMode = X509RevocationMode.NoCheck,
        };
        return new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromMinutes(2) };
    }

    internal static async Task<string> LoginAsync(HttpClient client, CancellationToken cancellationToken)
    {
        var body = new JsonObject
        {
            ["username"] = "admin",
            ["password"] = AdminPassword,
            ["permissions"] = new JsonArray("write:events"),
        };
        using var response = await client.PostAsJsonAsync("/v1/auth/key", body, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"login failed: {(int)response.StatusCode} {text}");
        }

        return JsonNode.Parse(text)?["key"]?.GetValue<string>()
            ?? throw new InvalidOperationException("login answered 200 without a key");
    }

    /// <summary>Each client takes the next unsent body until none are left; returns every request's latency.</summary>
    internal static async Task<double[]> SendAllAsync(
        List<HttpClient> clients, List<byte[]> bodies, int batchSize, CancellationToken cancellationToken)
    {
        var latencies = new double[bodies.Count];
        var next = -1;
        await Task.WhenAll(clients.Select(client => Task.Run(async () =>
        {
            int index;
            while ((index = Interlocked.Increment(ref next)) < bodies.Count)
            {
                var started = Stopwatch.GetTimestamp();
                await PostAsync(client, bodies[index], batchSize, cancellationToken);
                latencies[index] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            }
        }, cancellationToken)));
        return latencies;
    }

    private static async Task PostAsync(
        HttpClient client, byte[] body, int batchSize, CancellationToken cancellationToken)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
        using var response = await client.PostAsync(
            new Uri("/v1/events", UriKind.Relative), content, cancellationToken);
        var answer = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException(
                $"POST /v1/events answered {(int)response.StatusCode}: {System.Text.Encoding.UTF8.GetString(answer)}");
        }

        var (accepted, duplicates, rejected) = ReadCounts(answer);
        if (accepted != batchSize || duplicates != 0 || rejected != 0)
        {
            throw new InvalidOperationException($"POST /v1/events stored {accepted} of {batchSize} events "
                + $"({duplicates} duplicates, {rejected} rejected); the run is invalid.");
        }
    }

    /// <summary>Reads the three top-level counts without materialising the per-item results.</summary>
    private static (int Accepted, int Duplicates, int Rejected) ReadCounts(byte[] json)
    {
        int accepted = -1, duplicates = -1, rejected = -1;
        var reader = new Utf8JsonReader(json);
        while (reader.Read())
        {
            if (reader.TokenType != JsonTokenType.PropertyName || reader.CurrentDepth != 1) continue;
            var name = reader.GetString();
            reader.Read();
            switch (name)
            {
                case "accepted": accepted = reader.GetInt32(); break;
                case "duplicates": duplicates = reader.GetInt32(); break;
                case "rejected": rejected = reader.GetInt32(); break;
                default: reader.Skip(); break;
            }
        }

        return (accepted, duplicates, rejected);
    }
}

/// <summary>What the hub run measured, and what the writer's log says about coalescing.</summary>
internal sealed record HubResult(
    double EventsPerSecond,
    double[] LatenciesMs,
    TimeSpan Elapsed,
    IReadOnlyList<WriterLogCapture.Append> Appends);
