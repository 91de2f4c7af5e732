using System.Text.Json;

namespace LyzerHub.Client;

/// <summary>One page of a list answer (<c>{"data": [...], "next_cursor": ...}</c>).</summary>
/// <typeparam name="T">The item type.</typeparam>
/// <param name="Data">The items, newest first.</param>
/// <param name="NextCursor">Pass as <c>cursor</c> to get the next page; null on the last page.</param>
public sealed record Page<T>(IReadOnlyList<T> Data, string? NextCursor);

/// <summary>The answer to a login (<c>POST /v1/auth/key</c>).</summary>
/// <param name="Key">The plain key, shown this once. Treat it as a secret.</param>
/// <param name="Type">Always <c>bearer</c>.</param>
/// <param name="ExpiresInSeconds">The key's lifetime from the moment of the answer.</param>
/// <param name="Permissions">The permissions the key holds.</param>
/// <param name="KeyId">The key's id (not a secret).</param>
/// <param name="ExpiresAt">When the key expires, by the hub's clock.</param>
/// <param name="Tenant">The tenant's slug.</param>
public sealed record LoginResult(
    string Key,
    string Type,
    long ExpiresInSeconds,
    IReadOnlyList<string> Permissions,
    string KeyId,
    DateTimeOffset ExpiresAt,
    string Tenant)
{
    /// <summary>Never shows the key: records print their members, and a key must not reach a log.</summary>
    /// <returns>The record without its secret.</returns>
    public override string ToString() =>
        $"LoginResult {{ KeyId = {KeyId}, Tenant = {Tenant}, ExpiresAt = {ExpiresAt} }}";
}

/// <summary>The answer to <c>GET /v1/auth/whoami</c>.</summary>
/// <param name="Tenant">The key's tenant.</param>
/// <param name="User">The key's user.</param>
/// <param name="Key">The key itself (never the secret).</param>
public sealed record Whoami(WhoamiTenant Tenant, WhoamiUser User, WhoamiKey Key);

/// <summary>The tenant part of <see cref="Whoami"/>.</summary>
/// <param name="Id">The tenant id, <c>ten_…</c>.</param>
/// <param name="Slug">The tenant's slug.</param>
public sealed record WhoamiTenant(string Id, string Slug);

/// <summary>The user part of <see cref="Whoami"/>.</summary>
/// <param name="Id">The user id, <c>usr_…</c>.</param>
/// <param name="Username">The username.</param>
/// <param name="Role">The user's role.</param>
public sealed record WhoamiUser(string Id, string Username, string Role);

/// <summary>The key part of <see cref="Whoami"/>.</summary>
/// <param name="Id">The key id.</param>
/// <param name="Name">The key's name.</param>
/// <param name="Start">The key's first characters, for display.</param>
/// <param name="Permissions">The key's own permissions.</param>
/// <param name="EffectivePermissions">What the key may do now (its own ∩ the user's role).</param>
/// <param name="ExpiresAt">When the key expires; null if it never does.</param>
public sealed record WhoamiKey(
    string Id,
    string Name,
    string Start,
    IReadOnlyList<string> Permissions,
    IReadOnlyList<string> EffectivePermissions,
    DateTimeOffset? ExpiresAt);

/// <summary>A key's record (never its secret).</summary>
/// <param name="Id">The key id.</param>
/// <param name="Name">The key's name.</param>
/// <param name="Start">The key's first characters, for display.</param>
/// <param name="UserId">The user who holds it.</param>
/// <param name="Permissions">Its permissions.</param>
/// <param name="CreatedAt">When it was made.</param>
/// <param name="ExpiresAt">When it expires; null if never.</param>
/// <param name="LastUsedAt">When it was last used, if ever.</param>
/// <param name="RequestCount">How many requests it made.</param>
/// <param name="RevokedAt">When it was revoked, if it was.</param>
/// <param name="Status"><c>active</c>, <c>expired</c> or <c>revoked</c>.</param>
/// <param name="RateLimit">The key's own rate limit; null when the tenant's default applies.</param>
/// <param name="Key">The plain key: only in the answers to create and roll, shown that once. A secret.</param>
public sealed record KeyInfo(
    string Id,
    string Name,
    string Start,
    string UserId,
    IReadOnlyList<string> Permissions,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset? LastUsedAt,
    long RequestCount,
    DateTimeOffset? RevokedAt,
    string Status,
    KeyRateLimit? RateLimit = null,
    string? Key = null)
{
    /// <summary>Never shows the plain key: records print their members, and a key must not reach a log.</summary>
    /// <returns>The record without its secret.</returns>
    public override string ToString() => $"KeyInfo {{ Id = {Id}, Name = {Name}, Start = {Start}, Status = {Status} }}";
}

