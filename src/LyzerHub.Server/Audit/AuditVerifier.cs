using LyzerHub.Server.Storage;

namespace LyzerHub.Server.Audit;

/// <summary>What <c>GET /v1/audit/verify</c> answers: whether the chain is whole, and where it first is not.</summary>
public sealed record AuditVerification(bool Ok, long Entries, string? FirstBad, string Head);

/// <summary>
/// Walks a chain oldest first and checks each entry: its HMAC under the chain key, its position (one after the
/// previous entry's), and its link (the previous entry's hash). The first entry must start the chain (position 1,
/// the genesis hash) or continue from the hash the latest retention checkpoint carries. Any change to a stored
/// row — content, hash or order — fails one of these checks at that row.
/// </summary>
// Known gap: removing the newest entries leaves a shorter chain that still verifies — only a head recorded outside
// the hub (the answer's "head") shows it; an anchor endpoint that signs the head with a time would make that easy.
public sealed class AuditVerifier(IControlStore store, AuditChainKey key)
{
    public async Task<AuditVerification> VerifyAsync(string chain, CancellationToken cancellationToken)
    {
        long entries = 0;
        string? firstBad = null;
        AuditEntry? first = null;
        AuditEntry? previous = null;
        string? checkpointAnchor = null;
        await foreach (var entry in store.ReadAuditChainAsync(chain, cancellationToken))
        {
            entries++;
            first ??= entry;
            var good = key.IsSealed(entry) && entry.Chain == chain
                && (previous is null || (entry.Seq == previous.Seq + 1 && entry.PreviousHash == previous.Hash));
            if (!good) firstBad ??= entry.Id;
            if (good && entry.Action == AuditActions.Checkpoint) checkpointAnchor = entry.ContinuesFrom;
            previous = entry;
        }

        // The start is judged last because the checkpoint that vouches for it comes later in the chain.
        if (first is not null)
        {
            var anchored = first.Seq == 1
                ? first.PreviousHash == AuditChains.Genesis
                : checkpointAnchor is not null && first.PreviousHash == checkpointAnchor;
            if (!anchored) firstBad = first.Id;
        }

        return new AuditVerification(firstBad is null, entries, firstBad, previous?.Hash ?? AuditChains.Genesis);
    }
}
