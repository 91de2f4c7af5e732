using System.Net;
using System.Net.Http.Headers;

namespace LyzerHub.Client;

/// <summary>
/// Adds the bearer key; on a 401 asks the provider once for another key and retries once. Never more: a hub that
/// keeps refusing must reach the caller, not spin a login loop.
/// </summary>
internal sealed class KeyHandler(IKeyProvider keys) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(
        HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var key = await keys.GetKeyAsync(cancellationToken);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        var response = await base.SendAsync(request, cancellationToken);
        if (response.StatusCode != HttpStatusCode.Unauthorized) return response;

        var renewed = await keys.RenewAsync(key, cancellationToken);
        if (renewed is null) return response;

        response.Dispose();
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", renewed);
        return await base.SendAsync(request, cancellationToken);
    }
}
