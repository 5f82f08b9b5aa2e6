using System.Net.Http.Headers;
using System.Text;
using Tollgate.Providers.Bedrock;

namespace Tollgate.Tests.Providers.Bedrock;

/// <summary>
/// The signer against AWS's published Signature Version 4 examples: the signing test suite
/// (credential <c>AKIDEXAMPLE</c>, region <c>us-east-1</c>, service <c>service</c>, 2015-08-30T12:36:00Z)
/// and the S3 GET Object example of the S3 API reference, with their published signatures.
/// </summary>
public sealed class SigV4SignerTests
{
    private const string SuiteKeyId = "AKIDEXAMPLE";
    private const string SuiteSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    private static readonly DateTimeOffset SuiteTime = new(2015, 8, 30, 12, 36, 0, TimeSpan.Zero);

    [Theory]
    // get-vanilla
    [InlineData("GET", "https://example.amazonaws.com/", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")]
    // get-vanilla-query-order-key-case: the query is sorted before signing
    [InlineData("GET", "https://example.amazonaws.com/?Param2=value2&Param1=value1", "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500")]
    // post-vanilla: no body signs the hash of the empty string
    [InlineData("POST", "https://example.amazonaws.com/", "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b")]
    public void Sign_AwsTestSuiteRequest_ProducesThePublishedAuthorization(string method, string url, string signature)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), url);

        SigV4Signer.Sign(request, [], SuiteKeyId, SuiteSecret, "us-east-1", "service", SuiteTime);

        Assert.Equal("20150830T123600Z", Assert.Single(request.Headers.GetValues("x-amz-date")));
        Assert.Equal(
            $"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature={signature}",
            Assert.Single(request.Headers.GetValues("Authorization")));
    }

    [Fact]
    public void Steps_AwsTestSuiteGetUtf8_SignTheEncodedPath()
    {
        // get-utf8: GET /ሴ, whose canonical URI is the UTF-8 bytes percent-encoded.
        var headers = new List<(string Name, string Value)> { ("x-amz-date", "20150830T123600Z"), ("host", "example.amazonaws.com") };
        var signed = SigV4Signer.SignedHeaders(headers);
        var canonical = SigV4Signer.CanonicalRequest("GET", SigV4Signer.Encode("/\u1234", keepSlash: true), "", headers, signed, SigV4Signer.HexSha256([]));

        var signature = SigV4Signer.Signature(
            SigV4Signer.SigningKey(SuiteSecret, "20150830", "us-east-1", "service"),
            SigV4Signer.StringToSign("20150830T123600Z", SigV4Signer.Scope("20150830", "us-east-1", "service"), canonical));

        Assert.StartsWith("GET\n/%E1%88%B4\n\n", canonical, StringComparison.Ordinal);
        Assert.Equal("8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85", signature);
    }

    [Fact]
    public void Steps_S3GetObjectExample_MatchThePublishedIntermediateValuesAndSignature()
    {
        // The S3 API reference's "GET Object" example: examplebucket, /test.txt, Range bytes=0-9.
        const string emptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        var headers = new List<(string Name, string Value)>
        {
            ("x-amz-date", "20130524T000000Z"), ("range", "bytes=0-9"), ("host", "examplebucket.s3.amazonaws.com"), ("x-amz-content-sha256", emptyHash),
        };
        var signed = SigV4Signer.SignedHeaders(headers);
        var canonical = SigV4Signer.CanonicalRequest("GET", SigV4Signer.CanonicalUri("/test.txt", encodeTwice: false), "", headers, signed, emptyHash);
        var toSign = SigV4Signer.StringToSign("20130524T000000Z", SigV4Signer.Scope("20130524", "us-east-1", "s3"), canonical);

        var signature = SigV4Signer.Signature(SigV4Signer.SigningKey("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "20130524", "us-east-1", "s3"), toSign);

        Assert.Equal("host;range;x-amz-content-sha256;x-amz-date", signed);
        Assert.Equal(
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972",
            toSign);
        Assert.Equal("f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41", signature);
    }

    [Fact]
    public void Sign_BedrockRequest_SignsContentTypeHostDateAndThePathEncodedTwice()
    {
        var body = Encoding.UTF8.GetBytes("""{"messages":[]}""");
        using var request = new HttpRequestMessage(HttpMethod.Post, "https://bedrock-runtime.us-west-2.amazonaws.com/model/anthropic.claude-v2%3A1/converse")
        {
            Content = new ByteArrayContent(body),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        SigV4Signer.Sign(request, body, "AKIDEXAMPLE", SuiteSecret, "us-west-2", "bedrock", SuiteTime);

        // The same signature computed step by step from the canonical request AWS would rebuild.
        var headers = new List<(string Name, string Value)>
        {
            ("content-type", "application/json"), ("host", "bedrock-runtime.us-west-2.amazonaws.com"), ("x-amz-date", "20150830T123600Z"),
        };
        var canonical = SigV4Signer.CanonicalRequest("POST", "/model/anthropic.claude-v2%253A1/converse", "", headers, "content-type;host;x-amz-date", SigV4Signer.HexSha256(body));
        var expected = SigV4Signer.Signature(
            SigV4Signer.SigningKey(SuiteSecret, "20150830", "us-west-2", "bedrock"),
            SigV4Signer.StringToSign("20150830T123600Z", "20150830/us-west-2/bedrock/aws4_request", canonical));
        Assert.Equal("/model/anthropic.claude-v2%253A1/converse", SigV4Signer.CanonicalUri(request.RequestUri!.AbsolutePath, encodeTwice: true));
        Assert.Equal(
            $"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-west-2/bedrock/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature={expected}",
            Assert.Single(request.Headers.GetValues("Authorization")));
    }

    [Fact]
    public void Sign_AwsTestSuitePostStsHeaderBefore_SignsTheSessionTokenAndProducesThePublishedAuthorization()
    {
        // post-sts-token/post-sts-header-before: the suite's example session token, signed as a header.
        const string token =
            "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/"
            + "kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+"
            + "scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";
        using var request = new HttpRequestMessage(HttpMethod.Post, "https://example.amazonaws.com/");

        SigV4Signer.Sign(request, [], SuiteKeyId, SuiteSecret, "us-east-1", "service", SuiteTime, token);

        Assert.Equal(token, Assert.Single(request.Headers.GetValues("x-amz-security-token")));
        Assert.Equal(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, "
            + "Signature=85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead",
            Assert.Single(request.Headers.GetValues("Authorization")));
    }

    [Fact]
    public void Sign_WithoutSessionToken_SendsNoSecurityTokenHeader()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "https://example.amazonaws.com/");

        SigV4Signer.Sign(request, [], SuiteKeyId, SuiteSecret, "us-east-1", "service", SuiteTime, sessionToken: null);

        Assert.False(request.Headers.Contains("x-amz-security-token"));
        Assert.Contains("SignedHeaders=host;x-amz-date,", Assert.Single(request.Headers.GetValues("Authorization")), StringComparison.Ordinal);
    }
}
