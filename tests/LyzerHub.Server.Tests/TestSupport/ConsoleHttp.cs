using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;

namespace LyzerHub.Server.Tests.TestSupport;

/// <summary>
/// A plain HTTP client for the console's forms, without a browser: it keeps the cookies itself (so a test can
/// carry one to a restarted hub) and never follows redirects (so a test sees where it is sent).
/// </summary>
public sealed partial class ConsoleHttp : IDisposable
{
    private readonly HttpClient _client;
    private readonly Dictionary<string, string> _cookies = new(StringComparer.Ordinal);

    public ConsoleHttp(Uri baseAddress, X509Certificate2 certificate)
    {
        var handler = new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false };
        handler.SslOptions.CertificateChainPolicy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            CustomTrustStore = { certificate },
            RevocationMode = X509RevocationMode.NoCheck,
        };
        _client = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };
    }

    public IReadOnlyDictionary<string, string> Cookies => _cookies;

    public void SetCookies(IReadOnlyDictionary<string, string> cookies)
    {
        foreach (var (name, value) in cookies) _cookies[name] = value;
    }

    public async Task<HttpResponseMessage> GetAsync(string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        return await SendAsync(request);
    }

    /// <summary>Posts a form; the page's antiforgery token is fetched from <paramref name="formPage"/> first.</summary>
    public async Task<HttpResponseMessage> PostFormAsync(
        string path, IDictionary<string, string> fields, string? formPage = null, bool withToken = true)
    {
        var body = new Dictionary<string, string>(fields);
        if (withToken)
        {
            using var page = await GetAsync(formPage ?? path);
            var html = await page.Content.ReadAsStringAsync();
            body["__antiforgery"] = Token().Match(html).Groups[1].Value;
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(body) };
        return await SendAsync(request);
    }

    public Task<HttpResponseMessage> SignInAsync(string username, string password) =>
        PostFormAsync("/signin", new Dictionary<string, string> { ["username"] = username, ["password"] = password });

    public void Dispose() => _client.Dispose();

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request)
    {
        if (_cookies.Count > 0)
            request.Headers.Add("Cookie", string.Join("; ", _cookies.Select(c => $"{c.Key}={c.Value}")));
        var response = await _client.SendAsync(request);
        if (response.Headers.TryGetValues("Set-Cookie", out var setCookies))
        {
            foreach (var header in setCookies)
            {
                var pair = header.Split(';', 2)[0].Split('=', 2);
                var deleted = pair[1].Length == 0
                    || header.Contains("expires=Thu, 01 Jan 1970", StringComparison.OrdinalIgnoreCase);
                if (deleted) _cookies.Remove(pair[0]);
                else _cookies[pair[0]] = pair[1];
            }
        }

        return response;
    }

    [GeneratedRegex("name=\"__antiforgery\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex Token();
}
