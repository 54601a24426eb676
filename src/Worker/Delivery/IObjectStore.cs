namespace ComfySnap.Worker.Delivery;

/// <summary>The object store as delivery and <c>s3://</c> inputs use it: whole objects, one request each.</summary>
public interface IObjectStore
{
    /// <summary>Writes the whole object in one request: it is visible complete or not at all.</summary>
    Task PutAsync(string bucket, string key, ReadOnlyMemory<byte> bytes, string contentType, string sha256, CancellationToken cancellationToken);

    /// <summary>Reads a whole object; <see cref="ObjectTooLargeException"/> beyond <paramref name="maxBytes"/>, <see cref="FileNotFoundException"/> when it does not exist.</summary>
    Task<byte[]> GetAsync(string bucket, string key, long maxBytes, CancellationToken cancellationToken);

    Task DeleteAsync(string bucket, string key, CancellationToken cancellationToken);

    /// <summary>The object's HTTP(S) address at the store's endpoint.</summary>
    string UrlOf(string bucket, string key);
}

/// <summary>An object larger than the caller accepts.</summary>
public sealed class ObjectTooLargeException(string message) : Exception(message);
