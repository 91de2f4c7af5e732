using System.Text.Json;
using System.Text.Json.Nodes;
using LyzerHub.Server.Metrics;

namespace LyzerHub.Server.Tests.Metrics;

public sealed class MetricQueryParserTests
{
    private const string Valid = """
        {"event": "http_request", "measure": "count", "property": null,
         "from": "2015-05-17T00:00:00-04:00", "to": "2015-05-21T00:00:00-04:00",
         "interval": "day", "timezone": "America/New_York",
         "filters": [{"property": "status", "op": "gte", "value": 400}],
         "breakdown": "path", "limit": 10}
        """;

    [Fact]
    public void Parse_ProductExample_GivesQuery()
    {
        var query = Parse(Valid, out var errors);

        Assert.Empty(errors);
        Assert.NotNull(query);
        Assert.Equal("http_request", query.Event);
        Assert.Equal(Measure.Count, query.Measure);
        Assert.Equal(MetricInterval.Day, query.Interval);
        Assert.Equal("America/New_York", query.TimeZone.Id);
        Assert.Equal(new DateTimeOffset(2015, 5, 17, 0, 0, 0, TimeSpan.FromHours(-4)), query.From);
        var filter = Assert.Single(query.Filters);
        Assert.Equal(("status", FilterOp.Gte, 400), (filter.Property, filter.Op, filter.Value.GetInt32()));
        Assert.Equal(("path", 10), (query.Breakdown, query.Limit));
    }

    [Fact]
    public void Parse_OnlyRequiredFields_UsesDefaults()
    {
        var query = Parse("""{"event":"e","from":"2024-01-01T00:00:00Z","to":"2024-01-02T00:00:00Z"}""", out _);

        Assert.NotNull(query);
        Assert.Equal((Measure.Count, MetricInterval.None, "UTC", 10), (query.Measure, query.Interval,
            query.TimeZone.Id, query.Limit));
        Assert.Empty(query.Filters);
    }

    [Theory]
    [InlineData("measure", "\"median\"", "measure")]
    [InlineData("interval", "\"year\"", "interval")]
    [InlineData("timezone", "\"Mars/Olympus\"", "timezone")]
    [InlineData("timezone", "\"Eastern Standard Time\"", "timezone")]
    [InlineData("timezone", "5", "timezone")]
    [InlineData("from", "\"2015-05-21T00:00:00-04:00\"", "to")]
    [InlineData("from", "\"2015-05-17T00:00:00\"", "from")]
    [InlineData("from", "\"yesterday\"", "from")]
    [InlineData("to", "null", "to")]
    [InlineData("event", "\"\"", "event")]
    [InlineData("event", "7", "event")]
    [InlineData("property", "\"ms\"", "property")]
    [InlineData("limit", "0", "limit")]
    [InlineData("limit", "1001", "limit")]
    [InlineData("limit", "2.5", "limit")]
    [InlineData("filters", "{}", "filters")]
    [InlineData("filters", "[{\"property\":\"s\",\"op\":\"like\",\"value\":1}]", "filters[0].op")]
    [InlineData("filters", "[{\"property\":\"s\",\"op\":\"eq\",\"value\":null}]", "filters[0].value")]
    [InlineData("filters", "[{\"property\":\"s\",\"op\":\"eq\",\"value\":[1]}]", "filters[0].value")]
    [InlineData("filters", "[{\"property\":\"s\",\"op\":\"in\",\"value\":1}]", "filters[0].value")]
    [InlineData("filters", "[{\"property\":\"s\",\"op\":\"contains\",\"value\":1}]", "filters[0].value")]
    [InlineData("filters", "[{\"op\":\"eq\",\"value\":1}]", "filters[0].property")]
    [InlineData("breakdown", "3", "breakdown")]
    public void Parse_InvalidField_NamesThatField(string field, string json, string expectedField)
    {
        var body = JsonNode.Parse(Valid)!.AsObject();
        body[field] = JsonNode.Parse(json);

        var query = Parse(body.ToJsonString(), out var errors);

        Assert.Null(query);
        Assert.Contains(errors, e => e.Field == expectedField);
    }

    [Theory]
    [InlineData("sum")]
    [InlineData("avg")]
    [InlineData("p99")]
    public void Parse_NumericMeasureWithoutProperty_IsRejected(string measure)
    {
        var body = JsonNode.Parse(Valid)!.AsObject();
        body["measure"] = measure;

        Parse(body.ToJsonString(), out var errors);

        Assert.Equal("property", Assert.Single(errors).Field);
    }

    [Fact]
    public void Parse_UniqueWithOrWithoutProperty_IsAccepted()
    {
        var body = JsonNode.Parse(Valid)!.AsObject();
        body["measure"] = "unique";

        var without = Parse(body.ToJsonString(), out _);
        body["property"] = "user";
        var with = Parse(body.ToJsonString(), out _);

        Assert.NotNull(without);
        Assert.Equal("user", with!.Property);
    }

    [Fact]
    public void Parse_MoreThan10000Buckets_IsRejected()
    {
        var body = JsonNode.Parse(Valid)!.AsObject();
        body["interval"] = "minute";
        body["to"] = "2015-05-27T00:00:00-04:00";
        body["breakdown"] = null;

        Parse(body.ToJsonString(), out var errors);

        Assert.Equal("interval", Assert.Single(errors).Field);
    }

    [Fact]
    public void Parse_MoreThan100000Points_IsRejected()
    {
        var body = JsonNode.Parse(Valid)!.AsObject();
        body["interval"] = "hour";
        body["to"] = "2015-06-17T00:00:00-04:00";
        body["limit"] = 1000;

        Parse(body.ToJsonString(), out var errors);

        Assert.Equal("limit", Assert.Single(errors).Field);
    }

    [Fact]
    public void Parse_SeveralInvalidFields_ListsEach()
    {
        var query = Parse("""{"measure":"x","interval":"y","limit":-1}""", out var errors);

        Assert.Null(query);
        Assert.Equal(
            ["event", "from", "interval", "limit", "measure", "to"],
            errors.Select(e => e.Field).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("\"text\"")]
    public void Parse_BodyNotObject_IsRejected(string json)
    {
        var query = Parse(json, out var errors);

        Assert.Null(query);
        Assert.Equal("body", Assert.Single(errors).Field);
    }

    private static MetricQuery? Parse(string json, out IReadOnlyList<Problems.FieldError> errors)
    {
        using var document = JsonDocument.Parse(json);
        return MetricQueryParser.Parse(document.RootElement, out errors);
    }
}
