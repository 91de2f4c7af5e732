namespace LyzerHub.Server.Users;

public static class UsersServiceCollectionExtensions
{
    /// <summary>
    /// Registers user management, password changes and tenant policy changes. Needs the control store and
    /// <c>AddHubAuth</c> (password hashing and the key cache).
    /// </summary>
    public static IServiceCollection AddUsers(this IServiceCollection services)
    {
        services.AddSingleton<UserService>();
        return services;
    }
}
