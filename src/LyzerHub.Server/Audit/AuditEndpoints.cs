using System.Buffers;
using System.Runtime.CompilerServices;
using LyzerHub.Server.Auth;
using LyzerHub.Server.Hosting;
using LyzerHub.Server.Problems;
using LyzerHub.Server.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LyzerHub.Server.Audit;

/// <summary>An audit entry as the API shows it (PRODUCT.md §4.6), chain fields included.</summary>
public sealed record AuditEntryResponse(
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
    string? ContinuesFrom)
{
    public static AuditEntryResponse From(AuditEntry e) => new(e.Id, e.Time, e.TenantId, e.Actor, e.ActorKeyId,
        e.Action, e.Target, e.ClientAddress, e.UserAgent, e.RequestId, e.Outcome, e.Count, e.Detail, e.Seq,
        e.PreviousHash, e.Hash, e.ContinuesFrom);
}

public sealed record AuditVerifyResponse(bool Ok, long Entries, string? FirstBad, string Head);

public static class AuditEndpoints
{
    private const int MaxFilterLength = 300;
    private const int ExportPageSize = 1000;

    /// <summary>
    /// <c>/v1/audit</c> and <c>/v1/audit/verify</c> read the caller's tenant's chain (<c>read:audit</c>);
    /// <c>/v1/audit/hub</c> and <c>/v1/audit/hub/verify</c> the hub's own (<c>admin:hub</c>).
    /// </summary>
    public static IEndpointRouteBuilder MapAudit(this IEndpointRouteBuilder app)
    {
        var tenant = app.MapGroup("/v1/audit").WithTags("Audit").RequireAuthorization(Permissions.ReadAudit);
        tenant.MapGet("/", (HttpContext context, IControlStore store, CancellationToken ct) =>
                ListAsync(context, store, context.User.GetTenantId(), ct))
            .WithSummary("List the tenant's audit entries newest first; Accept: application/x-ndjson exports them");
        tenant.MapGet("/verify", (HttpContext context, AuditVerifier verifier, ILoggerFactory loggers,
                    CancellationToken ct) => VerifyAsync(verifier, context.User.GetTenantId(), loggers, ct))
            .WithSummary("Walk the tenant's audit chain and report the first entry that does not check out");

        var hub = app.MapGroup("/v1/audit/hub").WithTags("Audit").RequireAuthorization(Permissions.AdminHub);
        hub.MapGet("/", (HttpContext context, IControlStore store, CancellationToken ct) =>
                ListAsync(context, store, AuditChains.Hub, ct))
            .WithSummary("List the hub's own audit entries (operator)");
        hub.MapGet("/verify", (AuditVerifier verifier, ILoggerFactory loggers, CancellationToken ct) =>
                VerifyAsync(verifier, AuditChains.Hub, loggers, ct))
            .WithSummary("Verify the hub's own audit chain (operator)");
        return app;
    }

    internal static async Task<Results<Ok<ListResponse<AuditEntryResponse>>,
            NdjsonResult<AuditEntry, AuditEntryResponse>, ProblemHttpResult>>
        ListAsync(HttpContext context, IControlStore store, string chain, CancellationToken cancellationToken)
    {
        if (Paging.TryRead(context, out var limit, out var cursor) is { } pagingProblem) return pagingProblem;
        if (ReadQuery(context, out var query) is { } problem) return problem;

        if (Ndjson.IsAccepted(context.Request))
        {
            return new NdjsonResult<AuditEntry, AuditEntryResponse>(
                ExportAsync(store, chain, query), AuditEntryResponse.From);
        }

        var page = await store.ListAuditAsync(chain, query, limit, cursor, cancellationToken);
        return TypedResults.Ok(new ListResponse<AuditEntryResponse>(
            page.Items.Select(AuditEntryResponse.From).ToArray(), page.NextCursor));
    }

    internal static async Task<Ok<AuditVerifyResponse>> VerifyAsync(
        AuditVerifier verifier, string chain, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var result = await verifier.VerifyAsync(chain, cancellationToken);
        AuditLog.Verified(loggers.CreateLogger(typeof(AuditEndpoints)), chain, result.Ok, result.Entries,
            result.FirstBad);
        return TypedResults.Ok(new AuditVerifyResponse(result.Ok, result.Entries, result.FirstBad, result.Head));
    }

    /// <summary>Every matching entry, newest first, read a page at a time so memory stays at one page.</summary>
    private static async IAsyncEnumerable<AuditEntry> ExportAsync(
        IControlStore store, string chain, AuditQuery query,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string? cursor = null;
        do
        {
            var page = await store.ListAuditAsync(chain, query, ExportPageSize, cursor, cancellationToken);
            foreach (var entry in page.Items) yield return entry;
            cursor = page.NextCursor;
        }
        while (cursor is not null);
    }

    private static ProblemHttpResult? ReadQuery(HttpContext context, out AuditQuery query)
    {
        query = new AuditQuery();
        var parameters = context.Request.Query;
        var errors = new List<FieldError>();
        var from = ReadTime(parameters["from"].FirstOrDefault(), "from", errors);
        var to = ReadTime(parameters["to"].FirstOrDefault(), "to", errors);
        if (from > to) errors.Add(FieldError.ForField("to", "must not be before from"));

        var action = parameters["action"].FirstOrDefault();
        if (action is not null && !AuditActions.IsKnown(action))
            errors.Add(FieldError.ForField("action", $"must be one of {string.Join(", ", AuditActions.All)}"));
        var actor = ReadText(parameters["actor"].FirstOrDefault(), "actor", errors);
        var target = ReadText(parameters["target"].FirstOrDefault(), "target", errors);
        if (errors.Count > 0) return HubProblems.InvalidRequest(context, errors);

        query = new AuditQuery(from, to, action, actor, target);
        return null;
    }

    private static DateTimeOffset? ReadTime(string? text, string field, List<FieldError> errors)
    {
        if (text is null) return null;
        if (Rfc3339.TryParse(text, out var value)) return value;
        errors.Add(FieldError.ForField(field, "must be an RFC 3339 time with an offset"));
        return null;
    }

    private static string? ReadText(string? text, string field, List<FieldError> errors)
    {
        if (text is null || text.Length is > 0 and <= MaxFilterLength) return text;
        errors.Add(FieldError.ForField(field, $"must be 1 to {MaxFilterLength} characters"));
        return null;
    }
}
