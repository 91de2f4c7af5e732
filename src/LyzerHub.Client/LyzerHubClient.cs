using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;

namespace LyzerHub.Client;

/// <summary>
/// Typed calls to a Lyzer Hub. Every failure is a <see cref="LyzerHubException"/>. Rate limits and overload
/// (429, 503) are waited out as the hub's <c>Retry-After</c> says, and network failures retried with back-off,
/// before an exception reaches the caller. Thread-safe; keep one per hub.
/// </summary>
public sealed class LyzerHubClient : IDisposable
{
    /// <summary>The name of the <see cref="HttpClient"/> that sends keys.</summary>
    public const string HttpClientName = "LyzerHub";

    /// <summary>The name of the <see cref="HttpClient"/> for calls that need no key (login).</summary>
    public const string AnonymousHttpClientName = "LyzerHub.Anonymous";

    private readonly HttpClient _http;
    private readonly HttpClient _anonymous;
    private readonly TimeProvider _time;
    private readonly IDisposable? _owned;

    /// <summary>Creates a client over two clients made by <see cref="IHttpClientFactory"/>; use
    /// <c>services.AddLyzerHubClient(...)</c> or <see cref="Create"/> rather than calling this directly.</summary>
    /// <param name="http">The client that adds the key.</param>
    /// <param name="anonymous">The client that adds no key.</param>
    /// <param name="time">The clock.</param>
    public LyzerHubClient(HttpClient http, HttpClient anonymous, TimeProvider time)
        : this(http, anonymous, time, null)
    {
    }

