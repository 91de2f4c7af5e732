using System.Globalization;
using LyzerHub.Server.Audit;
using LyzerHub.Server.Problems;
using LyzerHub.Server.Storage;
using Microsoft.AspNetCore.Mvc;

namespace LyzerHub.Server.WebConsole.Pages;

/// <summary>
/// The tenant's audit trail, for <c>read:audit</c>: the entries of <c>GET /v1/audit</c> with its filters, newest
/// first, and the chain's verification as <c>GET /v1/audit/verify</c> reports it (the same
/// <see cref="AuditVerifier"/>).
/// </summary>
public sealed class AuditModel(IControlStore store, AuditVerifier verifier) : ConsolePage
{
    public const int PageSize = 50;
    public const int MaxFilterLength = 300;

    [BindProperty(SupportsGet = true)]
    public string? From { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? To { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? Action { get; set; }

    /// <summary>The actor filter (a user id, system, anonymous); not <see cref="ConsolePage.Actor"/>.</summary>
    [BindProperty(SupportsGet = true, Name = "Actor")]
    public string? ActorFilter { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? Target { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? Cursor { get; set; }

    public IReadOnlyList<AuditEntry> Entries { get; private set; } = [];

    public string? NextCursor { get; private set; }

    public AuditVerification? Verification { get; private set; }

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        var chain = AuditChains.Of(Session.Tenant.Id);
        // Known gap: this walks the whole chain (an HMAC per entry) on every view, fine for thousands of entries
        // and slow for millions — a verdict cached up to the last verified position, extended per view, fixes it.
        Verification = await verifier.VerifyAsync(chain, cancellationToken);

        // Dates are whole UTC days, the "to" day included; the store's range is [from, to).
        var from = Day(From, "from", 0);
        var to = Day(To, "to", 1);
        if (string.IsNullOrWhiteSpace(Action)) Action = null;
        else if (!AuditActions.IsKnown(Action))
            Errors.Add(FieldError.ForField("action", $"must be one of {string.Join(", ", AuditActions.All)}"));
        ActorFilter = Text(ActorFilter, "actor");
        Target = Text(Target, "target");
        if (Errors.Count > 0)
        {
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        var page = await store.ListAuditAsync(chain, new AuditQuery(from, to, Action, ActorFilter, Target), PageSize,
            Cursor, cancellationToken);
        Entries = page.Items;
        NextCursor = page.NextCursor;
    }

    /// <summary>The address of the next page: these filters, the next cursor.</summary>
    public string NextPageUrl() => QueryString.Create(new Dictionary<string, string?>
    {
        ["From"] = From, ["To"] = To, ["Action"] = Action, ["Actor"] = ActorFilter, ["Target"] = Target,
        ["Cursor"] = NextCursor,
    }.Where(p => !string.IsNullOrEmpty(p.Value))).ToUriComponent();

    private DateTimeOffset? Day(string? text, string field, int addDays)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None,
                out var day))
            return new DateTimeOffset(day.AddDays(addDays).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        Errors.Add(FieldError.ForField(field, "must be a date (YYYY-MM-DD)"));
        return null;
    }

    private string? Text(string? text, string field)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        if (text.Length <= MaxFilterLength) return text.Trim();
        Errors.Add(FieldError.ForField(field, $"must be 1 to {MaxFilterLength} characters"));
        return null;
    }
}
