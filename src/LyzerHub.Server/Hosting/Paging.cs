using System.Globalization;
using LyzerHub.Server.Problems;
using LyzerHub.Server.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LyzerHub.Server.Hosting;

/// <summary>The list envelope of PRODUCT.md §4.4 and its <c>limit</c> and <c>cursor</c> parameters.</summary>
public sealed record ListResponse<T>(IReadOnlyList<T> Data, string? NextCursor);

public static class Paging
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 1000;

    public static ProblemHttpResult? TryRead(HttpContext context, out int limit, out string? cursor)
    {
        limit = DefaultLimit;
        cursor = context.Request.Query["cursor"].FirstOrDefault();
        var limitText = context.Request.Query["limit"].FirstOrDefault();
        if (limitText is not null && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture,
                out limit) || limit < 1 || limit > MaxLimit))
            return HubProblems.InvalidField(context, "limit", $"must be an integer from 1 to {MaxLimit}");
        if (cursor is not null && !ListCursor.TryDecode(cursor, out _))
            return HubProblems.InvalidField(context, "cursor", "is not a cursor this list gave out");
        return null;
    }
}
