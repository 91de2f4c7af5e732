using LyzerHub.Server.Problems;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace LyzerHub.Server.WebConsole.Pages;

/// <summary>What every signed-in console page knows: the user and tenant as read for this request.</summary>
public abstract class ConsolePage : PageModel
{
    public ConsoleUserFeature Session => HttpContext.Features.GetRequiredFeature<ConsoleUserFeature>();

    /// <summary>Problems found with the posted form, shown above it; field names follow the API's.</summary>
    public List<FieldError> Errors { get; } = [];

    /// <summary>A refusal that is not about one field (a role too low, the last owner, overloaded).</summary>
    public string? Refusal { get; protected set; }

    /// <summary>
    /// Who acts, for the audit trail: the signed-in user (the session's principal carries their id), no key.
    /// </summary>
    public Audit.AuditActor Actor => Audit.AuditActor.FromRequest(HttpContext);

    public IReadOnlyList<string> SessionPermissions =>
        User.FindAll(Auth.HubClaims.Permission).Select(c => c.Value).ToArray();

    public static string Time(DateTimeOffset? at) =>
        at is { } value ? value.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'",
            System.Globalization.CultureInfo.InvariantCulture) : "—";
}
