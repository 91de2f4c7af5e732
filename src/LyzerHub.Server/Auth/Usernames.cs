namespace LyzerHub.Server.Auth;

public static class Usernames
{
    /// <summary>
    /// The hub-wide unique form of a username (PRODUCT.md §1): case-insensitive in any script, not only ASCII,
    /// after compatibility normalisation so look-alike encodings of one name meet.
    /// </summary>
    public static string Key(string username) =>
        username.Normalize(System.Text.NormalizationForm.FormKC).ToUpperInvariant();
}
