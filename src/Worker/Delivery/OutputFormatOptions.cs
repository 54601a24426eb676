using System.ComponentModel.DataAnnotations;
using ComfySnap.Contracts;

namespace ComfySnap.Worker.Delivery;

/// <summary>The worker's default encoding of image outputs ("Output" section); a job's <c>Delivery.Format</c>/<c>Quality</c> override it.</summary>
public sealed class OutputFormatOptions
{
    public const string SectionName = "Output";

    /// <summary>Png (the bytes SaveImage writes), Webp or Jpeg.</summary>
    [EnumDataType(typeof(OutputFormat))]
    public OutputFormat Format { get; set; } = OutputFormat.Png;

    /// <summary>WebP and JPEG quality; WebP at 100 is lossless.</summary>
    [Range(1, 100)]
    public int Quality { get; set; } = 90;
}
