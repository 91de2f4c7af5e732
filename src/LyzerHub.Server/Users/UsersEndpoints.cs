using LyzerHub.Server.Auth;
using LyzerHub.Server.Hosting;
using LyzerHub.Server.Problems;
using LyzerHub.Server.Storage;
using LyzerHub.Server.Tenants;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LyzerHub.Server.Users;

public static class UsersEndpoints
{
    /// <summary>Maps <c>/v1/users</c>, <c>POST /v1/auth/password</c> and <c>PATCH /v1/tenant</c>.</summary>
    public static IEndpointRouteBuilder MapUsers(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/users").WithTags("Users").RequireAuthorization(Permissions.ManageUsers);
        group.MapGet("/", ListAsync).WithSummary("List the tenant's users, newest first");
        group.MapPost("/", CreateAsync).Accepts<CreateUserRequest>("application/json")
            .Produces<CreatedUserResponse>(StatusCodes.Status201Created)
            .WithSummary("Create a user; a generated password is returned once");
        group.MapGet("/{id}", GetAsync).WithSummary("Show a user");
        group.MapPatch("/{id}", UpdateAsync).Accepts<UpdateUserRequest>("application/json")
            .WithSummary("Change a user's role");
        group.MapPost("/{id}/offboard", OffboardAsync)
            .WithSummary("Disable a user and revoke every key they hold");

        app.MapPasswordChange();
        app.MapTenantPolicy();
        return app;
    }

    internal static async Task<Results<Ok<ListResponse<UserResponse>>, ProblemHttpResult>> ListAsync(
        HttpContext context, IControlStore store, CancellationToken cancellationToken)
    {
        if (Paging.TryRead(context, out var limit, out var cursor) is { } problem) return problem;

        var page = await store.ListUsersAsync(context.User.GetTenantId(), limit, cursor, cancellationToken);
        return TypedResults.Ok(new ListResponse<UserResponse>(
            page.Items.Select(UserResponse.From).ToArray(), page.NextCursor));
    }

    internal static async Task<Results<Ok<UserResponse>, ProblemHttpResult>> GetAsync(
        string id, HttpContext context, IControlStore store, CancellationToken cancellationToken)
    {
        var user = await store.GetUserAsync(context.User.GetTenantId(), id, cancellationToken);
        return user is null ? HubProblems.NotFound(context, "user") : TypedResults.Ok(UserResponse.From(user));
    }

    internal static async Task<Results<Created<CreatedUserResponse>, ProblemHttpResult>> CreateAsync(
        HttpContext context, UserService users, CancellationToken cancellationToken)
    {
        var (request, problem) = await RequestJson.ReadAsync<CreateUserRequest>(context);
        if (problem is not null) return problem;

        var errors = new List<FieldError>();
        if (ValidateUsername(request!.Username) is { } usernameError) errors.Add(usernameError);
        if (request.Role is null || !Roles.IsKnown(request.Role)) errors.Add(RoleError());
        if (request.Password is { } password && ValidatePassword("password", password) is { } passwordError)
            errors.Add(passwordError);
        if (errors.Count > 0) return HubProblems.InvalidRequest(context, errors);

        if (RefuseGrant(context, request.Role!, currentRole: null) is { } refused) return refused;

        var result = await users.CreateAsync(context.User.GetTenantId(), request.Username!, request.Role!,
            request.Password, Audit.AuditActor.FromRequest(context), cancellationToken);
        if (result is null) return HubProblems.Overloaded(context, "Password hashing is saturated; retry shortly.", 1);
        if (result.User is not { } user)
            return HubProblems.Conflict(context, $"The username '{request.Username}' is taken.");

        context.Response.Headers.CacheControl = "no-store";
        return TypedResults.Created($"/v1/users/{user.Id}", new CreatedUserResponse(user.Id, user.Username,
            user.Role, user.State, user.CreatedAt, result.GeneratedPassword));
    }

