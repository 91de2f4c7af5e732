using System.Security.Cryptography;

namespace LyzerHub.Server.Tenants;

public static class Passwords
{
    private const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    /// <summary>24 base62 characters from the CSPRNG: about 143 bits, and safe to paste into a shell.</summary>
    public static string Generate() => RandomNumberGenerator.GetString(Alphabet, 24);
}
