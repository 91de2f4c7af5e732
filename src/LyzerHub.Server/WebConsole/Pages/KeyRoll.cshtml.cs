using LyzerHub.Server.Keys;
using LyzerHub.Server.Storage;
using Microsoft.AspNetCore.Mvc;

namespace LyzerHub.Server.WebConsole.Pages;

/// <summary>One choice of the grace list: how long the old secret keeps working after the roll.</summary>
public sealed record GraceChoice(long Seconds, string Label);

/// <summary>
/// Rolling gives the key a new secret, shown once, as <c>POST /v1/keys/{id}/roll</c> does and with its rules:
/// only the key's owner may roll it (another user's key is not found), and only an active key.
/// </summary>
public sealed partial class KeyRollModel(IControlStore store, KeyService keys, ILogger<KeyRollModel> logger)
    : ConsolePage
{
    public static readonly IReadOnlyList<GraceChoice> Graces =
    [
        new(0, "No grace: the old secret stops now"), new(3600, "1 hour"), new(86_400, "1 day"),
        new(KeysEndpoints.MaxGraceSeconds, "7 days"),
    ];

    [BindProperty]
    public long Grace { get; set; }

    public KeyRecord? Key { get; private set; }

    public RolledKey? Rolled { get; private set; }

    public async Task<IActionResult> OnGetAsync(string id, CancellationToken cancellationToken)
    {
        Key = await FindOwnAsync(id, cancellationToken);
        if (Key is null) return NotFound();
        if (keys.StatusOf(Key, Session.Tenant.Policy) != KeyStatuses.Active)
            Refusal = $"The key is {keys.StatusOf(Key, Session.Tenant.Policy)}; only an active key can be rolled.";
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(string id, CancellationToken cancellationToken)
    {
        Key = await FindOwnAsync(id, cancellationToken);
        if (Key is null) return NotFound();

        var status = keys.StatusOf(Key, Session.Tenant.Policy);
        if (Graces.All(g => g.Seconds != Grace)) Refusal = "Choose a grace period from the list.";
        else if (status != KeyStatuses.Active) Refusal = $"The key is {status}; only an active key can be rolled.";
        else Rolled = await keys.RollAsync(Key, TimeSpan.FromSeconds(Grace), Actor, cancellationToken);

        if (Rolled is null)
        {
            Refusal ??= "The key was revoked meanwhile; only an active key can be rolled.";
            Response.StatusCode = StatusCodes.Status409Conflict;
            return Page();
        }

        Log.KeyRolled(logger, Key.Id, Session.User.Id);
        return Page();
    }

    private async Task<KeyRecord?> FindOwnAsync(string id, CancellationToken cancellationToken)
    {
        var key = await store.GetKeyAsync(Session.Tenant.Id, id, cancellationToken);
        return key?.UserId == Session.User.Id ? key : null;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 9012, EventName = "ConsoleKeyRolled", Level = LogLevel.Information,
            Message = "Key {KeyId} was rolled in the console by user {UserId}")]
        public static partial void KeyRolled(ILogger logger, string keyId, string userId);
    }
}
