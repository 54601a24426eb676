using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace ComfySnap.TestSupport;

/// <summary>
/// A bucket of its own on the test object store (created empty, emptied and deleted on dispose), and
/// what tests look at in it: the keys and the objects' bytes.
/// </summary>
public sealed class TestBuckets : IAsyncDisposable
{
    private readonly AmazonS3Client _client;
    private readonly List<string> _created = [];

    public TestBuckets()
    {
        _client = new AmazonS3Client(
            new BasicAWSCredentials(TestEnvironment.S3AccessKey, TestEnvironment.S3SecretKey),
            new AmazonS3Config
            {
                ServiceURL = TestEnvironment.S3ServiceUrl,
                ForcePathStyle = true,
                AuthenticationRegion = "us-east-1",
                RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
                ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            });
    }

    /// <summary>A unique bucket name (never created).</summary>
    public static string NewName(string purpose) => $"test-{purpose}-{Guid.NewGuid():N}"[..40].TrimEnd('-');

    public async Task<string> CreateAsync(string purpose)
    {
        var name = NewName(purpose);
        await _client.PutBucketAsync(name);
        _created.Add(name);
        return name;
    }

    public async Task<IReadOnlyList<string>> KeysAsync(string bucket)
    {
        var response = await _client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket });
        return [.. (response.S3Objects ?? []).Select(o => o.Key).Order(StringComparer.Ordinal)];
    }

    public async Task<byte[]> GetAsync(string bucket, string key)
    {
        using var response = await _client.GetObjectAsync(bucket, key);
        using var bytes = new MemoryStream();
        await response.ResponseStream.CopyToAsync(bytes);
        return bytes.ToArray();
    }

    public async Task PutAsync(string bucket, string key, byte[] bytes, string contentType)
    {
        using var body = new MemoryStream(bytes);
        await _client.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, InputStream = body, ContentType = contentType, UseChunkEncoding = false });
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var bucket in _created)
        {
            try
            {
                foreach (var key in await KeysAsync(bucket))
                {
                    await _client.DeleteObjectAsync(bucket, key);
                }

                await _client.DeleteBucketAsync(bucket);
            }
            catch (AmazonServiceException)
            {
                // best effort: a leftover test bucket holds a few small files
            }
        }

        _client.Dispose();
    }
}
