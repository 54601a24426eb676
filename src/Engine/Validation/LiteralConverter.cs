using System.Globalization;
using System.Text.Json;
using ComfySnap.NodeSdk;

namespace ComfySnap.Engine.Validation;

/// <summary>Converts a literal JSON input to its declared type the way ComfyUI does (int("5") works).</summary>
internal static class LiteralConverter
{
    public static bool TryConvert(JsonElement value, string type, out object? converted)
    {
        converted = null;
        switch (type)
        {
            case ComfyTypes.Int:
                if (value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var d) && Math.Abs(d) < 9.2e18)
                {
                    converted = (long)Math.Truncate(d);
                    return true;
                }

                if (value.ValueKind == JsonValueKind.String && long.TryParse(value.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var l))
                {
                    converted = l;
                    return true;
                }

                return false;
            case ComfyTypes.Float:
                if (value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var f))
                {
                    converted = f;
                    return true;
                }

                if (value.ValueKind == JsonValueKind.String && double.TryParse(value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var fs))
                {
                    converted = fs;
                    return true;
                }

                return false;
            case ComfyTypes.Boolean:
                if (value.ValueKind is JsonValueKind.True or JsonValueKind.False)
                {
                    converted = value.GetBoolean();
                    return true;
                }

                return false;
            case ComfyTypes.String or ComfyTypes.Combo:
                converted = value.ValueKind switch
                {
                    JsonValueKind.String => value.GetString(),
                    JsonValueKind.Number => value.GetRawText(),
                    _ => null,
                };
                return converted is not null;
            default:
                return false;
        }
    }
}
