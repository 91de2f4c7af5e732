using System.Net.Http.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace LyzerHub.Client;

/// <summary>
/// Logs in with a username and password and keeps a key fresh. Lifetimes are measured with the monotonic
/// clock (<see cref="TimeProvider.GetTimestamp"/>) from the moment the login answer arrived, so a wrong or jumping
/// wall clock on this machine changes nothing. However many callers need a key at once, one login is in flight;
/// its failure reaches every one of them and is not remembered, so the next call tries again.
/// </summary>
public sealed partial class KeyManager : IKeyProvider
{
    private readonly HttpClient _http;
    private readonly string _username;
    private readonly string _password;
    private readonly IReadOnlyList<string>? _permissions;
    private readonly TimeSpan _margin;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private CurrentKey? _current;
    private Task<CurrentKey>? _login;
    private int _loginsStarted;

    /// <summary>Creates a key manager. It logs in lazily, on the first call that needs a key.</summary>
    /// <param name="http">A client for the hub that adds no key (the login needs none).</param>
    /// <param name="username">The username.</param>
    /// <param name="password">The password; kept in memory only, never logged.</param>
    /// <param name="refreshMargin">Renew when less than this is left (default 60 s). A key that lives shorter
    /// than twice the margin is renewed at half its lifetime instead, so short keys cause no login storm.</param>
    /// <param name="permissions">Permissions to ask for; null for the tenant's defaults.</param>
    /// <param name="time">The clock; <see cref="TimeProvider.System"/> when null.</param>
    /// <param name="logger">A logger; nothing is logged when null.</param>
    public KeyManager(
        HttpClient http,
        string username,
        string password,
        TimeSpan? refreshMargin = null,
        IReadOnlyList<string>? permissions = null,
        TimeProvider? time = null,
        ILogger<KeyManager>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentException.ThrowIfNullOrEmpty(username);
        ArgumentException.ThrowIfNullOrEmpty(password);
        _http = http;
        _username = username;
        _password = password;
        _permissions = permissions;
        _margin = refreshMargin ?? TimeSpan.FromSeconds(60);
        if (_margin < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(refreshMargin));
        _time = time ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>How many logins this manager has started, for diagnostics.</summary>
    public int LoginsStarted => Volatile.Read(ref _loginsStarted);

    /// <inheritdoc />
    public async ValueTask<string> GetKeyAsync(CancellationToken cancellationToken)
    {
        Task<CurrentKey> login;
        lock (_gate)
        {
            if (_current is { } current && !NeedsRenewal(current)) return current.Key;
            login = _login ??= LoginAsync();
        }

        // WaitAsync: one caller giving up must not cancel the login the others are waiting for.
        return (await login.WaitAsync(cancellationToken)).Key;
    }

    /// <inheritdoc />
    public async ValueTask<string?> RenewAsync(string rejectedKey, CancellationToken cancellationToken)
    {
        Task<CurrentKey> login;
        lock (_gate)
        {
            // Another caller may already have replaced the rejected key: use that one, no second login.
            if (_current is { } current && current.Key != rejectedKey && !NeedsRenewal(current)) return current.Key;
            if (_current?.Key == rejectedKey) _current = null;
            login = _login ??= LoginAsync();
        }

        return (await login.WaitAsync(cancellationToken)).Key;
    }

    /// <summary>Logs in, replacing any key it holds, and returns the login's answer.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The login answer; its <see cref="LoginResult.Key"/> is a secret.</returns>
    public async Task<LoginResult> LoginNowAsync(CancellationToken cancellationToken)
    {
        Task<CurrentKey> login;
        lock (_gate)
        {
            _current = null;
            login = _login ??= LoginAsync();
        }

        return (await login.WaitAsync(cancellationToken)).Answer;
    }

    private bool NeedsRenewal(CurrentKey key)
    {
        var margin = key.Lifetime / 2 < _margin ? key.Lifetime / 2 : _margin;
        return key.Lifetime - _time.GetElapsedTime(key.ReceivedAt) <= margin;
    }

    private async Task<CurrentKey> LoginAsync()
    {
        // Always finish asynchronously, so the finally below never runs before the caller stored this task.
        await Task.Yield();
        Interlocked.Increment(ref _loginsStarted);
        Log.LoggingIn(_logger, _username);
        CurrentKey? result = null;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "v1/auth/key")
            {
                Content = JsonContent.Create(new LoginBody(_username, _password, _permissions),
                    options: HubJson.Options),
            };
            // The login is shared by every waiting caller, so no single caller's token may cancel it; the
            // client's attempt timeout bounds it.
            using var response = await HubJson.SendRawAsync(_http, request, _time, CancellationToken.None);
            var receivedAt = _time.GetTimestamp();
            var answer = await response.Content.ReadFromJsonAsync<LoginResult>(HubJson.Options)
                ?? throw new LyzerHubException(response.StatusCode, "invalid_response",
                    "The hub's login answer was empty.", isRetryable: false);
            result = new CurrentKey(answer.Key, receivedAt, TimeSpan.FromSeconds(answer.ExpiresInSeconds), answer);
            Log.LoggedIn(_logger, answer.KeyId, answer.ExpiresInSeconds);
            return result;
        }
        catch (LyzerHubException e)
        {
            Log.LoginFailed(_logger, _username, e.Code);
            throw;
        }
        finally
        {
            lock (_gate)
            {
                if (result is not null) _current = result;
                _login = null;
            }
        }
    }

    private sealed record LoginBody(string Username, string Password, IReadOnlyList<string>? Permissions)
    {
        // Records print their members; this one holds a password.
        public override string ToString() => "LoginBody";
    }

    private sealed record CurrentKey(string Key, long ReceivedAt, TimeSpan Lifetime, LoginResult Answer);

    private static partial class Log
    {
        [LoggerMessage(EventId = 9101, EventName = "LoggingIn", Level = LogLevel.Debug,
            Message = "Logging in to the hub as {Username}")]
        public static partial void LoggingIn(ILogger logger, string username);

        [LoggerMessage(EventId = 9102, EventName = "LoggedIn", Level = LogLevel.Debug,
            Message = "Got key {KeyId}, valid for {Seconds} s")]
        public static partial void LoggedIn(ILogger logger, string keyId, long seconds);

        [LoggerMessage(EventId = 9103, EventName = "LoginFailed", Level = LogLevel.Warning,
            Message = "Logging in as {Username} failed: {Code}")]
        public static partial void LoginFailed(ILogger logger, string username, string code);
    }
}
