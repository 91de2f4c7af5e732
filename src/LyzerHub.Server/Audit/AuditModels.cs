namespace LyzerHub.Server.Audit;

/// <summary>
/// An audit entry before the store gives it its place in a chain. <see cref="TenantId"/> picks the chain: the
/// tenant's own, or the hub's when null. <see cref="Actor"/> is a user id, <c>system</c> or <c>anonymous</c>;
/// <see cref="ActorKeyId"/> the key it acted with. Nothing here is ever a secret.
/// </summary>
public sealed record AuditDraft(
    DateTimeOffset At,
    string? TenantId,
    string Actor,
    string? ActorKeyId,
    string Action,
    string? Target,
    string? ClientAddress,
    string? UserAgent,
    string? RequestId,
    string Outcome,
    long Count = 1,
    string? Detail = null);

/// <summary>
/// A stored entry: the draft's content plus the chain fields. <see cref="Hash"/> is the HMAC of everything else
/// (see <see cref="AuditChainKey"/>); <see cref="ContinuesFrom"/> is set on retention checkpoints only.
/// </summary>
public sealed record AuditEntry(
    string Id,
    string Chain,
    long Seq,
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
    string? ContinuesFrom,
    string PreviousHash,
    string Hash);

/// <summary>Filters of <c>GET /v1/audit</c>: time (from inclusive, to exclusive), action, actor, target.</summary>
public sealed record AuditQuery(
    DateTimeOffset? From = null,
    DateTimeOffset? To = null,
    string? Action = null,
    string? Actor = null,
    string? Target = null);

public static class AuditChains
{
    /// <summary>The chain of events that belong to no tenant, read with <c>admin:hub</c>.</summary>
    public const string Hub = "hub";

    /// <summary>The previous hash of a chain's very first entry.</summary>
    public static readonly string Genesis = new('0', 64);

    public static string Of(string? tenantId) => tenantId ?? Hub;
}
