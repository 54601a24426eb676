using ComfySnap.NodeSdk;

namespace ComfySnap.Tests.ModelUrls;

/// <summary>The pinned model URL form: https://host/path/file.ext#sha256=&lt;64 hex&gt;.</summary>
public sealed class ModelUrlTests
{
    private const string Sha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    [Fact]
    public void Pinned_url_parses_into_location_hash_and_extension()
    {
        var url = ModelUrl.TryParse($"https://models.example.com/sd/v1-5.safetensors?token=x#sha256={Sha.ToUpperInvariant()}", out var error);

        Assert.Null(error);
        Assert.NotNull(url);
        Assert.Equal("https://models.example.com/sd/v1-5.safetensors?token=x", url.Location.AbsoluteUri);
        Assert.Equal(Sha, url.Sha256);
        Assert.Equal(".safetensors", url.Extension);
        Assert.Equal($"{Sha}.safetensors", url.CacheFileName);
    }

    [Fact]
    public void Identity_drops_user_info_and_query_keeps_the_full_hash_and_parses_to_the_same_file()
    {
        var raw = $"https://user:secret@models.example.com:8443/m.safetensors?token=abc#sha256={Sha}";

        var identity = ModelUrl.IdentityName(raw);

        Assert.Equal($"https://models.example.com:8443/m.safetensors#sha256={Sha}", identity);
        Assert.Equal(ModelUrl.TryParse(raw, out _)!.CacheFileName, ModelUrl.TryParse(identity, out _)!.CacheFileName);
        Assert.Equal(identity, ModelUrl.IdentityName(identity));
        Assert.Equal("plain.safetensors", ModelUrl.IdentityName("plain.safetensors"));
    }

    [Fact]
    public void Shown_url_has_no_user_info_or_query()
    {
        var shown = ModelUrl.ShownName($"https://user:secret@models.example.com/m.safetensors?token=abc#sha256={Sha}");

        Assert.Equal($"https://models.example.com/m.safetensors#sha256={Sha[..12]}...", shown);
        Assert.Equal("plain.safetensors", ModelUrl.ShownName("plain.safetensors"));
    }

    [Theory]
    [InlineData("https://h/m.safetensors", "#sha256=")]
    [InlineData("https://h/m.safetensors#sha256=abc", "#sha256=")]
    [InlineData("https://h/m.safetensors#md5=0123", "#sha256=")]
    [InlineData("https://h/page.html#sha256=" + Sha, "model file")]
    [InlineData("ftp://h/m.safetensors#sha256=" + Sha, "http(s)")]
    public void Unpinned_or_unusable_url_is_refused_with_its_reason(string value, string reason)
    {
        Assert.Null(ModelUrl.TryParse(value, out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("v1-5.safetensors", false)]
    [InlineData("sub/model.ckpt", false)]
    [InlineData("http://h/m.pth", true)]
    [InlineData("HTTPS://h/m.pth", true)]
    public void Only_http_and_https_values_are_taken_for_urls(string value, bool url) =>
        Assert.Equal(url, ModelUrl.LooksLikeUrl(value));
}
