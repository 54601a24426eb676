using System.Security.Cryptography;
using System.Text;
using ComfySnap.Worker.Webhooks;

namespace ComfySnap.Tests.Webhooks;

/// <summary>X-ComfySnap-Signature: t=&lt;unix&gt;,v1=&lt;hex HMAC-SHA256 of "t." + body&gt;.</summary>
public sealed class WebhookSignatureTests
{
    private static readonly byte[] Key = Encoding.UTF8.GetBytes("whsec-test-key");
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);

    [Fact]
    public void The_header_is_an_hmac_of_timestamp_dot_body_that_any_hmac_library_reproduces()
    {
        var body = """{"event":"workflow.completed","jobId":"j"}"""u8.ToArray();
        var header = WebhookSignature.Compute(Key, Now.ToUnixTimeSeconds(), body);

        var expected = Convert.ToHexStringLower(HMACSHA256.HashData(Key, (byte[])[.. "1800000000."u8, .. body]));
        Assert.Equal($"t=1800000000,v1={expected}", header);
        Assert.True(WebhookSignature.Verify(header, body, Key, Now.AddSeconds(30), TimeSpan.FromMinutes(5)));
    }

    [Fact]
    public void A_changed_body_another_key_a_changed_time_or_an_old_signature_does_not_verify()
    {
        var body = """{"jobId":"j"}"""u8.ToArray();
        var header = WebhookSignature.Compute(Key, Now.ToUnixTimeSeconds(), body);
        var tolerance = TimeSpan.FromMinutes(5);

        Assert.False(WebhookSignature.Verify(header, """{"jobId":"k"}"""u8, Key, Now, tolerance));
        Assert.False(WebhookSignature.Verify(header, body, "other"u8.ToArray(), Now, tolerance));
        Assert.False(WebhookSignature.Verify(header.Replace("t=1800000000", "t=1800000001", StringComparison.Ordinal), body, Key, Now, tolerance));
        Assert.False(WebhookSignature.Verify(header, body, Key, Now.AddMinutes(6), tolerance));
        Assert.False(WebhookSignature.Verify("v1=00", body, Key, Now, tolerance));
        Assert.False(WebhookSignature.Verify("garbage", body, Key, Now, tolerance));
    }
}
