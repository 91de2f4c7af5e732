using System.Net;
using LyzerHub.Server.Storage;

namespace LyzerHub.Server.Auth;

public enum PasswordLoginOutcome { Verified, Failed, Throttled, Overloaded }

/// <summary>
/// A password check's result: the user the username named, when there is one (on a failure too, so the failure
/// can be recorded against them: only <see cref="PasswordLoginOutcome.Verified"/> means the password was right),
/// and the wait when throttled.
/// </summary>
public sealed record PasswordLoginResult(PasswordLoginOutcome Outcome, User? User, TimeSpan RetryAfter)
{
    /// <summary><see cref="RetryAfter"/> in whole seconds rounded up, so waiting exactly that long is enough.</summary>
    public int RetryAfterSeconds => (int)Math.Ceiling(RetryAfter.TotalSeconds);
}

/// <summary>
/// Proves a username and password, the one way both <c>POST /v1/auth/key</c> and the console's sign-in do it
/// (PRODUCT.md §4.1): the failure throttle first, then Argon2id in a bounded slot, against a decoy hash for
/// unknown users so their answer and its timing match a wrong password. Failures feed the same throttle
/// whichever door they came through.
/// </summary>
public sealed class PasswordLogin(IControlStore store, PasswordHasher hasher, LoginThrottle throttle)
{
    public async Task<PasswordLoginResult> CheckAsync(
        string username, string password, IPAddress? address, CancellationToken cancellationToken)
    {
        var usernameKey = Usernames.Key(username);
        var wait = throttle.WaitBeforeAttempt(usernameKey, address);
        if (wait > TimeSpan.Zero) return new PasswordLoginResult(PasswordLoginOutcome.Throttled, null, wait);

        var user = await store.FindUserByUsernameAsync(username, cancellationToken);
        var verified = await hasher.VerifyAsync(user?.PasswordHash ?? hasher.DecoyHash, password, cancellationToken);
        if (verified is null)
            return new PasswordLoginResult(PasswordLoginOutcome.Overloaded, null, TimeSpan.FromSeconds(1));

        if (user is null || verified is false || user.State != UserStates.Active)
        {
            throttle.RecordFailure(usernameKey, address);
            return new PasswordLoginResult(PasswordLoginOutcome.Failed, user, TimeSpan.Zero);
        }

        throttle.RecordSuccess(usernameKey, address);
        return new PasswordLoginResult(PasswordLoginOutcome.Verified, user, TimeSpan.Zero);
    }
}
