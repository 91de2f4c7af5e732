using LyzerHub.Server.Keys;

namespace LyzerHub.Server.Auth;

/// <summary>The authenticated key's grant, kept on the request so endpoints need no second lookup.</summary>
public sealed record KeyGrantFeature(CachedGrant Grant);
