using System.Net;

namespace LyzerHub.Server.Hosting;

/// <summary>
/// A client address as the throttle, the rate limits and the audit trail key it: IPv4 seen through an IPv6
/// socket as plain IPv4, so one client is one partition whichever way it connected.
/// </summary>
public static class ClientAddresses
{
    /// <summary>The address as text, or null when the connection has none.</summary>
    public static string? Of(IPAddress? address) =>
        address is null ? null : (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString();
}