/// <summary>A rate limit: a key's own, or one of a tenant's policy.</summary>
/// <param name="Requests">Requests allowed per window.</param>
/// <param name="WindowSeconds">The window's length in seconds.</param>
public sealed record KeyRateLimit(int Requests, int WindowSeconds);

/// <summary>A tenant's policy.</summary>
/// <param name="MaxKeyLifetimeSeconds">The longest lifetime a key may have.</param>
/// <param name="AllowNonExpiringKeys">Whether keys may never expire.</param>
/// <param name="LoginKeyLifetimeSeconds">The lifetime of login keys.</param>
/// <param name="DefaultLoginPermissions">What a login gets when it asks for nothing.</param>
/// <param name="DefaultKeyRateLimit">The limit of each key without its own (the hub's default when not set).</param>
/// <param name="TenantRateLimit">The limit of all the tenant's keys together.</param>
public sealed record TenantPolicy(
    long MaxKeyLifetimeSeconds,
    bool AllowNonExpiringKeys,
    long LoginKeyLifetimeSeconds,
    IReadOnlyList<string> DefaultLoginPermissions,
    KeyRateLimit? DefaultKeyRateLimit = null,
    KeyRateLimit? TenantRateLimit = null);

/// <summary>A tenant.</summary>
/// <param name="Id">The tenant id.</param>
/// <param name="Slug">The unique slug.</param>
/// <param name="Name">The display name.</param>
/// <param name="CreatedAt">When it was made.</param>
/// <param name="Policy">Its policy.</param>
public sealed record TenantInfo(string Id, string Slug, string Name, DateTimeOffset CreatedAt, TenantPolicy Policy);

/// <summary>Asks the operator's <c>POST /v1/tenants</c> for a tenant and its owner.</summary>
/// <param name="Slug">The slug, <c>[a-z0-9-]{2,40}</c>.</param>
/// <param name="Name">The display name; the slug when null.</param>
/// <param name="Owner">The owner to create with it.</param>
public sealed record CreateTenantRequest(string Slug, string? Name, TenantOwnerRequest Owner);

/// <summary>The owner part of <see cref="CreateTenantRequest"/>.</summary>
/// <param name="Username">The owner's username.</param>
/// <param name="Password">The owner's password; null to let the hub generate one (returned once).</param>
public sealed record TenantOwnerRequest(string Username, string? Password = null);

/// <summary>A tenant just created.</summary>
/// <param name="Id">The tenant id.</param>
/// <param name="Slug">The slug.</param>
/// <param name="Name">The display name.</param>
/// <param name="CreatedAt">When it was made.</param>
/// <param name="Policy">Its policy.</param>
/// <param name="Owner">Its owner, with a generated password if the hub made one.</param>
public sealed record CreatedTenant(
    string Id, string Slug, string Name, DateTimeOffset CreatedAt, TenantPolicy Policy, CreatedUser Owner);

/// <summary>A user.</summary>
/// <param name="Id">The user id.</param>
/// <param name="Username">The username.</param>
/// <param name="Role">The role.</param>
/// <param name="State"><c>active</c> or <c>offboarded</c>.</param>
/// <param name="CreatedAt">When it was made.</param>
public sealed record UserInfo(string Id, string Username, string Role, string State, DateTimeOffset CreatedAt);

/// <summary>A user just created; <see cref="Password"/> only when the hub generated it (shown this once).</summary>
/// <param name="Id">The user id.</param>
/// <param name="Username">The username.</param>
/// <param name="Role">The role.</param>
/// <param name="Password">The generated password, if any.</param>
public sealed record CreatedUser(string Id, string Username, string Role, string? Password)
{
    /// <summary>Never shows the password.</summary>
    /// <returns>The record without its secret.</returns>
    public override string ToString() => $"CreatedUser {{ Id = {Id}, Username = {Username}, Role = {Role} }}";
}

