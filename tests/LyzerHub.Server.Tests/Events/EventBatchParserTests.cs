using System.IO.Compression;
using System.Text;
using LyzerHub.Server.Events;
using Microsoft.Extensions.Time.Testing;

namespace LyzerHub.Server.Tests.Events;

public sealed class EventBatchParserTests
{
    private const string Tenant = "ten_test";
    private static readonly DateTimeOffset s_now = new(2026, 12, 3, 19, 0, 0, TimeSpan.Zero);

    private readonly EventBatchParser _parser = new(new FakeTimeProvider(s_now));

    [Fact]
    public void Parse_SingleObject_ReadsEveryField()
    {
        const string body = """
            {"id":"e1","name":"signup","distinct_id":"u1","timestamp":"2026-12-03T14:30:00.5-05:00",
             "properties":{"plan":"pro","seats":3}}
            """;

        var item = Accepted(body);

        var stored = item.Event!;
        Assert.Equal(new StoredEvent(Tenant, "e1", "signup",
            new DateTimeOffset(2026, 12, 3, 14, 30, 0, 500, TimeSpan.FromHours(-5)), "u1",
            """{"plan":"pro","seats":3}""", s_now), stored);
        Assert.Equal(TimeSpan.FromHours(-5), stored.Timestamp.Offset);
        Assert.Equal("e1", item.Id);
    }

    [Fact]
    public void Parse_Array_AcceptsEachItemInOrder()
    {
        var result = Parse("""[{"name":"a"}, {"name":"b"}, {"name":"c"}]""");

        Assert.Equal(EventBatchOutcome.Parsed, result.Outcome);
        Assert.Equal(["a", "b", "c"], result.Items.Select(i => i.Event!.Name));
        Assert.Equal([0, 1, 2], result.Items.Select(i => i.Index));
    }

    [Fact]
    public void Parse_EmptyArray_ParsesNoItems()
    {
        var result = Parse("[]");

        Assert.Equal(EventBatchOutcome.Parsed, result.Outcome);
        Assert.Empty(result.Items);
    }

    [Fact]
    public void Parse_NdjsonWithBlankLines_SkipsThemAndNumbersItemsDensely()
    {
        const string body = "{\"name\":\"a\"}\r\n\r\n   \n\t{\"name\":\"b\"}  \n{\"name\":\"c\"}";

        var result = Parse(body, EventBodyFormat.Ndjson);

        Assert.Equal(EventBatchOutcome.Parsed, result.Outcome);
        Assert.Equal(["a", "b", "c"], result.Items.Select(i => i.Event!.Name));
        Assert.Equal([0, 1, 2], result.Items.Select(i => i.Index));
    }

    [Fact]
    public void Parse_Utf8ByteOrderMark_Ignored()
    {
        byte[] body = [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes("""{"name":"a"}""")];

        var result = _parser.Parse(body, EventBodyFormat.Json, Tenant);

        Assert.Equal("a", Assert.Single(result.Items).Event!.Name);
    }

    [Fact]
    public void Parse_NoId_GeneratesDistinctPrefixedIds()
    {
        var result = Parse("""[{"name":"a"}, {"name":"a"}]""");

        var ids = result.Items.Select(i => i.Event!.Id).ToList();
        Assert.All(ids, id => Assert.Matches("^evt_[0-9A-Za-z]{22}$", id));
        Assert.NotEqual(ids[0], ids[1]);
        Assert.Equal(ids, result.Items.Select(i => i.Id));
    }

    [Fact]
    public void Parse_OptionalFieldsAbsentOrNull_DefaultsApply()
    {
        var result = Parse("""
            [{"name":"a"}, {"name":"b","id":null,"distinct_id":null,"timestamp":null,"properties":null}]
            """);

        Assert.All(result.Items, item =>
        {
            Assert.Null(item.Event!.DistinctId);
            Assert.Equal(s_now, item.Event.Timestamp);
            Assert.Equal(s_now, item.Event.ReceivedAt);
            Assert.Equal("{}", item.Event.PropertiesJson);
        });
    }

    [Fact]
    public void Parse_Properties_KeptAsReceivedText()
    {
        const string properties = """{ "b" : [1, 2.50, {"c": null}], "ünï": "\u00e9" }""";

        var item = Accepted("""{"name":"a","properties":""" + properties + "}");

        Assert.Equal(properties, item.Event!.PropertiesJson);
    }

