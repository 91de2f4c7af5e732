using LyzerHub.Server.Auth;
using LyzerHub.Server.Keys;
using LyzerHub.Server.Storage;
using Microsoft.AspNetCore.Mvc;

namespace LyzerHub.Server.WebConsole.Pages;

/// <summary>
/// Revoking asks first (a page of its own, so it works without script), then revokes through
/// <see cref="KeyService"/>: the key cache forgets it, so the very next API request with it is a 401.
/// Visibility is the API's: your own keys, or any of the tenant's with <c>manage:keys</c>.
/// </summary>
public sealed partial class KeyRevokeModel(IControlStore store, KeyService keys, ILogger<KeyRevokeModel> logger)
    : ConsolePage
{
    public KeyRecord? Key { get; private set; }

    public bool Revoked { get; private set; }

    public async Task<IActionResult> OnGetAsync(string id, CancellationToken cancellationToken)
    {
        Key = await FindVisibleAsync(id, cancellationToken);
        return Key is null ? NotFound() : Page();
    }

    public async Task<IActionResult> OnPostAsync(string id, CancellationToken cancellationToken)
    {
        Key = await FindVisibleAsync(id, cancellationToken);
        if (Key is null) return NotFound();

        await keys.RevokeAsync(Key.TenantId, Key.Id, Actor, cancellationToken);
        Log.KeyRevoked(logger, Key.Id, Session.User.Id);
        Revoked = true;
        return Page();
    }

    private async Task<KeyRecord?> FindVisibleAsync(string id, CancellationToken cancellationToken)
    {
        var key = await store.GetKeyAsync(Session.Tenant.Id, id, cancellationToken);
        if (key is null) return null;
        return key.UserId == Session.User.Id || User.HasPermission(Permissions.ManageKeys) ? key : null;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 9011, EventName = "ConsoleKeyRevoked", Level = LogLevel.Information,
            Message = "Key {KeyId} was revoked in the console by user {UserId}")]
        public static partial void KeyRevoked(ILogger logger, string keyId, string userId);
    }
}
