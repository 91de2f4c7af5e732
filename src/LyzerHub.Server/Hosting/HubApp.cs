using System.Net;
using System.Text.Json;
using LyzerHub.Server.Audit;
using LyzerHub.Server.Auth;
using LyzerHub.Server.WebConsole;
using LyzerHub.Server.Events;
using LyzerHub.Server.Keys;
using LyzerHub.Server.Metrics;
using LyzerHub.Server.Problems;
using LyzerHub.Server.RateLimits;
using LyzerHub.Server.Storage;
using LyzerHub.Server.Storage.DuckDb;
using LyzerHub.Server.Storage.Sqlite;
using LyzerHub.Server.Tenants;
using LyzerHub.Server.Users;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace LyzerHub.Server.Hosting;

/// <summary>
/// Composes the hub: configuration and its checks, TLS and listeners, the features, the pipeline. Program.cs
/// and the end-to-end tests both start the hub through here, so tests run exactly what ships.
/// </summary>
public static class HubApp
{
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? customize = null)
    {
        // appsettings.json ships beside the binary; the data directory stays relative to the working directory.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ContentRootPath = AppContext.BaseDirectory,
        });

        // The hosting diagnostics log each request's full URL: a key wrongly put in a query string (refused, but
        // already on the line) would reach the log. Keep that category quiet whatever the configuration says.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Warning);
        // Data Protection (console cookies, antiforgery) warns at every new key that it is stored unencrypted. Its
        // keys sit in 0600 files in a 0700 directory under DataDir, protected like the TLS key; an encryptor would
        // only need another key in a file beside them, so the warning asks for nothing an operator could do.
        builder.Logging.AddFilter("Microsoft.AspNetCore.DataProtection.KeyManagement.XmlKeyManager", LogLevel.Error);
        customize?.Invoke(builder);

        var options = builder.Configuration.GetSection(HubOptions.SectionName).Get<HubOptions>() ?? new HubOptions();
        if (HubOptionsValidation.FirstError(options) is { } error) throw new HubConfigurationException(error);

        var dataDirLock = DataDirLock.TryAcquire(options.DataDirFullPath)
            ?? throw new HubConfigurationException(
                $"Hub:DataDir '{options.DataDirFullPath}' is in use by another Lyzer Hub process.");
        // Created through a factory so the container owns it and releases the lock when the hub is disposed.
        builder.Services.AddSingleton(_ => dataDirLock);
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.Configure<HubOptions>(builder.Configuration.GetSection(HubOptions.SectionName));

        HubCertificate certificate;
        try
        {
            certificate = TlsCertificates.LoadOrCreate(options, TimeProvider.System);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException
                                      or System.Security.Cryptography.CryptographicException)
        {
            dataDirLock.Dispose();
            throw new HubConfigurationException($"Hub:Tls: the certificate could not be loaded or made: {e.Message}");
        }

        builder.Services.AddSingleton(certificate);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            foreach (var url in options.Urls.Split(';',
                         StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                Listen(kestrel, new Uri(url), certificate);
            }
        });

        builder.Services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            json.SerializerOptions.Converters.Add(new Rfc3339DateTimeOffsetConverter());
        });
        builder.Services.AddProblemDetails();
        builder.Services.AddOpenApi();

        builder.Services.AddAudit(builder.Configuration);
        builder.Services.AddSingleton<IControlStore, SqliteControlStore>();
        builder.Services.AddDuckDbEventStore();
        builder.Services.AddHubAuth();
        builder.Services.AddKeys(builder.Configuration);
        builder.Services.AddRateLimits(builder.Configuration);
        builder.Services.AddSingleton<TenantService>();
        builder.Services.AddSingleton<HubBootstrapper>();
        builder.Services.AddEvents();
        builder.Services.AddHubMetrics();
        builder.Services.AddUsers();
        builder.Services.AddConsole(options);
        builder.Services.AddHostedService<HubStartup>();

        var app = builder.Build();
        _ = app.Services.GetRequiredService<DataDirLock>();
        UseForwardedHeadersFromKnownProxies(app, options);
        app.UseExceptionHandler(errors => errors.Run(WriteUnhandledAsync));
        app.UseStatusCodePages(WriteStatusProblemAsync);
        app.UseKeyInQueryRefusal();
        app.UseConsoleSecurityHeaders();
        app.UseAuthentication();
        app.UseRateLimits();
        app.UseAuthorization();

        app.MapOpenApi();
        app.MapHealthAndProblems();
        app.MapAuth();
        app.MapKeys();
        app.MapKeyIntrospection();
        app.MapTenants();
        app.MapEvents();
        app.MapMetrics();
        app.MapUsers();
        app.MapAudit();
        app.MapConsole();
        return app;
    }

    /// <summary>
    /// Believes X-Forwarded-For only from the configured proxies. ASP.NET Core's defaults trust loopback, which
    /// would let any local process pick its client address, so they are cleared first.
    /// </summary>
    private static void UseForwardedHeadersFromKnownProxies(WebApplication app, HubOptions options)
    {
        if (options.KnownProxies.Count == 0) return;

        var forwarded = new ForwardedHeadersOptions { ForwardedHeaders = ForwardedHeaders.XForwardedFor };
        forwarded.KnownIPNetworks.Clear();
        forwarded.KnownProxies.Clear();
        foreach (var proxy in options.KnownProxies) forwarded.KnownProxies.Add(IPAddress.Parse(proxy));
        app.UseForwardedHeaders(forwarded);
    }

    private static void Listen(
        Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions kestrel, Uri uri, HubCertificate certificate)
    {
        Action<Microsoft.AspNetCore.Server.Kestrel.Core.ListenOptions> configure = listen =>
        {
            if (uri.Scheme == Uri.UriSchemeHttps) listen.UseHttps(certificate.Certificate);
        };

        if (uri.Host == "localhost") kestrel.ListenLocalhost(uri.Port, configure);
        else if (uri.Host is "*" or "+" or "0.0.0.0" or "[::]") kestrel.ListenAnyIP(uri.Port, configure);
        else if (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address))
            kestrel.Listen(address, uri.Port, configure);
        else throw new HubConfigurationException($"Hub:Urls host '{uri.Host}' must be an IP address or localhost.");
    }

    private static async Task WriteUnhandledAsync(HttpContext context)
    {
        var failure = context.Features.Get<IExceptionHandlerFeature>();
        context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(HubApp).FullName!)
            .UnhandledRequestFailure(failure?.Error);
        // The exception handler cleared the response, rate-limit fields included; a key's answer keeps them.
        await context.RequestServices.GetRequiredService<HubRateLimiter>().RewriteFieldsAsync(context);
        await HubProblems.Create(context, StatusCodes.Status500InternalServerError, ProblemCodes.InternalError,
            "The hub failed to handle the request.").ExecuteAsync(context);
    }

    /// <summary>Gives bodiless framework answers (no such route, wrong method) the same problem shape.</summary>
    private static async Task WriteStatusProblemAsync(StatusCodeContext status)
    {
        var context = status.HttpContext;
        var (code, detail) = context.Response.StatusCode switch
        {
            StatusCodes.Status404NotFound => (ProblemCodes.NotFound, "No such endpoint."),
            StatusCodes.Status405MethodNotAllowed => (ProblemCodes.MethodNotAllowed,
                $"{context.Request.Method} is not allowed here; the Allow header lists what is."),
            StatusCodes.Status415UnsupportedMediaType => (ProblemCodes.UnsupportedMediaType,
                "Send the body as JSON with 'Content-Type: application/json' (curl -d alone sends a form)."),
            _ => (ProblemCodes.InvalidRequest, "The request could not be handled."),
        };
        await HubProblems.Create(context, context.Response.StatusCode, code, detail).ExecuteAsync(context);
    }
}

internal static partial class HubAppLog
{
    [LoggerMessage(EventId = 2, EventName = "UnhandledRequestFailure", Level = LogLevel.Error,
        Message = "A request failed with an unhandled exception")]
    public static partial void UnhandledRequestFailure(this ILogger logger, Exception? exception);
}