    internal static async Task<Results<Ok<UserResponse>, ProblemHttpResult>> UpdateAsync(
        string id, HttpContext context, IControlStore store, UserService users, CancellationToken cancellationToken)
    {
        var (request, problem) = await RequestJson.ReadAsync<UpdateUserRequest>(context);
        if (problem is not null) return problem;
        if (request!.Role is not { } role || !Roles.IsKnown(role))
            return HubProblems.InvalidRequest(context, [RoleError()]);

        var user = await store.GetUserAsync(context.User.GetTenantId(), id, cancellationToken);
        if (user is null) return HubProblems.NotFound(context, "user");
        if (RefuseGrant(context, role, user.Role) is { } refused) return refused;
        if (user.Role == role) return TypedResults.Ok(UserResponse.From(user));
        if (user.IsOperator) return OperatorFixed(context);

        return await users.ChangeRoleAsync(user, role, Audit.AuditActor.FromRequest(context), cancellationToken) switch
        {
            UserChangeOutcome.Changed => TypedResults.Ok(UserResponse.From(user with { Role = role })),
            var outcome => ChangeRefused(context, outcome),
        };
    }

    internal static async Task<Results<Ok<OffboardResponse>, ProblemHttpResult>> OffboardAsync(
        string id, HttpContext context, IControlStore store, UserService users, CancellationToken cancellationToken)
    {
        var user = await store.GetUserAsync(context.User.GetTenantId(), id, cancellationToken);
        if (user is null) return HubProblems.NotFound(context, "user");
        if (!RoleRules.MayManage(CallerRole(context), user.Role)) return RoleTooLow(context, user.Role);
        if (user.IsOperator) return OperatorFixed(context);

        var result = await users.OffboardAsync(user, Audit.AuditActor.FromRequest(context), cancellationToken);
        return result.Outcome == UserChangeOutcome.Changed
            ? TypedResults.Ok(new OffboardResponse(result.KeysRevoked))
            : ChangeRefused(context, result.Outcome);
    }

    /// <summary>Tenant owners' username rules: 1–200 characters, no control characters, no outer spaces.</summary>
    internal static FieldError? ValidateUsername(string? username) =>
        string.IsNullOrWhiteSpace(username) || username.Length > TenantService.MaxUsernameLength
            || username.Any(char.IsControl) || username.Trim() != username
            ? FieldError.ForField("username", $"must be 1 to {TenantService.MaxUsernameLength} characters " +
                "without control characters or outer spaces")
            : null;

    internal static FieldError? ValidatePassword(string field, string password) =>
        password.Length is < PasswordHasher.MinLength or > PasswordHasher.MaxLength
            ? FieldError.ForField(field,
                $"must be {PasswordHasher.MinLength} to {PasswordHasher.MaxLength} characters")
            : null;

    private static ProblemHttpResult? RefuseGrant(HttpContext context, string role, string? currentRole) =>
        RoleRules.RefuseGrant(context.User, role, currentRole) switch
        {
            null => null,
            { Permission: { } permission } refusal => MissingPermission(context, permission, refusal.Detail),
            var refusal => RoleTooLow(context, refusal.Role!),
        };

    private static string CallerRole(HttpContext context) => context.User.FindFirst(HubClaims.Role)?.Value ?? "";

    private static FieldError RoleError() =>
        FieldError.ForField("role", $"must be one of {string.Join(", ", Roles.All)}");

    private static ProblemHttpResult RoleTooLow(HttpContext context, string role) =>
        HubProblems.Create(context, StatusCodes.Status403Forbidden, ProblemCodes.InsufficientRole,
            RoleRules.RoleTooLow(CallerRole(context), role).Detail,
            new Dictionary<string, object?> { ["role"] = role });

    // The same answer as the permission policies give (PermissionDeniedResultHandler), header included.
    private static ProblemHttpResult MissingPermission(HttpContext context, string permission, string detail)
    {
        // Refused inside the handler rather than by a policy: audited like the policies' denials.
        context.RequestServices.GetRequiredService<Audit.AuditRecorder>().RecordPermissionDenied(context, permission);
        context.Response.Headers.WWWAuthenticate =
            $"Bearer realm=\"{KeyAuthenticationHandler.Realm}\", error=\"insufficient_scope\", scope=\"{permission}\"";
        return HubProblems.Create(context, StatusCodes.Status403Forbidden, ProblemCodes.MissingPermission,
            detail,
            new Dictionary<string, object?> { ["permission"] = permission });
    }

    private static ProblemHttpResult OperatorFixed(HttpContext context) =>
        HubProblems.Conflict(context, RoleRules.OperatorFixed);

    private static ProblemHttpResult ChangeRefused(HttpContext context, UserChangeOutcome outcome) =>
        outcome == UserChangeOutcome.NotFound
            ? HubProblems.NotFound(context, "user")
            : HubProblems.Conflict(context, RoleRules.Describe(outcome));
}