    [Theory]
    [InlineData("""42""", "must be a JSON object")]
    [InlineData("""[1,2]""", "must be a JSON object")]
    [InlineData("""{"properties":{}}""", "name is required")]
    [InlineData("""{"name":null}""", "name is required")]
    [InlineData("""{"name":5}""", "name must be a string")]
    [InlineData("""{"name":""}""", "name must not be empty")]
    [InlineData("""{"name":"a","id":7}""", "id must be a string")]
    [InlineData("""{"name":"a","id":""}""", "id must not be empty")]
    [InlineData("""{"name":"a","distinct_id":{}}""", "distinct_id must be a string")]
    [InlineData("""{"name":"a","timestamp":1733250000}""", "timestamp must be a string")]
    [InlineData("""{"name":"a","timestamp":"2026-12-03T19:00:00"}""",
        "timestamp must be an RFC 3339 date-time with an offset")]
    [InlineData("""{"name":"a","timestamp":"2026-12-03"}""",
        "timestamp must be an RFC 3339 date-time with an offset")]
    [InlineData("""{"name":"a","timestamp":"yesterday"}""", "timestamp must be an RFC 3339 date-time with an offset")]
    [InlineData("""{"name":"a","timestamp":"2026-12-03T20:00:01Z"}""",
        "timestamp is more than one hour ahead of the hub's clock")]
    [InlineData("""{"name":"a","properties":[]}""", "properties must be an object")]
    [InlineData("""{"name":"a","properties":"x"}""", "properties must be an object")]
    public void Parse_ItemBreaksRule_RejectedWithReason(string item, string reason)
    {
        var result = Parse($$"""[{"name":"ok"}, {{item}}]""", EventBodyFormat.Json);

        Assert.Equal(EventBatchOutcome.Parsed, result.Outcome);
        Assert.NotNull(result.Items[0].Event);
        var rejected = result.Items[1];
        Assert.Null(rejected.Event);
        Assert.Equal(1, rejected.Index);
        Assert.Equal(reason, rejected.Reason);
    }

    [Fact]
    public void Parse_NdjsonLineNotAnObject_RejectedNotInvalid()
    {
        var result = Parse("{\"name\":\"a\"}\n\"just a string\"\n", EventBodyFormat.Ndjson);

        Assert.Equal(EventBatchOutcome.Parsed, result.Outcome);
        Assert.Equal("must be a JSON object", result.Items[1].Reason);
    }

    [Theory]
    [InlineData("name", 200, true)]
    [InlineData("name", 201, false)]
    [InlineData("id", 128, true)]
    [InlineData("id", 129, false)]
    [InlineData("distinct_id", 200, true)]
    [InlineData("distinct_id", 201, false)]
    public void Parse_LengthCountsScalarValues_LimitIsInclusive(string field, int scalars, bool accepted)
    {
        // Each emoji is two UTF-16 units and four UTF-8 bytes but one scalar value.
        var value = string.Concat(Enumerable.Repeat("\U0001F600", scalars));
        var json = field == "name" ? $$"""{"name":"{{value}}"}""" : $$"""{"name":"a","{{field}}":"{{value}}"}""";

        var item = Assert.Single(Parse(json).Items);

        Assert.Equal(accepted, item.Event is not null);
        if (!accepted) Assert.Equal($"{field} must be at most {scalars - 1} characters", item.Reason);
    }

    [Fact]
    public void Parse_RejectedItemWithValidId_ReportsTheId()
    {
        var item = Assert.Single(Parse("""{"id":"e9","name":""}""").Items);

        Assert.Equal("e9", item.Id);
        Assert.Null(item.Event);
    }

    [Theory]
    [InlineData(32, true)]
    [InlineData(33, false)]
    public void Parse_Nesting_CountsFromTheEventObject(int depth, bool accepted)
    {
        // The event object is depth 1 and the properties object depth 2; each object inside adds one.
        var levels = depth - 1;
        var nested = string.Concat(Enumerable.Repeat("""{"a":""", levels)) + "1" + new string('}', levels);
        var json = """{"name":"a","properties":""" + nested + "}";

        var item = Assert.Single(Parse(json).Items);

        Assert.Equal(accepted, item.Event is not null);
        if (!accepted) Assert.Equal("is nested deeper than 32 levels", item.Reason);
    }

