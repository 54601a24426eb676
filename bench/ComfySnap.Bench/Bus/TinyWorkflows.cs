using System.Globalization;

namespace ComfySnap.Bench.Bus;

/// <summary>The bus suites' workflows: an 8x8 image, previewed; <c>variant</c> picks its colour, so each variant has its own cache key.</summary>
public static class TinyWorkflows
{
    private const string Template = """
        {"1":{"class_type":"EmptyImage","inputs":{"width":8,"height":8,"batch_size":1,"color":COLOR}},
         "2":{"class_type":"PreviewImage","inputs":{"images":["1",0]}}}
        """;

    public static string Render(int variant) =>
        Template.Replace("COLOR", (variant % 0x1000000).ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
}
