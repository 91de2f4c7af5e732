using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Unicode;
using LyzerHub.Server.Hosting;
using LyzerHub.Server.Problems;

namespace LyzerHub.Server.Events;

/// <summary>
/// Turns a <c>POST /v1/events</c> body into items (PRODUCT.md §6.1). A body that breaks JSON or I-JSON anywhere is
/// <see cref="EventBatchOutcome.Invalid"/> as a whole, so a client never has half of a corrupt request stored; an
/// item that is well-formed but breaks an event rule is rejected alone.
/// </summary>
public sealed class EventBatchParser(TimeProvider timeProvider)
{
    public const int MaxEvents = 5_000;
    public const int MaxBodyBytes = 10 * 1024 * 1024;
    public const int MaxEventBytes = 1024 * 1024;
    public const int MaxDepth = 32;
    public const int MaxNameLength = 200;
    public const int MaxIdLength = 128;
    public const int MaxDistinctIdLength = 200;
    public const string GeneratedIdPrefix = "evt_";

    private const string Base62Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    // 22 base62 characters carry about 131 random bits, as many as a UUID, so generated ids never collide.
    private const int GeneratedIdRandomLength = 22;

    private const int ReadChunkBytes = 64 * 1024;

    private static readonly TimeSpan s_maxAhead = TimeSpan.FromHours(1);

    private static readonly byte[] s_utf8Bom = [0xEF, 0xBB, 0xBF];

    // Nesting cannot exceed the byte count, so this only lifts the reader's default of 64: an item nested
    // deeper than 32 must still be read through, to reject it alone rather than fail the whole body.
    private static readonly JsonReaderOptions s_readerOptions = new() { MaxDepth = MaxBodyBytes };

    /// <summary>
    /// Reads <paramref name="body"/> (inflating gzip as it goes) and parses it. Reading stops as soon as more than
    /// <see cref="MaxBodyBytes"/> have come out, so a small gzip bomb costs at most that much memory and time.
    /// The buffer is reserved in <paramref name="lease"/> as it grows; the caller disposes the lease once the
    /// parsed events are no longer needed.
    /// </summary>
    public async Task<EventBatchParseResult> ParseAsync(
        Stream body,
        EventBodyFormat format,
        bool gzip,
        string tenantId,
        EventBodyLease? lease,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);

        byte[]? buffer;
        int length;
        if (gzip)
        {
            await using var inflated = new GZipStream(body, CompressionMode.Decompress, leaveOpen: true);
            try
            {
                (buffer, length) = await ReadBoundedAsync(inflated, lease, cancellationToken);
            }
            catch (InvalidDataException)
            {
                return EventBatchParseResult.Invalid(FieldError.ForField("body", "is not valid gzip"));
            }
        }
        else
        {
            (buffer, length) = await ReadBoundedAsync(body, lease, cancellationToken);
        }

        if (buffer is null)
        {
            return EventBatchParseResult.Overloaded("Too many event bytes are in flight; nothing was stored.");
        }

        if (length > MaxBodyBytes)
        {
            return EventBatchParseResult.TooLarge("The body is larger than 10 MiB after decompression.");
        }