    [Fact]
    public void Parse_DeeplyNestedArrayItem_RejectedAloneNotInvalid()
    {
        var nested = new string('[', 1000) + new string(']', 1000);

        var result = Parse("""[{"name":"a"},{"name":"b","properties":{"x":""" + nested + "}}]");

        Assert.Equal(EventBatchOutcome.Parsed, result.Outcome);
        Assert.NotNull(result.Items[0].Event);
        Assert.Equal("is nested deeper than 32 levels", result.Items[1].Reason);
    }

    [Theory]
    [InlineData(EventBatchParser.MaxEventBytes, true)]
    [InlineData(EventBatchParser.MaxEventBytes + 1, false)]
    public void Parse_EventSize_MeasuredAsReceivedText(int size, bool accepted)
    {
        const string prefix = "{\"name\":\"a\",\"properties\":{\"pad\":\"";
        const string suffix = "\"}}";
        var json = prefix + new string('x', size - prefix.Length - suffix.Length) + suffix;
        Assert.Equal(size, Encoding.UTF8.GetByteCount(json));

        var result = Parse($$"""[{{json}}, {"name":"small"}]""");

        Assert.Equal(accepted, result.Items[0].Event is not null);
        if (!accepted) Assert.Equal("is larger than 1 MiB", result.Items[0].Reason);
        Assert.NotNull(result.Items[1].Event);
    }

    [Fact]
    public void Parse_TimestampExactlyOneHourAhead_Accepted()
    {
        var item = Accepted("""{"name":"a","timestamp":"2026-12-03T21:00:00+01:00"}""");

        Assert.Equal(s_now.AddHours(1), item.Event!.Timestamp);
    }

    [Fact]
    public void Parse_TimestampInThePast_Accepted()
    {
        var item = Accepted("""{"name":"a","timestamp":"2015-05-17T10:05:03+00:00"}""");

        Assert.Equal(new DateTimeOffset(2015, 5, 17, 10, 5, 3, TimeSpan.Zero), item.Event!.Timestamp);
    }

    [Theory]
    [InlineData("""[{"name":"a"}, {"name":"\uD800"}]""", 1, "contains a lone surrogate")]
    [InlineData("""[{"name":"a"}, {"name":"b","properties":{"\uDC00x":1}}]""", 1, "contains a lone surrogate")]
    [InlineData("""[{"name":"a","name":"b"}]""", 0, "contains a duplicate object key")]
    [InlineData("""[{"name":"a"},{"name":"b","properties":{"k":1,"k":2}}]""", 1, "contains a duplicate object key")]
    [InlineData("""[{"name":"a","n\u0061me":"b"}]""", 0, "contains a duplicate object key")]
    [InlineData("""42""", 0, "the body must be a JSON object, a JSON array of objects, or NDJSON")]
    [InlineData("""  "signup"  """, 0, "the body must be a JSON object, a JSON array of objects, or NDJSON")]
    [InlineData("""null""", 0, "the body must be a JSON object, a JSON array of objects, or NDJSON")]
    public void Parse_BodyBreaksIJson_InvalidNamingTheIndex(string body, int index, string reason)
    {
        var result = Parse(body);

        AssertInvalid(result, index, reason);
    }

    [Theory]
    [InlineData("""[{"name":"a"}, {"name":""", 1)]
    [InlineData("""{"name":"a" """, 0)]
    [InlineData("""[{"name":"a"}""", 1)]
    [InlineData("""[{"name":"a"},]""", 1)]
    [InlineData("""{"name":"a"} {"name":"b"}""", 1)]
    [InlineData("", 0)]
    public void Parse_TruncatedOrMalformedJson_InvalidNamingTheIndex(string body, int index)
    {
        var result = Parse(body);

        Assert.Equal(EventBatchOutcome.Invalid, result.Outcome);
        Assert.Equal(index, Assert.Single(result.Errors).Index);
        Assert.Empty(result.Items);
    }

    [Theory]
    [InlineData("{\"name\":\"a\"}\n{\"name\":\n{\"name\":\"c\"}", 1)]
    [InlineData("{\"name\":\"a\"}\n\n{\"name\":\"b\"} {\"name\":\"c\"}", 1)]
    [InlineData("\n{\"name\":\"a\"}\n{\"name\":\"b\"}\nnot json", 2)]
    public void Parse_NdjsonLineUnparseable_InvalidNamingTheIndex(string body, int index)
    {
        var result = Parse(body, EventBodyFormat.Ndjson);

        AssertInvalid(result, index, "is not valid JSON");
    }

