namespace ComfySnap.Contracts;

/// <summary>How image outputs are encoded (<see cref="OutputDelivery.Format"/>).</summary>
public enum OutputFormat
{
    /// <summary>PNG, lossless, the bytes SaveImage writes (the default).</summary>
    Png = 0,

    /// <summary>WebP, lossy at <see cref="OutputDelivery.Quality"/> (100: lossless).</summary>
    Webp = 1,

    /// <summary>JPEG at <see cref="OutputDelivery.Quality"/>; alpha is dropped.</summary>
    Jpeg = 2,
}
