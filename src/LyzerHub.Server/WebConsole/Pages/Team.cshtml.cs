using LyzerHub.Server.Auth;
using LyzerHub.Server.Storage;
using LyzerHub.Server.Users;
using Microsoft.AspNetCore.Mvc;

namespace LyzerHub.Server.WebConsole.Pages;

/// <summary>
/// The tenant's people, for <c>manage:users</c>: add a member, change a role. The rules are the API's own
/// (<see cref="RoleRules"/>, <see cref="UserService"/>): a caller manages only roles up to their own, grants
/// only what they hold, and never demotes the last owner or the hub operator.
/// </summary>
public sealed class TeamModel(IControlStore store, UserService users) : ConsolePage
{
    // Known gap: only the newest 200 members are listed, without paging — a cursor link like the keys page's
    // (ListUsersAsync already pages) would show the rest.
    public const int ListLimit = 200;

    [BindProperty]
    public string? Username { get; set; }

    [BindProperty]
    public string? Role { get; set; }

    [BindProperty]
    public string? Password { get; set; }

    [BindProperty]
    public string? UserId { get; set; }

    public IReadOnlyList<User> Members { get; private set; } = [];

    public bool MoreMembers { get; private set; }

    /// <summary>The user just added and the password the hub generated for them (shown this once), if any.</summary>
    public CreateUserResult? Added { get; private set; }

    public string? Notice { get; private set; }

    /// <summary>Roles the caller may give a user now holding <paramref name="currentRole"/> (null: new user).</summary>
    public IReadOnlyList<string> GrantableRoles(string? currentRole) =>
        Roles.All.Where(r => RoleRules.RefuseGrant(User, r, currentRole) is null).ToArray();

    public bool MayManage(User user) => !user.IsOperator && user.State == UserStates.Active
        && RoleRules.MayManage(Session.User.Role, user.Role);

    public async Task OnGetAsync(CancellationToken cancellationToken) => await LoadAsync(cancellationToken);

    public async Task<IActionResult> OnPostAddAsync(CancellationToken cancellationToken)
    {
        if (UsersEndpoints.ValidateUsername(Username) is { } usernameError) Errors.Add(usernameError);
        if (Role is null || !Roles.IsKnown(Role))
            Errors.Add(Problems.FieldError.ForField("role", $"must be one of {string.Join(", ", Roles.All)}"));
        if (string.IsNullOrEmpty(Password)) Password = null;
        if (Password is not null && UsersEndpoints.ValidatePassword("password", Password) is { } passwordError)
            Errors.Add(passwordError);
        if (Errors.Count == 0 && RoleRules.RefuseGrant(User, Role!, currentRole: null) is { } refusal)
            Refusal = refusal.Detail;

        if (Errors.Count == 0 && Refusal is null)
        {
            var result = await users.CreateAsync(Session.Tenant.Id, Username!, Role!, Password, Actor,
                cancellationToken);
            if (result is null) Refusal = "The hub is busy hashing passwords; try again in a moment.";
            else if (result.User is null) Refusal = $"The username '{Username}' is taken.";
            else Added = result;
        }

        Password = null;
        if (Added is not null) Username = null;
        else Response.StatusCode = StatusCodes.Status400BadRequest;
        await LoadAsync(cancellationToken);
        return Page();
    }

    public async Task<IActionResult> OnPostRoleAsync(CancellationToken cancellationToken)
    {
        var user = UserId is null ? null : await store.GetUserAsync(Session.Tenant.Id, UserId, cancellationToken);
        if (user is null) return NotFound();

        if (Role is null || !Roles.IsKnown(Role))
            Errors.Add(Problems.FieldError.ForField("role", $"must be one of {string.Join(", ", Roles.All)}"));
        else if (RoleRules.RefuseGrant(User, Role, user.Role) is { } refusal) Refusal = refusal.Detail;
        else if (user.Role == Role) Notice = $"{user.Username} is already {Role}.";
        else if (user.IsOperator) Refusal = RoleRules.OperatorFixed;
        else if (await users.ChangeRoleAsync(user, Role, Actor, cancellationToken) is var outcome
                 && outcome != UserChangeOutcome.Changed)
            Refusal = RoleRules.Describe(outcome);
        else Notice = $"{user.Username} is now {Role}.";

        if (Notice is null) Response.StatusCode = StatusCodes.Status400BadRequest;
        await LoadAsync(cancellationToken);
        return Page();
    }

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        var page = await store.ListUsersAsync(Session.Tenant.Id, ListLimit, null, cancellationToken);
        Members = page.Items;
        MoreMembers = page.NextCursor is not null;
    }
}