    [Theory]
    [InlineData(EventBodyFormat.Json)]
    [InlineData(EventBodyFormat.Ndjson)]
    public void Parse_InvalidUtf8Bytes_InvalidNamingTheIndex(EventBodyFormat format)
    {
        var separator = format == EventBodyFormat.Json ? "," : "\n";
        byte[] body =
        [
            .. Encoding.UTF8.GetBytes(format == EventBodyFormat.Json ? "[" : ""),
            .. Encoding.UTF8.GetBytes("""{"name":"a"}""" + separator + """{"name":"b","properties":{"x":" """),
            0xC3, 0x28,
            .. Encoding.UTF8.GetBytes(""" "}}"""),
            .. Encoding.UTF8.GetBytes(format == EventBodyFormat.Json ? "]" : ""),
        ];

        var result = _parser.Parse(body, format, Tenant);

        Assert.Equal(EventBatchOutcome.Invalid, result.Outcome);
        Assert.Equal(1, Assert.Single(result.Errors).Index);
    }

    [Fact]
    public void Parse_Utf8EncodedSurrogate_Invalid()
    {
        // ED A0 80 would encode U+D800, which UTF-8 forbids.
        byte[] body = [.. Encoding.UTF8.GetBytes("""{"name":" """), 0xED, 0xA0, 0x80, .. "\"}"u8];

        var result = _parser.Parse(body, EventBodyFormat.Json, Tenant);

        AssertInvalid(result, 0, "is not valid UTF-8");
    }

    [Fact]
    public void Parse_SurrogatePairEscape_Accepted()
    {
        var item = Accepted("""{"name":"\uD83D\uDE00"}""");

        Assert.Equal("\U0001F600", item.Event!.Name);
    }

    [Theory]
    [InlineData(EventBodyFormat.Json)]
    [InlineData(EventBodyFormat.Ndjson)]
    public void Parse_5000Events_Parsed(EventBodyFormat format)
    {
        var result = Parse(Events(EventBatchParser.MaxEvents, format), format);

        Assert.Equal(EventBatchOutcome.Parsed, result.Outcome);
        Assert.Equal(EventBatchParser.MaxEvents, result.Items.Count);
    }

    [Theory]
    [InlineData(EventBodyFormat.Json)]
    [InlineData(EventBodyFormat.Ndjson)]
    public void Parse_5001Events_TooLarge(EventBodyFormat format)
    {
        var result = Parse(Events(EventBatchParser.MaxEvents + 1, format), format);

        Assert.Equal(EventBatchOutcome.TooLarge, result.Outcome);
        Assert.Empty(result.Items);
    }

    [Fact]
    public async Task ParseAsync_BodyOfExactly10MiB_Parsed()
    {
        var body = PaddedBody(EventBatchParser.MaxBodyBytes);

        var result = await ParseAsync(body, gzip: false);

        Assert.Equal(EventBatchOutcome.Parsed, result.Outcome);
    }

    [Fact]
    public async Task ParseAsync_BodyOf10MiBPlusOne_TooLarge()
    {
        var body = PaddedBody(EventBatchParser.MaxBodyBytes + 1);

        var result = await ParseAsync(body, gzip: false);

        Assert.Equal(EventBatchOutcome.TooLarge, result.Outcome);
    }

    [Fact]
    public async Task ParseAsync_Gzip_Inflated()
    {
        var body = Gzip(Encoding.UTF8.GetBytes("""[{"name":"a"},{"name":"b"}]"""));

        var result = await ParseAsync(body, gzip: true);

        Assert.Equal(["a", "b"], result.Items.Select(i => i.Event!.Name));
    }

    [Fact]
    public async Task ParseAsync_GzipInflatingPast10MiB_TooLarge()
    {
        var body = Gzip(PaddedBody(EventBatchParser.MaxBodyBytes + 1));

        var result = await ParseAsync(body, gzip: true);

        Assert.Equal(EventBatchOutcome.TooLarge, result.Outcome);
    }

