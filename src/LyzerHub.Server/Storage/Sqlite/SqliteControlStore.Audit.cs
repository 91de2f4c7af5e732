using System.Data.Common;
using System.Globalization;
using System.Runtime.CompilerServices;
using LyzerHub.Server.Audit;
using Microsoft.Data.Sqlite;

namespace LyzerHub.Server.Storage.Sqlite;

// The audit trail. Every append runs inside a BEGIN IMMEDIATE transaction (Microsoft.Data.Sqlite's default), so
// the chain head it reads cannot move before its insert: appends to a chain are serialized by the write lock.
public sealed partial class SqliteControlStore
{
    private const string AuditColumns =
        "a.id, a.chain, a.seq, a.time, a.tenant_id, a.actor, a.actor_key_id, a.action, a.target, a.client_address, " +
        "a.user_agent, a.request_id, a.outcome, a.count, a.detail, a.continues_from, a.previous_hash, a.hash";

    public async Task AppendAuditAsync(IReadOnlyCollection<AuditDraft> drafts, CancellationToken cancellationToken)
    {
        if (drafts.Count == 0) return;

        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        foreach (var draft in drafts) await AppendAuditAsync(connection, draft, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<Page<AuditEntry>> ListAuditAsync(
        string chain, AuditQuery query, int limit, string? cursor, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, $"""
            SELECT {AuditColumns} FROM audit_entries a
            WHERE a.chain = $chain
              AND ($from IS NULL OR a.time >= $from)
              AND ($to IS NULL OR a.time < $to)
              AND ($action IS NULL OR a.action = $action)
              AND ($actor IS NULL OR a.actor = $actor OR a.actor_key_id = $actor)
              AND ($target IS NULL OR a.target = $target)
              AND ($cursor_ms IS NULL OR a.seq < $cursor_ms)
            ORDER BY a.seq DESC LIMIT $limit
            """);
        command.Parameters.AddWithValue("$chain", chain);
        command.Parameters.AddWithValue("$from", ToDb(query.From));
        command.Parameters.AddWithValue("$to", ToDb(query.To));
        command.Parameters.AddWithValue("$action", (object?)query.Action ?? DBNull.Value);
        command.Parameters.AddWithValue("$actor", (object?)query.Actor ?? DBNull.Value);
        command.Parameters.AddWithValue("$target", (object?)query.Target ?? DBNull.Value);
        // The list cursor's number is the chain position here: unique within a chain, unlike a time.
        AddPaging(command, limit, cursor);
        var items = new List<AuditEntry>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) items.Add(ReadAuditEntry(reader));
        return ToPage(items, limit, e => new ListCursor(e.Seq, e.Id));
    }

