using LyzerHub.Server.Audit;

namespace LyzerHub.Server.Storage;

/// <summary>
/// The audit trail (PRODUCT.md §4.6). Every state-changing member of <see cref="IControlStore"/> takes the draft
/// of its entry and appends it in the same transaction as the change, so a change never exists without its
/// entry. An append reads its chain's head inside that transaction, so concurrent appends to one chain are
/// serialized and each entry's hash covers the one before it.
/// </summary>
public partial interface IControlStore
{
    /// <summary>Appends entries (the batched, aggregated kinds) in one transaction, each to its own chain.</summary>
    Task AppendAuditAsync(IReadOnlyCollection<AuditDraft> drafts, CancellationToken cancellationToken);

    /// <summary>
    /// A chain's entries matching <paramref name="query"/>, newest first by chain position; the cursor is the
    /// position of the last entry served, so entries appended while paging do not disturb later pages.
    /// </summary>
    Task<Page<AuditEntry>> ListAuditAsync(
        string chain, AuditQuery query, int limit, string? cursor, CancellationToken cancellationToken);

    /// <summary>Every entry of a chain, oldest first, exactly as stored (for verification).</summary>
    IAsyncEnumerable<AuditEntry> ReadAuditChainAsync(string chain, CancellationToken cancellationToken);

    /// <summary>
    /// Removes, in every chain, the oldest entries recorded before <paramref name="cutoff"/> (an unbroken run from
    /// the chain's start), first appending a checkpoint entry at <paramref name="now"/> that carries the hash of
    /// the last removed entry, so the chain still verifies. Returns how many entries were removed.
    /// </summary>
    Task<int> RemoveAuditBeforeAsync(DateTimeOffset cutoff, DateTimeOffset now, CancellationToken cancellationToken);
}