/// <summary>The answer to offboarding a user.</summary>
/// <param name="KeysRevoked">How many keys were revoked.</param>
public sealed record OffboardResult(int KeysRevoked);

/// <summary>One event to send.</summary>
/// <param name="Name">The event name, 1–200 characters.</param>
/// <param name="DistinctId">Who or what it is about, optional.</param>
/// <param name="Timestamp">When it happened; the SDK fills in the time of tracking when null.</param>
/// <param name="Properties">Free-form properties; keys are sent as given.</param>
/// <param name="Id">The deduplication id; the SDK assigns a UUID before the first send when null.</param>
public sealed record LyzerEvent(
    string Name,
    string? DistinctId = null,
    DateTimeOffset? Timestamp = null,
    IReadOnlyDictionary<string, object?>? Properties = null,
    string? Id = null);

/// <summary>The answer to <c>POST /v1/events</c>.</summary>
/// <param name="Accepted">Events stored.</param>
/// <param name="Duplicates">Events whose id was already stored.</param>
/// <param name="Rejected">Events refused, each with a reason in <paramref name="Results"/>.</param>
/// <param name="Results">One entry per item, in request order.</param>
public sealed record EventIngestResult(int Accepted, int Duplicates, int Rejected, IReadOnlyList<EventResult> Results);

/// <summary>One item's fate.</summary>
/// <param name="Index">The item's index in the request.</param>
/// <param name="Status"><c>accepted</c>, <c>duplicate</c> or <c>rejected</c>.</param>
/// <param name="Id">The event's id.</param>
/// <param name="Reason">Why it was rejected.</param>
public sealed record EventResult(int Index, string Status, string? Id, string? Reason);

/// <summary>A metric query (PRODUCT.md §6.2).</summary>
public sealed record MetricQuery
{
    /// <summary>The event name to measure.</summary>
    public required string Event { get; init; }

    /// <summary><c>count</c>, <c>unique</c>, <c>sum</c>, <c>avg</c>, <c>min</c>, <c>max</c>, <c>p50</c>,
    /// <c>p90</c>, <c>p95</c> or <c>p99</c>.</summary>
    public string Measure { get; init; } = "count";

    /// <summary>The property the measure reads; null for <c>count</c>.</summary>
    public string? Property { get; init; }

    /// <summary>The range's start, inclusive.</summary>
    public required DateTimeOffset From { get; init; }

    /// <summary>The range's end, exclusive.</summary>
    public required DateTimeOffset To { get; init; }

    /// <summary><c>none</c>, <c>minute</c>, <c>hour</c>, <c>day</c>, <c>week</c> or <c>month</c>.</summary>
    public string Interval { get; init; } = "day";

    /// <summary>An IANA time zone for the buckets (default UTC).</summary>
    public string? Timezone { get; init; }

    /// <summary>Filters, combined with AND.</summary>
    public IReadOnlyList<MetricFilter>? Filters { get; init; }

    /// <summary>A property to break the series down by.</summary>
    public string? Breakdown { get; init; }

    /// <summary>How many breakdown series at most.</summary>
    public int? Limit { get; init; }
}

/// <summary>A metric filter.</summary>
/// <param name="Property">The property compared.</param>
/// <param name="Op"><c>eq</c>, <c>neq</c>, <c>gt</c>, <c>gte</c>, <c>lt</c>, <c>lte</c>, <c>contains</c> or
/// <c>in</c>.</param>
/// <param name="Value">A number, string, boolean or (for <c>in</c>) an array.</param>
public sealed record MetricFilter(string Property, string Op, object Value);

/// <summary>A metric query's answer.</summary>
/// <param name="Event">The event measured.</param>
/// <param name="Measure">The measure.</param>
/// <param name="Interval">The interval.</param>
/// <param name="Timezone">The time zone of the buckets.</param>
/// <param name="From">The range's start.</param>
/// <param name="To">The range's end.</param>
/// <param name="Series">One series, or one per breakdown value.</param>
public sealed record MetricResult(
    string Event,
    string Measure,
    string Interval,
    string Timezone,
    DateTimeOffset From,
    DateTimeOffset To,
    IReadOnlyList<MetricSeries> Series);

