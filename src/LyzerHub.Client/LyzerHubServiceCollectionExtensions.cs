using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;

namespace LyzerHub.Client;

/// <summary>Registers <see cref="LyzerHubClient"/> with <see cref="IHttpClientFactory"/>.</summary>
public static class LyzerHubServiceCollectionExtensions
{
    /// <summary>The environment variable naming the hub's address.</summary>
    public const string HubUrlVariable = "LYZER_HUB_URL";

    /// <summary>The environment variable naming a certificate file to trust for the hub.</summary>
    public const string CaCertificateVariable = "LYZER_CA_CERT";

    /// <summary>
    /// Adds <see cref="LyzerHubClient"/> (a singleton), its key provider (<see cref="IKeyProvider"/>: a fixed key,
    /// or a <see cref="KeyManager"/> when a username and password are set) and two named HTTP clients that
    /// trust the configured certificate, add the key, and wait out 429/503 and network failures.
    /// A <see cref="TimeProvider"/> already registered is used for every clock and delay.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the options; <c>LYZER_HUB_URL</c>, <c>LYZER_KEY</c> and
    /// <c>LYZER_CA_CERT</c> fill what it leaves unset.</param>
    /// <returns>The services, for chaining.</returns>
    public static IServiceCollection AddLyzerHubClient(
        this IServiceCollection services, Action<LyzerHubClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<LyzerHubClientOptions>().Configure(configure).PostConfigure(ApplyEnvironment)
            .Validate(o => IsAllowed(o.HubUrl!), "LyzerHub: the hub URL must be https://, or http:// to a loopback "
                + "address only.");
        services.TryAddSingleton(TimeProvider.System);
        services.AddLogging();

        services.TryAddSingleton<IKeyProvider>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<LyzerHubClientOptions>>().Value;
            if (options.Username is { Length: > 0 } username)
            {
                return new KeyManager(
                    sp.GetRequiredService<IHttpClientFactory>().CreateClient(LyzerHubClient.AnonymousHttpClientName),
                    username, options.Password ?? throw new ArgumentException("LyzerHub: a username needs a password."),
                    options.RefreshMargin, options.LoginPermissions, sp.GetRequiredService<TimeProvider>(),
                    sp.GetRequiredService<ILogger<KeyManager>>());
            }

            return options.Key is { Length: > 0 } key ? new FixedKeyProvider(key) : new MissingKeyProvider();
        });

        services.AddTransient(sp => new KeyHandler(sp.GetRequiredService<IKeyProvider>()));
        services.AddHttpClient(LyzerHubClient.HttpClientName).Configure().AddHttpMessageHandler<KeyHandler>()
            .AddHubResilience();
        services.AddHttpClient(LyzerHubClient.AnonymousHttpClientName).Configure().AddHubResilience();

        services.TryAddSingleton(sp =>
        {
            var factory = sp.GetRequiredService<IHttpClientFactory>();
            return new LyzerHubClient(factory.CreateClient(LyzerHubClient.HttpClientName),
                factory.CreateClient(LyzerHubClient.AnonymousHttpClientName), sp.GetRequiredService<TimeProvider>());
        });
        return services;
    }

    /// <summary>Whether the SDK will talk to this address: HTTPS anywhere, plain HTTP only on loopback, where no
    /// one else can read the key on the wire.</summary>
    /// <param name="hubUrl">The address.</param>
    /// <returns>True when allowed.</returns>
    public static bool IsAllowed(Uri hubUrl)
    {
        ArgumentNullException.ThrowIfNull(hubUrl);
        if (!hubUrl.IsAbsoluteUri) return false;
        if (hubUrl.Scheme == Uri.UriSchemeHttps) return true;
        return hubUrl.Scheme == Uri.UriSchemeHttp
            && (hubUrl.IsLoopback || (IPAddress.TryParse(hubUrl.DnsSafeHost, out var ip) && IPAddress.IsLoopback(ip)));
    }

    private static void ApplyEnvironment(LyzerHubClientOptions options)
    {
        if (options.HubUrl is null)
        {
            options.HubUrl = Environment.GetEnvironmentVariable(HubUrlVariable) is { Length: > 0 } url
                ? new Uri(url, UriKind.Absolute)
                : LyzerHubClientOptions.DefaultHubUrl;
        }

        options.CaCertificatePath ??= Environment.GetEnvironmentVariable(CaCertificateVariable) is { Length: > 0 } ca
            ? ca
            : null;
        if (options.Key is null && options.Username is null)
            options.Key = Environment.GetEnvironmentVariable(FixedKeyProvider.EnvironmentVariable);
    }

    private static IHttpClientBuilder Configure(this IHttpClientBuilder builder) => builder
        .ConfigureHttpClient((sp, http) =>
        {
            var options = sp.GetRequiredService<IOptions<LyzerHubClientOptions>>().Value;
            var url = options.HubUrl!.AbsoluteUri;
            // A trailing slash, so relative paths like "v1/events" keep any path prefix of a proxied hub.
            http.BaseAddress = new Uri(url.EndsWith('/') ? url : url + "/");
            // Each attempt has its own timeout in the resilience pipeline; this one must not cut retries short.
            http.Timeout = Timeout.InfiniteTimeSpan;
            http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("lyzer-dotnet", "1.0"));
        })
        .ConfigurePrimaryHttpMessageHandler(sp =>
        {
            var options = sp.GetRequiredService<IOptions<LyzerHubClientOptions>>().Value;
            // Connections are recycled, so a singleton client still follows DNS changes.
            var handler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
            if (options.CaCertificatePath is { } path)
            {
                // Trust exactly this certificate (or CA) for the hub; the chain is still verified in full.
                var certificate = X509CertificateLoader.LoadCertificateFromFile(path);
                handler.SslOptions.CertificateChainPolicy = new X509ChainPolicy
                {
                    TrustMode = X509ChainTrustMode.CustomRootTrust,
                    CustomTrustStore = { certificate },
                    RevocationMode = X509RevocationMode.NoCheck,
                };
            }

            return handler;
        });

    private static IHttpClientBuilder AddHubResilience(this IHttpClientBuilder builder)
    {
        builder.AddResilienceHandler("lyzer", (pipeline, context) =>
        {
            var options = context.ServiceProvider.GetRequiredService<IOptions<LyzerHubClientOptions>>().Value;
            var time = context.ServiceProvider.GetRequiredService<TimeProvider>();
            // Every wait (Retry-After, back-off, attempt timeout) runs on the injected clock, so tests use fake time.
            pipeline.TimeProvider = time;
            pipeline.AddRetry(new HttpRetryStrategyOptions
            {
                MaxRetryAttempts = options.MaxRetryAttempts,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(500),
                MaxDelay = TimeSpan.FromSeconds(10),
                ShouldRetryAfterHeader = false,
                ShouldHandle = args => ValueTask.FromResult(ShouldRetry(args.Outcome, options.MaxRetryAfter, time)),
                DelayGenerator = args => ValueTask.FromResult(RetryAfterDelay(args.Outcome, time)),
            });
            pipeline.AddTimeout(options.AttemptTimeout);
        });
        return builder;
    }

    /// <summary>
    /// Retries 429 and 503 (whose wait is within the cap) and failures where no answer came. Not other 5xx: a
    /// 500 or a 504 query timeout would most likely fail the same way again, and costs the hub each time.
    /// </summary>
    private static bool ShouldRetry(Outcome<HttpResponseMessage> outcome, TimeSpan maxRetryAfter, TimeProvider time)
    {
        if (outcome.Exception is not null)
            return outcome.Exception is HttpRequestException or Polly.Timeout.TimeoutRejectedException;
        if (outcome.Result is not { } response) return false;
        if (response.StatusCode is not (HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable))
            return false;

        // A wait longer than the cap goes back to the caller (as a retryable exception) rather than blocking it.
        return HubJson.RetryAfter(response.Headers.RetryAfter, time) is not { } wait || wait <= maxRetryAfter;
    }

    /// <summary>Waits what Retry-After says plus up to 10 % (at most 1 s) of jitter, so clients the hub turned
    /// away together do not return together; a reset already past means retry now. Null: exponential back-off.
    /// </summary>
    private static TimeSpan? RetryAfterDelay(Outcome<HttpResponseMessage> outcome, TimeProvider time)
    {
        if (outcome.Result?.Headers.RetryAfter is not { } header) return null;
        var wait = HubJson.RetryAfter(header, time) ?? TimeSpan.Zero;
        if (wait == TimeSpan.Zero) return TimeSpan.Zero;

        var jitterCap = Math.Min(wait.TotalMilliseconds / 10, 1000);
        return wait + TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * jitterCap);
    }
}
