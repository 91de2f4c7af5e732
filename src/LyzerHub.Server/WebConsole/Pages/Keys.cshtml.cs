using LyzerHub.Server.Keys;
using LyzerHub.Server.Problems;
using LyzerHub.Server.Storage;
using Microsoft.AspNetCore.Mvc;

namespace LyzerHub.Server.WebConsole.Pages;

/// <summary>One choice of the expiry list: seconds, or null for a key that never expires.</summary>
public sealed record ExpiryChoice(string Value, string Label, long? Seconds);

/// <summary>
/// The signed-in user's keys: list, create (shown once), and links to revoke and roll. Creation goes through
/// <see cref="KeyRules"/> and <see cref="KeyService"/>, the very checks of <c>POST /v1/keys</c>: a session
/// counts as a login (its password was proven at sign-in) and holds what the user's role allows now.
/// </summary>
public sealed partial class KeysModel(IControlStore store, KeyService keys, TimeProvider time,
    ILogger<KeysModel> logger) : ConsolePage
{
    public const string NeverExpires = "never";

    private static readonly long[] s_lifetimes = [86_400, 7 * 86_400, 30 * 86_400, 90 * 86_400, 365 * 86_400];

    [BindProperty]
    public string? Name { get; set; }

    [BindProperty]
    public List<string> Permissions { get; set; } = [];

    [BindProperty]
    public string? Expiry { get; set; }

    [BindProperty(SupportsGet = true)]
    public bool All { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? Cursor { get; set; }

    public IReadOnlyList<KeyRecord> List { get; private set; } = [];

    public string? NextCursor { get; private set; }

    /// <summary>The key just created; its plain secret is on this one answer and nowhere else.</summary>
    public IssuedKey? Created { get; private set; }

    public IReadOnlyList<ExpiryChoice> Expiries { get; private set; } = [];

    public string DefaultExpiry { get; private set; } = "";

    public TenantPolicy Policy => Session.Tenant.Policy;

    /// <summary>A command that proves the key works, run from where the hub was started.</summary>
    public string CurlLine(string hub, string key) =>
        $"curl --cacert data/tls/hub.crt {hub}/v1/auth/whoami -H \"Authorization: Bearer {key}\"";

    public string StatusOf(KeyRecord key) => keys.StatusOf(key, Policy);

    public DateTimeOffset? ExpiresAt(KeyRecord key) => KeyService.EffectiveExpiry(key, Policy);

    public async Task OnGetAsync(CancellationToken cancellationToken) => await LoadAsync(cancellationToken);

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        var policy = Policy;
        KeyRules.CheckName(Name, Errors);
        KeyRules.CheckPermissions(Permissions, Errors);
        var choice = Choices(policy).FirstOrDefault(c => c.Value == Expiry);
        if (choice is null) Errors.Add(FieldError.ForField("expires_in_seconds", "choose an expiry from the list"));
        var lifetime = KeyRules.CheckLifetime(choice?.Seconds, choice is { Seconds: null }, policy, Errors);

        if (Errors.Count == 0 && KeyRules.FirstBeyond(Permissions, SessionPermissions) is { } beyond)
            Refusal = $"Your role '{Session.User.Role}' does not allow the permission '{beyond}'.";
        if (Errors.Count > 0 || Refusal is not null)
        {
            Response.StatusCode = StatusCodes.Status400BadRequest;
            await LoadAsync(cancellationToken);
            return Page();
        }

        Created = await keys.IssueAsync(Session.User, Name!, Permissions, lifetime, isLoginKey: false, Actor,
            cancellationToken);
        Log.KeyCreated(logger, Created.Record.Id, Session.User.Id);
        Name = null;
        Permissions = [];
        await LoadAsync(cancellationToken);
        return Page();
    }

    /// <summary>The expiries the tenant's policy allows; a maximum under 30 days is offered as itself.</summary>
    public static IReadOnlyList<ExpiryChoice> Choices(TenantPolicy policy)
    {
        var choices = s_lifetimes.Where(s => s <= policy.MaxKeyLifetimeSeconds)
            .Select(s => new ExpiryChoice(Seconds(s), Days(s), s)).ToList();
        var fallback = KeyRules.DefaultLifetime(policy);
        if (!s_lifetimes.Contains(fallback))
        {
            choices.Insert(0,
                new ExpiryChoice(Seconds(fallback), $"{Days(fallback)} (the tenant's maximum)", fallback));
        }

        if (policy.AllowNonExpiringKeys) choices.Add(new ExpiryChoice(NeverExpires, "Never", null));
        return choices;
    }

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        Expiries = Choices(Policy);
        DefaultExpiry = Seconds(KeyRules.DefaultLifetime(Policy));
        Expiry ??= DefaultExpiry;
        var page = await store.ListKeysAsync(Session.Tenant.Id, Session.User.Id, All, time.GetUtcNow(), 100,
            Cursor, cancellationToken);
        List = page.Items;
        NextCursor = page.NextCursor;
    }

    private static string Seconds(long seconds) =>
        seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static string Days(long seconds) => seconds % 86_400 == 0
        ? seconds == 86_400 ? "1 day" : $"{seconds / 86_400} days"
        : $"{seconds / 3600.0:0.#} hours";

    private static partial class Log
    {
        [LoggerMessage(EventId = 9010, EventName = "ConsoleKeyCreated", Level = LogLevel.Information,
            Message = "Key {KeyId} was created in the console by user {UserId}")]
        public static partial void KeyCreated(ILogger logger, string keyId, string userId);
    }
}
