using System.Security.Cryptography;

namespace LyzerHub.Server.Storage;

/// <summary>Resource ids: a type prefix and 20 random base62 characters (PRODUCT.md §1). Ids are not secrets.</summary>
public static class Ids
{
    private const string Base62Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    public static string NewTenantId() => New("ten_");

    public static string NewUserId() => New("usr_");

    public static string NewKeyId() => New("key_");

    public static string New(string prefix) =>
        string.Create(prefix.Length + 20, prefix, static (span, p) =>
        {
            p.CopyTo(span);
            RandomNumberGenerator.GetItems(Base62Alphabet, span[p.Length..]);
        });
}
