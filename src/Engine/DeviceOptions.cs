namespace ComfySnap.Engine;

/// <summary>Which device compute runs on. Bound from the "Device" configuration section.</summary>
public sealed class DeviceOptions
{
    public const string SectionName = "Device";

    /// <summary>"auto" (CUDA when this is a CUDA build and a GPU is there, else CPU), "cpu" or "cuda".</summary>
    public string Preference { get; set; } = "auto";
}
