using System.Text;

namespace ComfySnap.Diffusion.Text;

/// <summary>
/// The text clean-up of transformers' CLIPTokenizer as ComfyUI runs it (sdref CLIPBPE.encode):
/// NFC, every run of whitespace to one space, trimmed, lower-cased; all with Python's definitions
/// of whitespace and lower case. (No ftfy and no HTML unescaping: the HF tokenizer does neither.)
/// </summary>
public static class ClipTextNormalizer
{
    public static string Normalize(string text) => PythonText.Lower(CollapseWhitespace(UnicodeNfc.Normalize(text)));

    private static string CollapseWhitespace(string text)
    {
        var result = new StringBuilder(text.Length);
        var pendingSpace = false;
        foreach (var c in text)
        {
            if (PythonText.IsSpace(c))
            {
                pendingSpace = result.Length > 0;  // leading whitespace is dropped
            }
            else
            {
                if (pendingSpace)
                {
                    result.Append(' ');
                    pendingSpace = false;
                }

                result.Append(c);
            }
        }

        return result.ToString();  // trailing whitespace was never appended
    }
}
