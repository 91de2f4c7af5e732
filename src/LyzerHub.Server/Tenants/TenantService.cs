using System.Text.RegularExpressions;
using LyzerHub.Server.Audit;
using LyzerHub.Server.Auth;
using LyzerHub.Server.Problems;
using LyzerHub.Server.Storage;

namespace LyzerHub.Server.Tenants;

public sealed record NewTenant(Tenant Tenant, User Owner, string? GeneratedPassword);

/// <summary>Creates tenants with their owner: shared by the bootstrap and by <c>POST /v1/tenants</c>.</summary>
public sealed partial class TenantService(IControlStore store, PasswordHasher hasher, TimeProvider time)
{
    public const int MaxUsernameLength = 200;
    public const int MaxNameLength = 200;

    public static List<FieldError> Validate(string? slug, string? name, string? username, string? password)
    {
        var errors = new List<FieldError>();
        if (slug is null || !SlugPattern().IsMatch(slug))
            errors.Add(FieldError.ForField("slug", "must be 2 to 40 characters of a-z, 0-9 and '-'"));
        if (name is not null && (name.Length == 0 || name.Length > MaxNameLength))
            errors.Add(FieldError.ForField("name", $"must be 1 to {MaxNameLength} characters"));
        if (string.IsNullOrWhiteSpace(username) || username.Length > MaxUsernameLength
            || username.Any(char.IsControl) || username.Trim() != username)
        {
            errors.Add(FieldError.ForField("owner.username",
                $"must be 1 to {MaxUsernameLength} characters without control characters or outer spaces"));
        }

        if (password is not null && (password.Length < PasswordHasher.MinLength
                || password.Length > PasswordHasher.MaxLength))
        {
            errors.Add(FieldError.ForField("owner.password",
                $"must be {PasswordHasher.MinLength} to {PasswordHasher.MaxLength} characters"));
        }

        return errors;
    }

    /// <summary>
    /// Creates the tenant and its owner, whose password is <paramref name="password"/> or, when null, a generated
    /// one returned in <see cref="NewTenant.GeneratedPassword"/>. Null when no hashing slot freed up in time
    /// (answer 503); otherwise the store's outcome, with the tenant when it was created.
    /// </summary>
    public async Task<(NewTenant? Created, CreateTenantOutcome Outcome)?> CreateAsync(
        string slug, string name, string username, string? password, bool ownerIsOperator, AuditActor actor,
        CancellationToken cancellationToken)
    {
        var generated = password is null ? Passwords.Generate() : null;
        var hash = await hasher.HashAsync(password ?? generated!, cancellationToken);
        if (hash is null) return null;

        var now = time.GetUtcNow();
        var tenant = new Tenant(Ids.NewTenantId(), slug, name, now, TenantPolicy.Default);
        var owner = new User(Ids.NewUserId(), tenant.Id, username, Roles.Owner, UserStates.Active, hash,
            ownerIsOperator, now);
        // A tenant's creation belongs to no tenant yet: it goes to the hub's chain; its owner opens the tenant's.
        AuditDraft[] audit =
        [
            actor.Draft(now, null, AuditActions.TenantCreated, tenant.Id, detail: $"slug: {slug}"),
            actor.Draft(now, tenant.Id, AuditActions.UserCreated, owner.Id, detail: $"role: {Roles.Owner}"),
        ];
        var outcome = await store.CreateTenantAsync(tenant, owner, audit, cancellationToken);
        return outcome == CreateTenantOutcome.Created
            ? (new NewTenant(tenant, owner, generated), outcome)
            : (null, outcome);
    }

    [GeneratedRegex("^[a-z0-9-]{2,40}$")]
    private static partial Regex SlugPattern();
}