    private LyzerHubClient(HttpClient http, HttpClient anonymous, TimeProvider time, IDisposable? owned)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(anonymous);
        ArgumentNullException.ThrowIfNull(time);
        _http = http;
        _anonymous = anonymous;
        _time = time;
        _owned = owned;
    }

    /// <summary>The hub's base address.</summary>
    public Uri HubUrl => _http.BaseAddress!;

    /// <summary>The clock this client runs on.</summary>
    public TimeProvider Time => _time;

    /// <summary>A client without dependency injection: it builds (and disposes) its own services.</summary>
    /// <param name="configure">Sets the options; environment variables fill what it leaves unset.</param>
    /// <returns>A client to dispose when done.</returns>
    public static LyzerHubClient Create(Action<LyzerHubClientOptions>? configure = null)
    {
        var services = new ServiceCollection().AddLyzerHubClient(configure ?? (_ => { }));
        var provider = services.BuildServiceProvider();
        return new LyzerHubClient(
            provider.GetRequiredService<IHttpClientFactory>().CreateClient(HttpClientName),
            provider.GetRequiredService<IHttpClientFactory>().CreateClient(AnonymousHttpClientName),
            provider.GetRequiredService<TimeProvider>(),
            provider);
    }

    /// <summary>Logs in (<c>POST /v1/auth/key</c>) and returns the new key. No key is needed for this.</summary>
    /// <param name="username">The username.</param>
    /// <param name="password">The password.</param>
    /// <param name="permissions">Permissions to ask for; null for the tenant's defaults.</param>
    /// <param name="expiresInSeconds">A shorter lifetime than the tenant's login key lifetime; null for it.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The login answer; its key is a secret.</returns>
    public Task<LoginResult> LoginAsync(
        string username,
        string password,
        IReadOnlyList<string>? permissions = null,
        long? expiresInSeconds = null,
        CancellationToken cancellationToken = default) =>
        SendAsync<LoginResult>(_anonymous, HttpMethod.Post, "v1/auth/key",
            new LoginBody(username, password, permissions, expiresInSeconds), cancellationToken);

    /// <summary>Describes the calling key, its user and tenant (<c>GET /v1/auth/whoami</c>).</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The key, user and tenant.</returns>
    public Task<Whoami> WhoamiAsync(CancellationToken cancellationToken = default) =>
        SendAsync<Whoami>(_http, HttpMethod.Get, "v1/auth/whoami", null, cancellationToken);

    /// <summary>Revokes the calling key itself (<c>POST /v1/auth/revoke</c> without a body).</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the hub confirmed.</returns>
    public async Task RevokeCurrentKeyAsync(CancellationToken cancellationToken = default) =>
        await SendAsync<JsonObject>(_http, HttpMethod.Post, "v1/auth/revoke", null, cancellationToken);

    /// <summary>Revokes the key given (<c>POST /v1/auth/revoke</c>): holding a key is the right to revoke it.
    /// The hub answers the same whether or not the key existed.</summary>
    /// <param name="key">The key to revoke.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the hub confirmed.</returns>
    public async Task RevokeSecretAsync(string key, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        await SendAsync<JsonObject>(_anonymous, HttpMethod.Post, "v1/auth/revoke", new RevokeBody(key),
            cancellationToken);
    }

    /// <summary>Lists keys: your own, or the tenant's with <c>manage:keys</c> (<c>GET /v1/keys</c>).</summary>
    /// <param name="includeInactive">Also expired and revoked keys.</param>
    /// <param name="userId">Only this user's keys (needs <c>manage:keys</c>).</param>
    /// <param name="limit">Page size (default 50, at most 1,000).</param>
    /// <param name="cursor">The previous page's <see cref="Page{T}.NextCursor"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>One page of keys.</returns>
    public Task<Page<KeyInfo>> ListKeysAsync(
        bool includeInactive = false,
        string? userId = null,
        int? limit = null,
        string? cursor = null,
        CancellationToken cancellationToken = default) =>
        SendAsync<Page<KeyInfo>>(_http, HttpMethod.Get,
            "v1/keys" + Query(("status", includeInactive ? "all" : null), ("user", userId),
                ("limit", limit?.ToString(CultureInfo.InvariantCulture)), ("cursor", cursor)),
            null, cancellationToken);

    /// <summary>Shows one key (<c>GET /v1/keys/{id}</c>).</summary>
    /// <param name="id">The key id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The key's record.</returns>
    public Task<KeyInfo> GetKeyAsync(string id, CancellationToken cancellationToken = default) =>
        SendAsync<KeyInfo>(_http, HttpMethod.Get, "v1/keys/" + Uri.EscapeDataString(id), null, cancellationToken);

    /// <summary>Revokes a key by id (<c>DELETE /v1/keys/{id}</c>); revoking twice is fine.</summary>
    /// <param name="id">The key id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the key is revoked.</returns>
    public async Task RevokeKeyAsync(string id, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, "v1/keys/" + Uri.EscapeDataString(id));
        using var response = await HubJson.SendRawAsync(_http, request, _time, cancellationToken);
    }

    /// <summary>Creates a named key (<c>POST /v1/keys</c>); needs a login key or <c>manage:keys</c>. The answer's
    /// <see cref="KeyInfo.Key"/> is the plain key, shown this once.</summary>
    /// <param name="name">A name to recognise it by.</param>
    /// <param name="permissions">Its permissions, within the calling key's own.</param>
    /// <param name="expiresIn">Its lifetime; null for the hub's default (30 days or the tenant's maximum).</param>
    /// <param name="neverExpires">A key that never expires, where the tenant's policy allows it.</param>
    /// <param name="rateLimit">Its own rate limit, no looser than the tenant's default; null for the default.
    /// </param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The key's record with the plain key.</returns>
    public Task<KeyInfo> CreateKeyAsync(
        string name,
        IReadOnlyList<string> permissions,
        TimeSpan? expiresIn = null,
        bool neverExpires = false,
        KeyRateLimit? rateLimit = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(permissions);
        if (neverExpires && expiresIn is not null)
            throw new ArgumentException("Give a lifetime or ask for a key that never expires, not both.");

        // Built by hand: an absent expires_in_seconds means the default, an explicit null means never.
        var body = new JsonObject
        {
            ["name"] = name,
            ["permissions"] = new JsonArray(permissions.Select(p => (JsonNode?)p).ToArray()),
        };
        if (neverExpires) body["expires_in_seconds"] = null;
        else if (expiresIn is { } lifetime) body["expires_in_seconds"] = (long)lifetime.TotalSeconds;
        if (rateLimit is not null)
        {
            body["rate_limit"] = new JsonObject
            {
                ["requests"] = rateLimit.Requests,
                ["window_seconds"] = rateLimit.WindowSeconds,
            };
        }

        return SendAsync<KeyInfo>(_http, HttpMethod.Post, "v1/keys", body, cancellationToken);
    }

    /// <summary>Gives your own key a new secret (<c>POST /v1/keys/{id}/roll</c>); the previous secret keeps
    /// working for <paramref name="grace"/> (never past the key's expiry).</summary>
    /// <param name="id">The key id.</param>
    /// <param name="grace">How long the previous secret stays valid, at most 7 days; zero ends it now.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The key's record with the new plain key, shown this once.</returns>
    public Task<KeyInfo> RollKeyAsync(
        string id, TimeSpan grace = default, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        return SendAsync<KeyInfo>(_http, HttpMethod.Post, $"v1/keys/{Uri.EscapeDataString(id)}/roll",
            new RollBody((long)grace.TotalSeconds), cancellationToken);
    }

    /// <summary>Lists the tenant's users (<c>GET /v1/users</c>, <c>manage:users</c>).</summary>
    /// <param name="limit">Page size.</param>
    /// <param name="cursor">The previous page's cursor.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>One page of users.</returns>
    public Task<Page<UserInfo>> ListUsersAsync(
        int? limit = null, string? cursor = null, CancellationToken cancellationToken = default) =>
        SendAsync<Page<UserInfo>>(_http, HttpMethod.Get,
            "v1/users" + Query(("limit", limit?.ToString(CultureInfo.InvariantCulture)), ("cursor", cursor)),
            null, cancellationToken);

    /// <summary>Creates a user (<c>POST /v1/users</c>, <c>manage:users</c>).</summary>
    /// <param name="username">The username (unique across the hub).</param>
    /// <param name="role"><c>owner</c>, <c>admin</c>, <c>member</c> or <c>viewer</c>.</param>
    /// <param name="password">A password; null to let the hub generate one, returned this once.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The new user.</returns>
    public Task<CreatedUser> CreateUserAsync(
        string username, string role, string? password = null, CancellationToken cancellationToken = default) =>
        SendAsync<CreatedUser>(_http, HttpMethod.Post, "v1/users", new CreateUserBody(username, role, password),
            cancellationToken);

    /// <summary>Changes a user's role (<c>PATCH /v1/users/{id}</c>, <c>manage:users</c>).</summary>
    /// <param name="id">The user id.</param>
    /// <param name="role">The new role.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The user as changed.</returns>
    public Task<UserInfo> ChangeUserRoleAsync(string id, string role, CancellationToken cancellationToken = default) =>
        SendAsync<UserInfo>(_http, HttpMethod.Patch, "v1/users/" + Uri.EscapeDataString(id), new RoleBody(role),
            cancellationToken);

    /// <summary>Offboards a user: disables them and revokes all their keys (<c>manage:users</c>).</summary>
    /// <param name="id">The user id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>How many keys were revoked.</returns>
    public Task<OffboardResult> OffboardUserAsync(string id, CancellationToken cancellationToken = default) =>
        SendAsync<OffboardResult>(_http, HttpMethod.Post, $"v1/users/{Uri.EscapeDataString(id)}/offboard", null,
            cancellationToken);

    /// <summary>Shows the caller's tenant and its policy (<c>GET /v1/tenant</c>).</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The tenant.</returns>
    public Task<TenantInfo> GetTenantAsync(CancellationToken cancellationToken = default) =>
        SendAsync<TenantInfo>(_http, HttpMethod.Get, "v1/tenant", null, cancellationToken);

    /// <summary>Creates a tenant with its owner (<c>POST /v1/tenants</c>, operator's <c>admin:hub</c>).</summary>
    /// <param name="request">The slug, name and owner.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The new tenant and its owner (with a generated password, shown once).</returns>
    public Task<CreatedTenant> CreateTenantAsync(
        CreateTenantRequest request, CancellationToken cancellationToken = default) =>
        SendAsync<CreatedTenant>(_http, HttpMethod.Post, "v1/tenants", request, cancellationToken);

    /// <summary>Lists tenants (<c>GET /v1/tenants</c>, operator).</summary>
    /// <param name="limit">Page size.</param>
    /// <param name="cursor">The previous page's cursor.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>One page of tenants.</returns>
    public Task<Page<TenantInfo>> ListTenantsAsync(
        int? limit = null, string? cursor = null, CancellationToken cancellationToken = default) =>
        SendAsync<Page<TenantInfo>>(_http, HttpMethod.Get,
            "v1/tenants" + Query(("limit", limit?.ToString(CultureInfo.InvariantCulture)), ("cursor", cursor)),
            null, cancellationToken);

    /// <summary>Sends one event now (<c>POST /v1/events</c>). An event without an id gets a UUID first, so
    /// a retried request can never count it twice.</summary>
    /// <param name="event">The event.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The hub's answer.</returns>
    public Task<EventIngestResult> SendEventAsync(LyzerEvent @event, CancellationToken cancellationToken = default) =>
        SendEventsAsync([@event], cancellationToken);

    /// <summary>Sends a batch of at most 5,000 events now; events without an id get a UUID first.</summary>
    /// <param name="events">The events.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The hub's answer, one result per event in order.</returns>
    public Task<EventIngestResult> SendEventsAsync(
        IReadOnlyList<LyzerEvent> events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        var withIds = events.Select(e => e.Id is null ? e with { Id = NewEventId() } : e).ToArray();
        return SendAsync<EventIngestResult>(_http, HttpMethod.Post, "v1/events", withIds, cancellationToken);
    }

    /// <summary>Sends events already in JSON form (e.g. read from NDJSON) as they are, except that an object
    /// without an <c>id</c> gets a UUID first.</summary>
    /// <param name="events">The event objects; they are not modified.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The hub's answer.</returns>
    public Task<EventIngestResult> SendEventsAsync(
        IReadOnlyList<JsonObject> events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        var array = new JsonArray();
        foreach (var item in events)
        {
            var copy = (JsonObject)item.DeepClone();
            if (!copy.ContainsKey("id")) copy["id"] = NewEventId();
            array.Add(copy);
        }

        return SendAsync<EventIngestResult>(_http, HttpMethod.Post, "v1/events", array, cancellationToken);
    }

    /// <summary>Runs a metric query (<c>POST /v1/metrics/query</c>).</summary>
    /// <param name="query">The query.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The series.</returns>
    public Task<MetricResult> QueryMetricAsync(MetricQuery query, CancellationToken cancellationToken = default) =>
        SendAsync<MetricResult>(_http, HttpMethod.Post, "v1/metrics/query", query, cancellationToken);

    /// <summary>Lists event names with their counts (<c>GET /v1/metrics/events</c>).</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The names.</returns>
    public async Task<IReadOnlyList<EventNameSummary>> ListEventNamesAsync(
        CancellationToken cancellationToken = default) =>
        (await SendAsync<Page<EventNameSummary>>(_http, HttpMethod.Get, "v1/metrics/events", null,
            cancellationToken)).Data;

    /// <summary>Lists audit entries newest first (<c>GET /v1/audit</c>, needs <c>read:audit</c>): the calling
    /// key's tenant's, or with <paramref name="hubChain"/> the hub's own (<c>GET /v1/audit/hub</c>, needs
    /// <c>admin:hub</c>).</summary>
    /// <param name="filter">Time range, action, actor and target; null for everything.</param>
    /// <param name="limit">Page size (default 50, at most 1,000).</param>
    /// <param name="cursor">The previous page's <see cref="Page{T}.NextCursor"/>.</param>
    /// <param name="hubChain">Read the hub's own chain instead of the tenant's.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>One page of entries.</returns>
    public Task<Page<AuditEntry>> ListAuditAsync(
        AuditFilter? filter = null,
        int? limit = null,
        string? cursor = null,
        bool hubChain = false,
        CancellationToken cancellationToken = default)
    {
        filter ??= new AuditFilter();
        return SendAsync<Page<AuditEntry>>(_http, HttpMethod.Get,
            (hubChain ? "v1/audit/hub" : "v1/audit") + Query(
                ("from", filter.From?.ToString("O", CultureInfo.InvariantCulture)),
                ("to", filter.To?.ToString("O", CultureInfo.InvariantCulture)),
                ("action", filter.Action), ("actor", filter.Actor), ("target", filter.Target),
                ("limit", limit?.ToString(CultureInfo.InvariantCulture)), ("cursor", cursor)),
            null, cancellationToken);
    }

    /// <summary>Walks the audit chain on the hub and reports whether it is intact (<c>GET /v1/audit/verify</c>,
    /// needs <c>read:audit</c>; the hub's own chain with <paramref name="hubChain"/> and <c>admin:hub</c>).
    /// A broken chain is an answer, not an exception: check <see cref="AuditVerification.Ok"/>.</summary>
    /// <param name="hubChain">Verify the hub's own chain instead of the tenant's.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The verdict, the entry count, the first bad entry and the chain's head.</returns>
    public Task<AuditVerification> VerifyAuditAsync(
        bool hubChain = false, CancellationToken cancellationToken = default) =>
        SendAsync<AuditVerification>(_http, HttpMethod.Get, hubChain ? "v1/audit/hub/verify" : "v1/audit/verify",
            null, cancellationToken);

    /// <summary>A buffered sender over this client: <see cref="LyzerEventSender.Track(LyzerEvent)"/> returns at
    /// once and events go out in batches. Dispose the sender to flush it.</summary>
    /// <param name="options">Batching, retry and memory limits; defaults when null.</param>
    /// <returns>The sender.</returns>
    public LyzerEventSender CreateEventSender(LyzerEventSenderOptions? options = null) =>
        new(this, options ?? new LyzerEventSenderOptions());

    /// <summary>Releases what <see cref="Create"/> built; a client from dependency injection owns nothing.</summary>
    public void Dispose() => _owned?.Dispose();

    internal static string NewEventId() => Guid.NewGuid().ToString();

    private async Task<T> SendAsync<T>(
        HttpClient http, HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null) request.Content = HubJson.Content(body);
        return await HubJson.SendAsync<T>(http, request, _time, cancellationToken);
    }

    private static string Query(params (string Name, string? Value)[] parameters)
    {
        var present = parameters.Where(p => p.Value is not null)
            .Select(p => $"{p.Name}={Uri.EscapeDataString(p.Value!)}").ToArray();
        return present.Length == 0 ? "" : "?" + string.Join('&', present);
    }

    private sealed record LoginBody(
        string Username, string Password, IReadOnlyList<string>? Permissions, long? ExpiresInSeconds)
    {
        // Records print their members; this one holds a password.
        public override string ToString() => "LoginBody";
    }

    private sealed record RevokeBody(string Key)
    {
        public override string ToString() => "RevokeBody";
    }

    private sealed record CreateUserBody(string Username, string Role, string? Password)
    {
        public override string ToString() => "CreateUserBody";
    }

    private sealed record RoleBody(string Role);

    private sealed record RollBody(long GraceSeconds);
}
