namespace ComfySnap.NodeSdk;

/// <summary>Where a file-name input is resolved: the model store (by kind) or the input folder.</summary>
public enum FileSource
{
    None,
    Model,
    InputFolder,
    OutputPrefix,
}

/// <summary>
/// One declared input of a node, like an entry of ComfyUI's INPUT_TYPES: name, type, default,
/// range, choices and whether it is required. Build them with the static factories.
/// </summary>
public sealed record InputSpec(string Name, string Type)
{
    public bool Required { get; init; } = true;

    public object? Default { get; init; }

    public double? Min { get; init; }

    public double? Max { get; init; }

    /// <summary>The widget step ComfyUI advertises (null: 1 for INT, 0.01 for FLOAT).</summary>
    public double? Step { get; init; }

    public IReadOnlyList<string>? Choices { get; init; }

    /// <summary>For file names: where they resolve, and for models the model kind (e.g. "upscale_models").</summary>
    public FileSource FileSource { get; init; }

    public string? ModelKind { get; init; }

    public static InputSpec Link(string name, string type) => new(name, type);

    public static InputSpec Int(string name, long @default, long min = long.MinValue, long max = long.MaxValue) =>
        new(name, ComfyTypes.Int) { Default = @default, Min = min, Max = max };

    public static InputSpec Float(string name, double @default, double min = double.MinValue, double max = double.MaxValue) =>
        new(name, ComfyTypes.Float) { Default = @default, Min = min, Max = max };

    public static InputSpec String(string name, string @default = "") => new(name, ComfyTypes.String) { Default = @default };

    public static InputSpec Boolean(string name, bool @default) => new(name, ComfyTypes.Boolean) { Default = @default };

    public static InputSpec Choice(string name, IReadOnlyList<string> choices, string? @default = null) =>
        new(name, ComfyTypes.Combo) { Choices = choices, Default = @default ?? choices[0] };

    /// <summary>A model file name that must exist in the model store under <paramref name="kind"/>.</summary>
    public static InputSpec ModelFile(string name, string kind) =>
        new(name, ComfyTypes.Combo) { FileSource = FileSource.Model, ModelKind = kind };

    /// <summary>A file name inside the worker's input folder.</summary>
    public static InputSpec InputFile(string name) => new(name, ComfyTypes.Combo) { FileSource = FileSource.InputFolder };

    /// <summary>An output file-name prefix that must stay inside the output folder.</summary>
    public static InputSpec OutputPrefix(string name, string @default) =>
        new(name, ComfyTypes.String) { Default = @default, FileSource = FileSource.OutputPrefix };

    public InputSpec AsOptional() => this with { Required = false };

    public InputSpec WithStep(double step) => this with { Step = step };
}
