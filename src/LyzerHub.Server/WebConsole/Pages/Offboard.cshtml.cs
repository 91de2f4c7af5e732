using LyzerHub.Server.Storage;
using LyzerHub.Server.Users;
using Microsoft.AspNetCore.Mvc;

namespace LyzerHub.Server.WebConsole.Pages;

/// <summary>
/// Offboarding asks first, saying how many keys it will revoke, then runs <see cref="UserService.OffboardAsync"/>:
/// the user is disabled, every key they hold revoked, their console sessions ended, in one store transaction.
/// </summary>
public sealed class OffboardModel(IControlStore store, UserService users, TimeProvider time) : ConsolePage
{
    public User? Member { get; private set; }

    /// <summary>Keys not yet revoked (expired ones included): what offboarding will revoke.</summary>
    public int KeysToRevoke { get; private set; }

    public OffboardResult? Result { get; private set; }

    public async Task<IActionResult> OnGetAsync(string id, CancellationToken cancellationToken)
    {
        if (await LoadAsync(id, cancellationToken) is { } missing) return missing;
        KeysToRevoke = await CountKeysToRevokeAsync(cancellationToken);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(string id, CancellationToken cancellationToken)
    {
        if (await LoadAsync(id, cancellationToken) is { } missing) return missing;
        if (Refusal is not null)
        {
            Response.StatusCode = StatusCodes.Status403Forbidden;
            return Page();
        }

        Result = await users.OffboardAsync(Member!, Actor, cancellationToken);
        if (Result.Outcome != UserChangeOutcome.Changed)
        {
            Refusal = RoleRules.Describe(Result.Outcome);
            Response.StatusCode = StatusCodes.Status409Conflict;
        }

        return Page();
    }

    private async Task<IActionResult?> LoadAsync(string id, CancellationToken cancellationToken)
    {
        Member = await store.GetUserAsync(Session.Tenant.Id, id, cancellationToken);
        if (Member is null) return NotFound();

        if (!RoleRules.MayManage(Session.User.Role, Member.Role))
            Refusal = RoleRules.RoleTooLow(Session.User.Role, Member.Role).Detail;
        else if (Member.IsOperator) Refusal = RoleRules.OperatorFixed;
        return null;
    }

    /// <summary>
    /// Counted page by page for the confirmation, which must name the number the offboarding will really revoke;
    /// the post answers with the number it did revoke, so only the confirmation pays for this.
    /// </summary>
    private async Task<int> CountKeysToRevokeAsync(CancellationToken cancellationToken)
    {
        string? cursor = null;
        var count = 0;
        do
        {
            var page = await store.ListKeysAsync(Session.Tenant.Id, Member!.Id, includeInactive: true,
                time.GetUtcNow(), 1000, cursor, cancellationToken);
            count += page.Items.Count(k => k.RevokedAt is null);
            cursor = page.NextCursor;
        }
        while (cursor is not null);

        return count;
    }
}