/// <summary>One series of a metric.</summary>
/// <param name="Key">The breakdown value with its JSON type; null without a breakdown or for events without
/// the property.</param>
/// <param name="Total">The measure over the whole range.</param>
/// <param name="Points">One point per bucket.</param>
public sealed record MetricSeries(JsonElement? Key, double? Total, IReadOnlyList<MetricPoint> Points);

/// <summary>One bucket of a series.</summary>
/// <param name="T">The bucket's start, local time with its offset.</param>
/// <param name="Value">The measure; null where it has no value.</param>
public sealed record MetricPoint(DateTimeOffset T, double? Value);

/// <summary>An event name with its count (<c>GET /v1/metrics/events</c>).</summary>
/// <param name="Name">The event name.</param>
/// <param name="Count">How many events carry it.</param>
/// <param name="LastSeen">The newest event's timestamp.</param>
public sealed record EventNameSummary(string Name, long Count, DateTimeOffset LastSeen);


/// <summary>One audit entry (<c>GET /v1/audit</c>): who did what to what, from where, and its place in the chain.
/// </summary>
/// <param name="Id">The entry's id, <c>aud_…</c>.</param>
/// <param name="Time">When it happened; for aggregated kinds, the start of the minute it counts.</param>
/// <param name="TenantId">The tenant; null in the hub's own chain.</param>
/// <param name="Actor">A user id, <c>system</c> or <c>anonymous</c>.</param>
/// <param name="ActorKeyId">The key the actor used, if any.</param>
/// <param name="Action">What happened, e.g. <c>key.revoked</c> or <c>auth.login_failed</c>.</param>
/// <param name="Target">What it happened to: a key, user or tenant id, or a permission name.</param>
/// <param name="ClientAddress">The client's address.</param>
/// <param name="UserAgent">The client's user agent.</param>
/// <param name="RequestId">The request's id, as problems carry it.</param>
/// <param name="Outcome"><c>success</c>, <c>failure</c> or <c>denied</c>.</param>
/// <param name="Count">How many occurrences the entry stands for (more than 1 only for aggregated kinds).</param>
/// <param name="Detail">A short note, e.g. <c>role: member -> viewer</c>.</param>
/// <param name="Seq">The entry's position in its chain.</param>
/// <param name="PreviousHash">The hash of the entry before it.</param>
/// <param name="Hash">The entry's own hash (an HMAC the hub alone can compute).</param>
/// <param name="ContinuesFrom">On a retention checkpoint, the hash of the last entry removed.</param>
public sealed record AuditEntry(
    string Id,
    DateTimeOffset Time,
    string? TenantId,
    string Actor,
    string? ActorKeyId,
    string Action,
    string? Target,
    string? ClientAddress,
    string? UserAgent,
    string? RequestId,
    string Outcome,
    long Count,
    string? Detail,
    long Seq,
    string PreviousHash,
    string Hash,
    string? ContinuesFrom);

/// <summary>Filters for <see cref="LyzerHubClient.ListAuditAsync"/>; every one is optional.</summary>
/// <param name="From">Entries at or after this time.</param>
/// <param name="To">Entries before this time.</param>
/// <param name="Action">Only this action, e.g. <c>key.revoked</c>.</param>
/// <param name="Actor">Only entries by this user id or key id.</param>
/// <param name="Target">Only entries about this key, user or tenant id (or permission).</param>
public sealed record AuditFilter(
    DateTimeOffset? From = null,
    DateTimeOffset? To = null,
    string? Action = null,
    string? Actor = null,
    string? Target = null);

/// <summary>The answer to <c>GET /v1/audit/verify</c>.</summary>
/// <param name="Ok">Whether every entry checks out.</param>
/// <param name="Entries">How many entries the chain holds.</param>
/// <param name="FirstBad">The first entry that was changed, moved or follows a gap; null when none.</param>
/// <param name="Head">The newest entry's hash: keep it outside the hub to notice a chain cut short later.</param>
public sealed record AuditVerification(bool Ok, long Entries, string? FirstBad, string Head);
