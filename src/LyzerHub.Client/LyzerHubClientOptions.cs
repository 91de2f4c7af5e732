namespace LyzerHub.Client;

/// <summary>Where the hub is, how to trust it and how to get a key. Bound from the section
/// <see cref="SectionName"/> when configured through <c>IConfiguration</c>.</summary>
public sealed class LyzerHubClientOptions
{
    /// <summary>The configuration section these options are usually bound from.</summary>
    public const string SectionName = "LyzerHub";

    /// <summary>The default hub address, as the hub listens out of the box.</summary>
    public static readonly Uri DefaultHubUrl = new("https://127.0.0.1:5443");

    /// <summary>The hub's base address. HTTPS, or plain HTTP only to a loopback address. Defaults to
    /// <c>LYZER_HUB_URL</c>, else <see cref="DefaultHubUrl"/>.</summary>
    public Uri? HubUrl { get; set; }

    /// <summary>A PEM or DER file holding the certificate (or CA) to trust for the hub, e.g. the hub's generated
    /// <c>data/tls/hub.crt</c>. Defaults to <c>LYZER_CA_CERT</c>. The system's trust store is used when unset;
    /// verification is never switched off.</summary>
    public string? CaCertificatePath { get; set; }

    /// <summary>A fixed key. Defaults to <c>LYZER_KEY</c> when neither this nor a username is set.</summary>
    public string? Key { get; set; }

    /// <summary>With <see cref="Password"/>: log in and keep a key fresh with a <see cref="KeyManager"/>.</summary>
    public string? Username { get; set; }

    /// <summary>The password for <see cref="Username"/>. Never logged.</summary>
    public string? Password { get; set; }

    /// <summary>Permissions to ask for at login; null for the tenant's defaults.</summary>
    public IReadOnlyList<string>? LoginPermissions { get; set; }

    /// <summary>The key manager renews a key when less than this is left of its lifetime (default 60 s).</summary>
    public TimeSpan RefreshMargin { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Retries after a 429, a 503 or a network failure before giving up (default 3).</summary>
    public int MaxRetryAttempts { get; set; } = 3;

    /// <summary>The longest <c>Retry-After</c> the client waits by itself (default 30 s). A longer wait is
    /// returned to the caller as a retryable <see cref="LyzerHubException"/> instead.</summary>
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The time one attempt may take before it is abandoned and retried (default 100 s).</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(100);
}