    [Fact]
    public async Task ParseAsync_GzipBomb_RefusedWithoutInflatingItAll()
    {
        // 256 MiB of spaces compress to a few hundred KiB; reading must stop soon after 10 MiB came out.
        var bomb = GzipBomb(256);
        var stream = new CountingStream(new MemoryStream(bomb));

        var result = await _parser.ParseAsync(stream, EventBodyFormat.Json, true, Tenant, null, default);

        Assert.Equal(EventBatchOutcome.TooLarge, result.Outcome);
        Assert.True(stream.BytesRead < bomb.Length / 4, $"read {stream.BytesRead} of {bomb.Length} bytes");
    }

    [Fact]
    public async Task ParseAsync_NotGzip_InvalidBody()
    {
        var body = Encoding.UTF8.GetBytes("""{"name":"a"}""");

        var result = await ParseAsync(body, gzip: true);

        Assert.Equal(EventBatchOutcome.Invalid, result.Outcome);
        Assert.Equal("body", Assert.Single(result.Errors).Field);
    }

    [Fact]
    public async Task ParseAsync_LeaseCannotGrow_OverloadedAndBudgetReturnedOnDispose()
    {
        var budget = new EventBodyBudget(100 * 1024);
        var body = PaddedBody(EventBatchParser.MaxBodyBytes);

        EventBatchParseResult result;
        using (var lease = budget.CreateLease())
        {
            result = await ParseAsync(body, gzip: false, lease);
        }

        Assert.Equal(EventBatchOutcome.Overloaded, result.Outcome);
        Assert.Equal(0, budget.InUse);
    }

    [Fact]
    public async Task ParseAsync_SmallBodyWithinBudget_LeaseHoldsTheBufferUntilDisposed()
    {
        var budget = new EventBodyBudget(1024 * 1024);
        using var lease = budget.CreateLease();

        var result = await _parser.ParseAsync(
            new MemoryStream("""{"name":"a"}"""u8.ToArray()), EventBodyFormat.Json, false, Tenant, lease, default);

        Assert.Equal(EventBatchOutcome.Parsed, result.Outcome);
        Assert.True(budget.InUse > 0);
        Assert.Equal(lease.Reserved, budget.InUse);
    }

    private EventBatchParseResult Parse(string body, EventBodyFormat format = EventBodyFormat.Json) =>
        _parser.Parse(Encoding.UTF8.GetBytes(body), format, Tenant);

    private Task<EventBatchParseResult> ParseAsync(byte[] body, bool gzip, EventBodyLease? lease = null) =>
        _parser.ParseAsync(new MemoryStream(body), EventBodyFormat.Json, gzip, Tenant, lease, default);

    private EventItem Accepted(string body)
    {
        var result = Parse(body);
        Assert.Equal(EventBatchOutcome.Parsed, result.Outcome);
        var item = Assert.Single(result.Items);
        Assert.Null(item.Reason);
        Assert.NotNull(item.Event);
        return item;
    }

    private static void AssertInvalid(EventBatchParseResult result, int index, string reason)
    {
        Assert.Equal(EventBatchOutcome.Invalid, result.Outcome);
        var error = Assert.Single(result.Errors);
        Assert.Equal(index, error.Index);
        Assert.Equal(reason, error.Reason);
        Assert.Empty(result.Items);
    }

    private static string Events(int count, EventBodyFormat format)
    {
        var items = Enumerable.Range(0, count).Select(i => $$"""{"name":"e","id":"{{i}}"}""");
        return format == EventBodyFormat.Json ? "[" + string.Join(",", items) + "]" : string.Join("\n", items);
    }

    /// <summary>A valid one-event body padded with whitespace to exactly <paramref name="size"/> bytes.</summary>
    private static byte[] PaddedBody(int size)
    {
        var body = new byte[size];
        Array.Fill(body, (byte)' ');
        """{"name":"a"}"""u8.CopyTo(body);
        return body;
    }

    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }

    private static byte[] GzipBomb(int mebibytes)
    {
        var chunk = new byte[1024 * 1024];
        Array.Fill(chunk, (byte)' ');
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
        {
            for (var i = 0; i < mebibytes; i++) gzip.Write(chunk);
        }

        return output.ToArray();
    }

    private sealed class CountingStream(Stream inner) : Stream
    {
        public long BytesRead { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var read = inner.Read(buffer, offset, count);
            BytesRead += read;
            return read;
        }

        public override async ValueTask<int> ReadAsync(
            Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer, cancellationToken);
            BytesRead += read;
            return read;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
