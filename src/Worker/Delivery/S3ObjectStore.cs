using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Options;

namespace ComfySnap.Worker.Delivery;

/// <summary>
/// <see cref="IObjectStore"/> over AWSSDK.S3, for AWS S3 and S3-compatible servers (MinIO, Ceph,
/// the project's own s3rver). Requests are signed with SigV4 over the whole payload, without
/// aws-chunked encoding or trailing checksums, which every S3-compatible server understands; the
/// SDK's own retries are off so <see cref="OutputUploader"/> decides (and logs) each attempt.
/// </summary>
public sealed class S3ObjectStore : IObjectStore, IDisposable
{
    private readonly AmazonS3Client? _client;
    private readonly Uri? _endpoint;
    private readonly bool _pathStyle;

    public S3ObjectStore(IOptions<ObjectStoreOptions> options)
    {
        var o = options.Value;
        if (!o.IsConfigured)
        {
            // A worker without a store: DeliveryPlan never names a target and no s3:// input is read.
            return;
        }

        _endpoint = new Uri(o.ServiceUrl!.TrimEnd('/') + "/");
        _pathStyle = o.ForcePathStyle;
        var config = new AmazonS3Config
        {
            ServiceURL = o.ServiceUrl,
            AuthenticationRegion = o.Region,
            ForcePathStyle = o.ForcePathStyle,
            MaxErrorRetry = 0,
            Timeout = o.RequestTimeout,
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        _client = string.IsNullOrEmpty(o.AccessKey)
            ? new AmazonS3Client(config)
            : new AmazonS3Client(new BasicAWSCredentials(o.AccessKey, o.SecretKey), config);
    }

    private AmazonS3Client Client => _client ?? throw new InvalidOperationException("this worker has no object store (ObjectStore:ServiceUrl)");

    public async Task PutAsync(string bucket, string key, ReadOnlyMemory<byte> bytes, string contentType, string sha256, CancellationToken cancellationToken)
    {
        using var body = new MemoryStream(bytes.ToArray(), writable: false);
        var request = new PutObjectRequest
        {
            BucketName = bucket,
            Key = key,
            InputStream = body,
            ContentType = contentType,
            UseChunkEncoding = false,
            AutoCloseStream = false,
        };
        request.Metadata["sha256"] = sha256;
        await Client.PutObjectAsync(request, cancellationToken).ConfigureAwait(false);
    }

    public async Task<byte[]> GetAsync(string bucket, string key, long maxBytes, CancellationToken cancellationToken)
    {
        GetObjectResponse response;
        try
        {
            response = await Client.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = key }, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            throw new FileNotFoundException($"s3://{bucket}/{key} does not exist ({e.ErrorCode})", e);
        }

        using (response)
        {
            if (response.ContentLength > maxBytes)
            {
                throw new ObjectTooLargeException($"s3://{bucket}/{key} is {response.ContentLength} bytes; at most {maxBytes} are accepted (ObjectStore:MaxInputBytes)");
            }

            using var buffer = new MemoryStream((int)Math.Max(0, response.ContentLength));
            await response.ResponseStream.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
            return buffer.ToArray();
        }
    }

    public Task DeleteAsync(string bucket, string key, CancellationToken cancellationToken) =>
        Client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = bucket, Key = key }, cancellationToken);

    public string UrlOf(string bucket, string key)
    {
        var endpoint = _endpoint ?? throw new InvalidOperationException("this worker has no object store (ObjectStore:ServiceUrl)");
        var escapedKey = string.Join('/', key.Split('/').Select(Uri.EscapeDataString));
        return _pathStyle
            ? new Uri(endpoint, $"{bucket}/{escapedKey}").AbsoluteUri
            : new UriBuilder(endpoint) { Host = $"{bucket}.{endpoint.Host}", Path = endpoint.AbsolutePath + escapedKey }.Uri.AbsoluteUri;
    }

    public void Dispose() => _client?.Dispose();
}
