using System.Globalization;
using LyzerHub.Server.Hosting;
using LyzerHub.Server.Problems;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace LyzerHub.Server.RateLimits;

public static class RateLimitsServiceCollectionExtensions
{
    /// <summary>
    /// The hub's limits: defaults from <c>Hub:RateLimits</c> (checked now, so a wrong one stops the start with one
    /// line), the in-memory counter store, and ASP.NET Core's rate limiting with <see cref="HubRateLimiter"/> as its
    /// global limiter and 429 problems for what it refuses.
    /// </summary>
    public static IServiceCollection AddRateLimits(this IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection(RateLimitOptions.SectionName);
        var options = new RateLimitOptions();
        section.Bind(options);
        if (options.FirstError() is { } error) throw new HubConfigurationException(error);

        services.AddSingleton(new RateLimitDefaults(options));
        services.TryAddSingleton<IRateLimitStore, InMemoryRateLimitStore>();
        services.TryAddSingleton<IRateLimitRejectionSink, NoRateLimitRejectionSink>();
        services.AddSingleton<HubRateLimiter>();
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<HubRateLimiter>((limiting, limiter) =>
        {
            limiting.GlobalLimiter = limiter;
            limiting.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiting.OnRejected = WriteRejectionAsync;
        });
        return services;
    }

    /// <summary>
    /// Limits requests; after authentication, which finds the key its limits belong to, and before authorization,
    /// so a request refused for a missing permission still counts and still carries the fields.
    /// </summary>
    public static IApplicationBuilder UseRateLimits(this IApplicationBuilder app) => app.UseRateLimiter();

    /// <summary>Limits the endpoint per client address (see <see cref="AddressRateLimitMetadata"/>).</summary>
    public static TBuilder RequireAddressRateLimit<TBuilder>(this TBuilder builder, bool evenWithKey)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new AddressRateLimitMetadata(evenWithKey));

    private static async ValueTask WriteRejectionAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        var context = rejected.HttpContext;
        var lease = rejected.Lease as HubRateLimitLease;
        var seconds = HubRateLimiter.WholeSecondsUp(lease?.RetryAfter ?? TimeSpan.Zero);
        var policy = lease?.Rejection?.Policy ?? "hub";
        if (lease?.Rejection is { } rejection)
        {
            context.RequestServices.GetRequiredService<IRateLimitRejectionSink>().OnRejected(context, rejection);
            Log.RequestRejected(context.RequestServices.GetRequiredService<ILoggerFactory>()
                .CreateLogger(typeof(HubRateLimiter)), rejection.Policy, rejection.KeyId, rejection.TenantId, seconds);
        }

        // Rounded up from the real wait: a client that sleeps exactly Retry-After is not refused for coming early.
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        await HubProblems.Create(context, StatusCodes.Status429TooManyRequests, ProblemCodes.RateLimited,
            $"The {policy} rate limit is used up; retry in {seconds} s.",
            new Dictionary<string, object?> { ["policy"] = policy }).ExecuteAsync(context);
    }
}

internal static partial class Log
{
    [LoggerMessage(EventId = 6001, EventName = "RequestRejected", Level = LogLevel.Debug,
        Message = "A request was refused by the {Policy} rate limit (key {KeyId}, tenant {TenantId}); " +
            "retry in {Seconds} s")]
    public static partial void RequestRejected(ILogger logger, string policy, string? keyId, string? tenantId,
        int seconds);

    [LoggerMessage(EventId = 6002, EventName = "KeyLookupSkipped", Level = LogLevel.Debug,
        Message = "A key missing from the cache was not looked up: its address used up its " +
            "failed-authentication limit")]
    public static partial void KeyLookupSkipped(ILogger logger);
}
