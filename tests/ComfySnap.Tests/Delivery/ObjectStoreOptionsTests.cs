using System.ComponentModel.DataAnnotations;
using ComfySnap.Contracts;
using ComfySnap.Worker.Delivery;

namespace ComfySnap.Tests.Delivery;

/// <summary>ObjectStore and Output settings are checked at start, each problem named by its setting; per-job Delivery is merged over them.</summary>
public sealed class ObjectStoreOptionsTests
{
    private static List<string> Problems(object options)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        return [.. results.Select(r => r.ErrorMessage ?? "")];
    }

    private static ObjectStoreOptions Store(string? url = "http://127.0.0.1:9010", string? bucket = null) =>
        new() { ServiceUrl = url, AccessKey = "id", SecretKey = "secret-value", Bucket = bucket };

    [Fact]
    public void No_object_store_is_valid_and_uploads_nothing()
    {
        var options = new ObjectStoreOptions();
        Assert.Empty(Problems(options));
        Assert.False(options.IsConfigured);
    }

    [Fact]
    public void A_complete_store_is_valid() => Assert.Empty(Problems(Store(bucket: "outputs")));

    [Theory]
    [InlineData("ftp://host/", null, "ObjectStore:ServiceUrl")]
    [InlineData("not a url", null, "ObjectStore:ServiceUrl")]
    [InlineData(null, "outputs", "ObjectStore:Bucket is set but ObjectStore:ServiceUrl is not")]
    [InlineData("http://127.0.0.1:9010", "Bad_Bucket", "ObjectStore:Bucket: 'Bad_Bucket'")]
    public void Bad_settings_are_named(string? url, string? bucket, string expected)
    {
        var problems = Problems(Store(url, bucket));
        Assert.Contains(problems, p => p.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Keys_come_in_pairs_and_the_secret_is_never_in_a_message()
    {
        var options = Store();
        options.AccessKey = null;
        var problems = Problems(options);
        Assert.Contains(problems, p => p.Contains("ObjectStore:AccessKey and ObjectStore:SecretKey", StringComparison.Ordinal));
        Assert.DoesNotContain(problems, p => p.Contains("secret-value", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(101)]
    public void Output_quality_is_1_to_100(int quality) =>
        Assert.Contains(Problems(new OutputFormatOptions { Quality = quality }), p => p.Contains("Quality", StringComparison.Ordinal));

    [Fact]
    public void A_job_without_delivery_gets_the_worker_defaults()
    {
        var (plan, problem) = DeliveryPlan.Resolve(new RunWorkflow("j", "{}"), Store(bucket: "outputs"), new OutputFormatOptions { Format = OutputFormat.Webp, Quality = 80 });
        Assert.Null(problem);
        Assert.Equal(new DeliveryPlan(OutputFormat.Webp, 80, new ObjectTarget("outputs", "")), plan);
        Assert.Equal(":webp80", plan!.CacheKeySuffix);
    }

    [Fact]
    public void A_jobs_delivery_overrides_bucket_prefix_format_and_quality()
    {
        var job = new RunWorkflow("j", "{}", Delivery: new OutputDelivery(Bucket: "other", KeyPrefix: "p/", Format: OutputFormat.Jpeg, Quality: 70));
        var (plan, _) = DeliveryPlan.Resolve(job, Store(bucket: "outputs"), new OutputFormatOptions());
        Assert.Equal(new DeliveryPlan(OutputFormat.Jpeg, 70, new ObjectTarget("other", "p/")), plan);
    }

    [Fact]
    public void An_empty_bucket_asks_for_no_upload_even_where_the_worker_has_a_default()
    {
        var (plan, _) = DeliveryPlan.Resolve(new RunWorkflow("j", "{}", Delivery: new OutputDelivery(Bucket: "")), Store(bucket: "outputs"), new OutputFormatOptions());
        Assert.Null(plan!.Target);
    }

    [Fact]
    public void Png_without_a_bucket_changes_nothing()
    {
        var (plan, _) = DeliveryPlan.Resolve(new RunWorkflow("j", "{}"), new ObjectStoreOptions(), new OutputFormatOptions());
        Assert.True(plan!.IsDefault);
        Assert.Equal("", plan.CacheKeySuffix);
    }

    [Theory]
    [InlineData(null, "outputs", null, "has no object store")]
    [InlineData("http://127.0.0.1:9010", "Bad_Bucket", null, "'Bad_Bucket' is not a valid bucket name")]
    [InlineData("http://127.0.0.1:9010", "outputs", 0, "delivery.quality 0")]
    public void A_delivery_the_worker_cannot_honour_is_refused_with_the_reason(string? url, string bucket, int? quality, string expected)
    {
        var job = new RunWorkflow("j", "{}", Delivery: new OutputDelivery(Bucket: bucket, Quality: quality));
        var (plan, problem) = DeliveryPlan.Resolve(job, new ObjectStoreOptions { ServiceUrl = url }, new OutputFormatOptions());
        Assert.Null(plan);
        Assert.Contains(expected, problem, StringComparison.Ordinal);
    }
}
