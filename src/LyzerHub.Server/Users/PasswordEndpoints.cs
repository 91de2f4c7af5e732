using LyzerHub.Server.Auth;
using LyzerHub.Server.Hosting;
using LyzerHub.Server.Problems;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LyzerHub.Server.Users;

public static class PasswordEndpoints
{
    /// <summary>Maps <c>POST /v1/auth/password</c> beside the other auth endpoints, kept here with the users.</summary>
    public static IEndpointRouteBuilder MapPasswordChange(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/auth/password", ChangeAsync).WithTags("Auth").RequireAuthorization()
            .Accepts<ChangePasswordRequest>("application/json")
            .Produces<ChangePasswordResponse>()
            .WithSummary("Change your password with a login key; your other login keys are revoked");
        return app;
    }

    internal static async Task<Results<Ok<ChangePasswordResponse>, ProblemHttpResult>> ChangeAsync(
        HttpContext context, UserService users, CancellationToken cancellationToken)
    {
        // A named key may live for months in a CI secret; only a key minted by proving the password may change it.
        if (!context.User.HasClaim(HubClaims.LoginKey, "true"))
        {
            return HubProblems.Create(context, StatusCodes.Status403Forbidden, ProblemCodes.LoginKeyRequired,
                "Changing a password needs a login key (POST /v1/auth/key), not a named key.");
        }

        var (request, problem) = await RequestJson.ReadAsync<ChangePasswordRequest>(context);
        if (problem is not null) return problem;

        var errors = new List<FieldError>();
        if (string.IsNullOrEmpty(request!.CurrentPassword))
            errors.Add(FieldError.ForField("current_password", "is required"));
        if (request.NewPassword is null) errors.Add(FieldError.ForField("new_password", "is required"));
        else if (UsersEndpoints.ValidatePassword("new_password", request.NewPassword) is { } error) errors.Add(error);
        if (errors.Count > 0) return HubProblems.InvalidRequest(context, errors);

        // Known gap: wrong current passwords are not throttled like logins, so a stolen login key may guess until it
        // expires — counting them in the login throttle would close it.
        var (outcome, revoked) = await users.ChangePasswordAsync(context.User.GetTenantId(),
            context.User.GetUserId(), context.User.GetKeyId(), request.CurrentPassword!, request.NewPassword!,
            Audit.AuditActor.FromRequest(context), cancellationToken);
        return outcome switch
        {
            PasswordChangeOutcome.Changed => TypedResults.Ok(new ChangePasswordResponse(revoked)),
            PasswordChangeOutcome.Overloaded =>
                HubProblems.Overloaded(context, "Password hashing is saturated; retry shortly.", 1),
            // A wrong current password is the caller's input error, not a bad key: a 401 would make clients drop
            // a key that is still good.
            PasswordChangeOutcome.WrongPassword =>
                HubProblems.InvalidField(context, "current_password", "is not the user's current password"),
            _ => HubProblems.NotFound(context, "user"),
        };
    }
}
