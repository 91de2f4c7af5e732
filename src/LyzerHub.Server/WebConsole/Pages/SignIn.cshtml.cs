using LyzerHub.Server.Audit;
using LyzerHub.Server.Auth;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;

namespace LyzerHub.Server.WebConsole.Pages;

/// <summary>
/// Username and password, proven exactly as <c>POST /v1/auth/key</c> proves them (<see cref="PasswordLogin"/>):
/// the same throttle, hashing slots and decoy hash, one message for every failure, and the same audit entries
/// (<c>auth.login_failed</c>, <c>auth.login_throttled</c>; <c>auth.login</c> comes with the session).
/// </summary>
public sealed partial class SignInModel(PasswordLogin login, AuditRecorder audit, ILogger<SignInModel> logger)
    : ConsolePage
{
    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    [BindProperty]
    public string? Username { get; set; }

    [BindProperty]
    public string? Password { get; set; }

    public async Task<IActionResult> OnGetAsync()
    {
        var current = await HttpContext.AuthenticateAsync(ConsoleAuth.Scheme);
        return current.Succeeded ? LocalRedirect(SafeReturnUrl) : Page();
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(Username) || string.IsNullOrEmpty(Password))
        {
            Refusal = "Enter your username and password.";
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }

        var check = await login.CheckAsync(Username, Password, HttpContext.Connection.RemoteIpAddress,
            cancellationToken);
        Password = null;
        switch (check.Outcome)
        {
            case PasswordLoginOutcome.Throttled:
                Log.SignInThrottled(logger);
                audit.RecordLoginThrottled(HttpContext);
                Response.Headers.RetryAfter = check.RetryAfterSeconds.ToString(
                    System.Globalization.CultureInfo.InvariantCulture);
                Response.StatusCode = StatusCodes.Status429TooManyRequests;
                Refusal = $"Too many failed sign-ins; try again in {check.RetryAfterSeconds} s.";
                return Page();
            case PasswordLoginOutcome.Overloaded:
                Response.Headers.RetryAfter = "1";
                Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                Refusal = "The hub is busy checking other sign-ins; try again in a moment.";
                return Page();
            case PasswordLoginOutcome.Failed:
                Log.SignInFailed(logger);
                audit.RecordLoginFailed(HttpContext, check.User?.TenantId, check.User?.Id);
                Response.StatusCode = StatusCodes.Status401Unauthorized;
                Refusal = "The username or the password is wrong.";
                return Page();
        }

        await HttpContext.SignInAsync(ConsoleAuth.Scheme, ConsoleAuth.TicketPrincipal(check.User!),
            new AuthenticationProperties { IsPersistent = false, AllowRefresh = false });
        return LocalRedirect(SafeReturnUrl);
    }

    // Only a path on this hub, never another site (an open redirect would make a fine phishing link).
    private string SafeReturnUrl => ReturnUrl is { } url && Url.IsLocalUrl(url) ? url : "/";

    private static partial class Log
    {
        [LoggerMessage(EventId = 9002, EventName = "ConsoleSignInFailed", Level = LogLevel.Information,
            Message = "A console sign-in failed: unknown user, wrong password or inactive user")]
        public static partial void SignInFailed(ILogger logger);

        [LoggerMessage(EventId = 9003, EventName = "ConsoleSignInThrottled", Level = LogLevel.Information,
            Message = "A console sign-in was refused by the failure throttle")]
        public static partial void SignInThrottled(ILogger logger);
    }
}