        return Parse(buffer.AsMemory(0, length), format, tenantId);
    }

    /// <summary>Parses a body already in memory and decompressed.</summary>
    public EventBatchParseResult Parse(ReadOnlyMemory<byte> body, EventBodyFormat format, string tenantId)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenantId);
        if (body.Length > MaxBodyBytes)
        {
            return EventBatchParseResult.TooLarge("The body is larger than 10 MiB after decompression.");
        }

        // RFC 8259 lets a parser ignore a byte order mark; some HTTP clients still send one.
        if (body.Span.StartsWith(s_utf8Bom)) body = body[s_utf8Bom.Length..];

        var context = new ItemContext(tenantId, timeProvider.GetUtcNow());
        return format == EventBodyFormat.Ndjson ? ParseNdjson(body, context) : ParseJson(body, context);
    }

    /// <summary>Reads up to one byte past the limit; a null buffer when the lease could not grow.</summary>
    private static async Task<(byte[]? Buffer, int Length)> ReadBoundedAsync(
        Stream source, EventBodyLease? lease, CancellationToken cancellationToken)
    {
        if (lease?.TryGrowTo(ReadChunkBytes) == false) return (null, 0);
        var buffer = new byte[ReadChunkBytes];
        var length = 0;
        while (length <= MaxBodyBytes)
        {
            if (length == buffer.Length)
            {
                // One byte past the limit is enough to know the body is too large.
                var size = Math.Min(buffer.Length * 2, MaxBodyBytes + 1);
                if (lease?.TryGrowTo(size) == false) return (null, 0);
                Array.Resize(ref buffer, size);
            }

            var read = await source.ReadAsync(buffer.AsMemory(length), cancellationToken);
            if (read == 0) break;
            length += read;
        }

        return (buffer, length);
    }

    private static EventBatchParseResult ParseJson(ReadOnlyMemory<byte> body, ItemContext context)
    {
        var items = new List<EventItem>();
        var reader = new Utf8JsonReader(body.Span, s_readerOptions);
        try
        {
            reader.Read();
            if (reader.TokenType == JsonTokenType.StartObject)
            {
                var single = ReadValue(ref reader, body);
                if (!TryReadItem(single, 0, context, items, out var error)) return error;
            }
            else if (reader.TokenType == JsonTokenType.StartArray)
            {
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (items.Count == MaxEvents) return TooManyEvents();
                    var item = ReadValue(ref reader, body);
                    if (!TryReadItem(item, items.Count, context, items, out var error)) return error;
                }
            }
            else
            {
                return EventBatchParseResult.Invalid(FieldError.ForIndex(0,
                    "the body must be a JSON object, a JSON array of objects, or NDJSON"));
            }

            // Throws on anything but whitespace after the top-level value.
            reader.Read();
        }
        catch (JsonException exception)
        {
            return EventBatchParseResult.Invalid(FieldError.ForIndex(items.Count,
                $"is not valid JSON (line {exception.LineNumber + 1}, byte {exception.BytePositionInLine + 1})"));
        }

        return EventBatchParseResult.Parsed(items);
    }

    private static EventBatchParseResult ParseNdjson(ReadOnlyMemory<byte> body, ItemContext context)
    {
        var items = new List<EventItem>();
        var remaining = body;
        while (!remaining.IsEmpty)
        {
            var newline = remaining.Span.IndexOf((byte)'\n');
            var line = newline < 0 ? remaining : remaining[..newline];
            remaining = newline < 0 ? ReadOnlyMemory<byte>.Empty : remaining[(newline + 1)..];

            line = TrimWhitespace(line);
            if (line.IsEmpty) continue;

            if (items.Count == MaxEvents) return TooManyEvents();
            if (!TryReadItem(line, items.Count, context, items, out var error)) return error;
        }

        return EventBatchParseResult.Parsed(items);
    }

    private static ReadOnlyMemory<byte> ReadValue(ref Utf8JsonReader reader, ReadOnlyMemory<byte> body)
    {
        var start = (int)reader.TokenStartIndex;
        reader.Skip();
        return body[start..(int)reader.BytesConsumed];
    }

    /// <summary>
    /// Adds the item at <paramref name="index"/> to <paramref name="items"/>, accepted or rejected; false (with the
    /// 400 result) when the item breaks I-JSON, which fails the whole body.
    /// </summary>
    private static bool TryReadItem(
        ReadOnlyMemory<byte> json,
        int index,
        ItemContext context,
        List<EventItem> items,
        out EventBatchParseResult invalid)
    {
        invalid = null!;
        var reason = CheckIJson(json.Span, out var depth);
        if (reason is not null)
        {
            invalid = EventBatchParseResult.Invalid(FieldError.ForIndex(index, reason));
            return false;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json,
                new JsonDocumentOptions { MaxDepth = depth + 1, AllowDuplicateProperties = false });
        }
        catch (JsonException)
        {
            // CheckIJson already proved the syntax, so the one rule left to break is a repeated key.
            invalid = EventBatchParseResult.Invalid(FieldError.ForIndex(index, "contains a duplicate object key"));
            return false;
        }

        using (document)
        {
            items.Add(ReadEvent(document.RootElement, index, depth, json.Length, context));
        }

        return true;
    }

    /// <summary>The I-JSON or syntax rule <paramref name="json"/> breaks, or null; also measures its nesting.</summary>
    private static string? CheckIJson(ReadOnlySpan<byte> json, out int depth)
    {
        depth = 0;
        if (!Utf8.IsValid(json)) return "is not valid UTF-8";

        var reader = new Utf8JsonReader(json, s_readerOptions);
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject or JsonTokenType.StartArray:
                        depth = Math.Max(depth, reader.CurrentDepth + 1);
                        break;

                    // Raw bytes are valid UTF-8 by now, so only an escape (\uD800) can spell a lone surrogate.
                    case JsonTokenType.PropertyName or JsonTokenType.String when reader.ValueIsEscaped:
                        if (HasLoneSurrogate(reader.GetString()!)) return "contains a lone surrogate";
                        break;
                }
            }
        }
        catch (JsonException)
        {
            return "is not valid JSON";
        }
        catch (InvalidOperationException)
        {
            // GetString refuses to unescape a lone surrogate into a string.
            return "contains a lone surrogate";
        }

        return null;
    }

    private static EventItem ReadEvent(JsonElement root, int index, int depth, int size, ItemContext context)
    {
        if (root.ValueKind != JsonValueKind.Object) return Rejected(index, null, "must be a JSON object");

        string? id = null;
        if (TryGetPresent(root, "id", out var idElement))
        {
            if (idElement.ValueKind != JsonValueKind.String) return Rejected(index, null, "id must be a string");
            id = idElement.GetString()!;
            if (id.Length == 0) return Rejected(index, null, "id must not be empty");
            if (ScalarCount(id) > MaxIdLength) return Rejected(index, null, "id must be at most 128 characters");
        }

        if (depth > MaxDepth) return Rejected(index, id, "is nested deeper than 32 levels");
        if (size > MaxEventBytes) return Rejected(index, id, "is larger than 1 MiB");

        if (!TryGetPresent(root, "name", out var nameElement)) return Rejected(index, id, "name is required");
        if (nameElement.ValueKind != JsonValueKind.String) return Rejected(index, id, "name must be a string");
        var name = nameElement.GetString()!;
        if (name.Length == 0) return Rejected(index, id, "name must not be empty");
        if (ScalarCount(name) > MaxNameLength) return Rejected(index, id, "name must be at most 200 characters");

        string? distinctId = null;
        if (TryGetPresent(root, "distinct_id", out var distinctElement))
        {
            if (distinctElement.ValueKind != JsonValueKind.String)
            {
                return Rejected(index, id, "distinct_id must be a string");
            }

            distinctId = distinctElement.GetString()!;
            if (ScalarCount(distinctId) > MaxDistinctIdLength)
            {
                return Rejected(index, id, "distinct_id must be at most 200 characters");
            }
        }

        var timestamp = context.ReceivedAt;
        if (TryGetPresent(root, "timestamp", out var timestampElement))
        {
            if (timestampElement.ValueKind != JsonValueKind.String)
            {
                return Rejected(index, id, "timestamp must be a string");
            }

            if (!Rfc3339.TryParse(timestampElement.GetString()!, out timestamp))
            {
                return Rejected(index, id, "timestamp must be an RFC 3339 date-time with an offset");
            }

            if (timestamp - context.ReceivedAt > s_maxAhead)
            {
                return Rejected(index, id, "timestamp is more than one hour ahead of the hub's clock");
            }
        }

        var propertiesJson = "{}";
        if (TryGetPresent(root, "properties", out var propertiesElement))
        {
            if (propertiesElement.ValueKind != JsonValueKind.Object)
            {
                return Rejected(index, id, "properties must be an object");
            }

            propertiesJson = propertiesElement.GetRawText();
        }

        id ??= GeneratedIdPrefix + RandomNumberGenerator.GetString(Base62Alphabet, GeneratedIdRandomLength);
        var stored = new StoredEvent(
            context.TenantId, id, name, timestamp, distinctId, propertiesJson, context.ReceivedAt);
        return new EventItem(index, id, stored, null);
    }

    // SDKs often serialize an unset optional field as null; treating it as absent spares them a special case.
    private static bool TryGetPresent(JsonElement root, string name, out JsonElement value) =>
        root.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null;

    private static EventItem Rejected(int index, string? id, string reason) => new(index, id, null, reason);

    private static EventBatchParseResult TooManyEvents() =>
        EventBatchParseResult.TooLarge("The body holds more than 5,000 events.");

    /// <summary>Counts Unicode scalar values; the text holds no lone surrogate by the time this runs.</summary>
    private static int ScalarCount(string text)
    {
        var count = text.Length;
        foreach (var c in text)
        {
            if (char.IsHighSurrogate(c)) count--;
        }

        return count;
    }

    private static bool HasLoneSurrogate(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return true;
            }
        }

        return false;
    }

    private static ReadOnlyMemory<byte> TrimWhitespace(ReadOnlyMemory<byte> line)
    {
        var span = line.Span;
        var start = 0;
        var end = span.Length;
        while (start < end && IsJsonWhitespace(span[start])) start++;
        while (end > start && IsJsonWhitespace(span[end - 1])) end--;
        return line[start..end];
    }

    private static bool IsJsonWhitespace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n';

    private sealed record ItemContext(string TenantId, DateTimeOffset ReceivedAt);
}
