using LyzerHub.Server.Audit;
using LyzerHub.Server.Keys;

namespace LyzerHub.Server.Storage;

public partial interface IControlStore
{
    /// <summary>
    /// Gives a key a new secret, in one transaction: the current secret stays valid until
    /// <see cref="KeyRoll.PreviousSecretValidUntil"/>, any older secret still in a grace period ends at
    /// <see cref="KeyRoll.At"/>, and the key's <c>start</c> becomes the new secret's. Null, with nothing changed,
    /// when the tenant has no such key owned by that user or the key is revoked.
    /// </summary>
    Task<KeyRecord?> RollKeyAsync(KeyRoll roll, AuditDraft audit, CancellationToken cancellationToken);

    /// <summary>
    /// Adds request counts and moves <c>last_used_at</c> forward (never back) for each key, in one transaction.
    /// Ids of keys that no longer exist are ignored.
    /// </summary>
    Task RecordKeyUsageAsync(IReadOnlyCollection<KeyUsage> usage, CancellationToken cancellationToken);
}

/// <summary>A roll to apply: which key, whose, the new secret and when the previous one stops working.</summary>
public sealed record KeyRoll(
    string TenantId,
    string KeyId,
    string UserId,
    KeyHash NewSecretHash,
    string NewStart,
    DateTimeOffset At,
    DateTimeOffset PreviousSecretValidUntil);

/// <summary>Requests a key served since the last flush, and the latest of them.</summary>
public sealed record KeyUsage(string KeyId, long Requests, DateTimeOffset LastUsedAt);