    public async IAsyncEnumerable<AuditEntry> ReadAuditChainAsync(
        string chain, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection,
            $"SELECT {AuditColumns} FROM audit_entries a WHERE a.chain = $chain ORDER BY a.seq");
        command.Parameters.AddWithValue("$chain", chain);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) yield return ReadAuditEntry(reader);
    }

    public async Task<int> RemoveAuditBeforeAsync(
        DateTimeOffset cutoff, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        var chains = new List<string>();
        await using (var find = Command(connection,
            "SELECT DISTINCT chain FROM audit_entries WHERE time < $cutoff ORDER BY chain"))
        {
            find.Parameters.AddWithValue("$cutoff", cutoff.ToUnixTimeMilliseconds());
            await using var reader = await find.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken)) chains.Add(reader.GetString(0));
        }

        var removed = 0;
        foreach (var chain in chains)
        {
            // Only an unbroken run from the start may go: the chain must stay one contiguous sequence. An aggregated
            // entry dated a minute back can sit after a newer one, so "older than" alone would punch holes.
            long? lastRemoved;
            string? lastHash;
            await using (var edge = Command(connection, """
                SELECT a.seq, a.hash FROM audit_entries a
                WHERE a.chain = $chain
                  AND a.seq < COALESCE((SELECT MIN(seq) FROM audit_entries
                                        WHERE chain = $chain AND time >= $cutoff), 9223372036854775807)
                ORDER BY a.seq DESC LIMIT 1
                """))
            {
                edge.Parameters.AddWithValue("$chain", chain);
                edge.Parameters.AddWithValue("$cutoff", cutoff.ToUnixTimeMilliseconds());
                await using var reader = await edge.ExecuteReaderAsync(cancellationToken);
                if (!await reader.ReadAsync(cancellationToken)) continue;
                (lastRemoved, lastHash) = (reader.GetInt64(0), reader.GetString(1));
            }

            var checkpoint = new AuditDraft(now, chain == AuditChains.Hub ? null : chain, AuditActor.SystemActor,
                null, AuditActions.Checkpoint, null, null, null, null, AuditOutcomes.Success,
                Detail: string.Create(CultureInfo.InvariantCulture,
                    $"removed the entries up to #{lastRemoved}, recorded before {cutoff:O}"));
            await AppendAuditAsync(connection, checkpoint, cancellationToken, continuesFrom: lastHash);

            await using var delete = Command(connection,
                "DELETE FROM audit_entries WHERE chain = $chain AND seq <= $seq");
            delete.Parameters.AddWithValue("$chain", chain);
            delete.Parameters.AddWithValue("$seq", lastRemoved);
            removed += await delete.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return removed;
    }

    private static async Task CreateAuditTableAsync(SqliteConnection connection, CancellationToken ct) =>
        await ExecuteAsync(connection, """
            -- Clustered by (chain, seq): an append writes at the end of its chain's run of pages, and the head, a
            -- page of a list and a verification walk are each one range of that key. The random id is unique by
            -- construction (119 bits) and only ever shown, so it gets no index of its own to scatter writes over.
            CREATE TABLE IF NOT EXISTS audit_entries (
                chain TEXT NOT NULL,
                seq INTEGER NOT NULL,
                id TEXT NOT NULL,
                time INTEGER NOT NULL,
                tenant_id TEXT,
                actor TEXT NOT NULL,
                actor_key_id TEXT,
                action TEXT NOT NULL,
                target TEXT,
                client_address TEXT,
                user_agent TEXT,
                request_id TEXT,
                outcome TEXT NOT NULL,
                count INTEGER NOT NULL,
                detail TEXT,
                continues_from TEXT,
                previous_hash TEXT NOT NULL,
                hash TEXT NOT NULL,
                PRIMARY KEY (chain, seq)) WITHOUT ROWID;
            """, ct);

    /// <summary>
    /// Appends one entry after its chain's head, inside the caller's transaction. The head is read here, under the
    /// write lock the transaction already holds, so no other append can slip between the read and the insert.
    /// </summary>
    private async Task AppendAuditAsync(
        SqliteConnection connection, AuditDraft draft, CancellationToken ct, string? continuesFrom = null)
    {
        var chain = AuditChains.Of(draft.TenantId);
        long seq = 1;
        var previous = AuditChains.Genesis;
        await using (var head = Command(connection,
            "SELECT seq, hash FROM audit_entries WHERE chain = $chain ORDER BY seq DESC LIMIT 1"))
        {
            head.Parameters.AddWithValue("$chain", chain);
            await using var reader = await head.ExecuteReaderAsync(ct);
            if (await reader.ReadAsync(ct)) (seq, previous) = (reader.GetInt64(0) + 1, reader.GetString(1));
        }

        var unsealed = new AuditEntry(Ids.New("aud_"), chain, seq, draft.At, draft.TenantId, draft.Actor,
            draft.ActorKeyId, draft.Action, draft.Target, draft.ClientAddress, draft.UserAgent, draft.RequestId,
            draft.Outcome, draft.Count, draft.Detail, continuesFrom, previous, Hash: "");
        var entry = unsealed with { Hash = _auditKey.Seal(unsealed) };

        await using var insert = Command(connection, """
            INSERT INTO audit_entries (id, chain, seq, time, tenant_id, actor, actor_key_id, action, target,
                                       client_address, user_agent, request_id, outcome, count, detail, continues_from,
                                       previous_hash, hash)
            VALUES ($id, $chain, $seq, $time, $tenant, $actor, $actor_key, $action, $target, $address, $agent,
                    $request, $outcome, $count, $detail, $continues, $previous, $hash)
            """);
        var p = insert.Parameters;
        p.AddWithValue("$id", entry.Id);
        p.AddWithValue("$chain", entry.Chain);
        p.AddWithValue("$seq", entry.Seq);
        p.AddWithValue("$time", entry.Time.ToUnixTimeMilliseconds());
        p.AddWithValue("$tenant", (object?)entry.TenantId ?? DBNull.Value);
        p.AddWithValue("$actor", entry.Actor);
        p.AddWithValue("$actor_key", (object?)entry.ActorKeyId ?? DBNull.Value);
        p.AddWithValue("$action", entry.Action);
        p.AddWithValue("$target", (object?)entry.Target ?? DBNull.Value);
        p.AddWithValue("$address", (object?)entry.ClientAddress ?? DBNull.Value);
        p.AddWithValue("$agent", (object?)entry.UserAgent ?? DBNull.Value);
        p.AddWithValue("$request", (object?)entry.RequestId ?? DBNull.Value);
        p.AddWithValue("$outcome", entry.Outcome);
        p.AddWithValue("$count", entry.Count);
        p.AddWithValue("$detail", (object?)entry.Detail ?? DBNull.Value);
        p.AddWithValue("$continues", (object?)entry.ContinuesFrom ?? DBNull.Value);
        p.AddWithValue("$previous", entry.PreviousHash);
        p.AddWithValue("$hash", entry.Hash);
        await insert.ExecuteNonQueryAsync(ct);
    }

    private static AuditEntry ReadAuditEntry(DbDataReader reader) => new(
        reader.GetString(0),
        reader.GetString(1),
        reader.GetInt64(2),
        DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3)),
        NullableString(reader, 4),
        reader.GetString(5),
        NullableString(reader, 6),
        reader.GetString(7),
        NullableString(reader, 8),
        NullableString(reader, 9),
        NullableString(reader, 10),
        NullableString(reader, 11),
        reader.GetString(12),
        reader.GetInt64(13),
        NullableString(reader, 14),
        NullableString(reader, 15),
        reader.GetString(16),
        reader.GetString(17));

    private static string? NullableString(DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}
