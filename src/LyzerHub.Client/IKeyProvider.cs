namespace LyzerHub.Client;

/// <summary>Supplies the bearer key for each request. The SDK never looks inside a key: any string the hub
/// issues keeps working, whatever its format.</summary>
public interface IKeyProvider
{
    /// <summary>The key to send now.</summary>
    /// <param name="cancellationToken">Cancels the wait (not a login other callers share).</param>
    /// <returns>The key.</returns>
    ValueTask<string> GetKeyAsync(CancellationToken cancellationToken);

    /// <summary>Called once when the hub answered 401 to <paramref name="rejectedKey"/>.</summary>
    /// <param name="rejectedKey">The key the hub refused.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>Another key to retry with once, or null when this provider has no other key.</returns>
    ValueTask<string?> RenewAsync(string rejectedKey, CancellationToken cancellationToken);
}

/// <summary>A key given in code or in <c>LYZER_KEY</c>; it cannot be renewed, so a 401 is final.</summary>
/// <param name="key">The key.</param>
public sealed class FixedKeyProvider(string key) : IKeyProvider
{
    /// <summary>The environment variable <see cref="FromEnvironment"/> reads.</summary>
    public const string EnvironmentVariable = "LYZER_KEY";

    private readonly string _key = string.IsNullOrWhiteSpace(key)
        ? throw new ArgumentException("A key is required.", nameof(key))
        : key.Trim();

    /// <summary>The key in <c>LYZER_KEY</c>, or null when it is unset.</summary>
    /// <returns>A provider, or null.</returns>
    public static FixedKeyProvider? FromEnvironment() =>
        Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } key ? new(key) : null;

    /// <inheritdoc />
    public ValueTask<string> GetKeyAsync(CancellationToken cancellationToken) => ValueTask.FromResult(_key);

    /// <inheritdoc />
    public ValueTask<string?> RenewAsync(string rejectedKey, CancellationToken cancellationToken) =>
        ValueTask.FromResult<string?>(null);
}

/// <summary>Used when no key was configured: every call fails with a clear problem instead of a bare 401.</summary>
internal sealed class MissingKeyProvider : IKeyProvider
{
    public ValueTask<string> GetKeyAsync(CancellationToken cancellationToken) =>
        throw new LyzerHubException(null, "missing_key",
            "No key is configured: set LYZER_KEY, a key, or a username and password.", isRetryable: false);

    public ValueTask<string?> RenewAsync(string rejectedKey, CancellationToken cancellationToken) =>
        ValueTask.FromResult<string?>(null);
}
