using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;

namespace LyzerHub.Server.WebConsole.Pages;

/// <summary>Signing out deletes the session row, so the cookie is worthless even if a copy survives.</summary>
public sealed class SignOutModel : ConsolePage
{
    public IActionResult OnGet() => LocalRedirect("/");

    public async Task<IActionResult> OnPostAsync()
    {
        await HttpContext.SignOutAsync(ConsoleAuth.Scheme);
        return LocalRedirect("/signin");
    }
}
