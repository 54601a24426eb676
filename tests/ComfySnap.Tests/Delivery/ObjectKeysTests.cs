using ComfySnap.Contracts;

namespace ComfySnap.Tests.Delivery;

public sealed class ObjectKeysTests
{
    [Fact]
    public void A_key_is_the_prefix_the_job_and_the_file_so_a_retry_overwrites_it()
    {
        Assert.Equal("renders/2025/job-7/x_00001_.png", ObjectKeys.For("renders/2025/", "job-7", "x_00001_.png"));
        Assert.Equal(ObjectKeys.For("p/", "j", "f.png"), ObjectKeys.For("p/", "j", "f.png"));
        Assert.Equal("job-7/sub/x_00001_.png", ObjectKeys.For("", "job-7", "sub/x_00001_.png"));
    }

    [Theory]
    [InlineData("outputs", true)]
    [InlineData("my.bucket-01", true)]
    [InlineData("ab", false)]
    [InlineData("Upper", false)]
    [InlineData("-dash", false)]
    [InlineData("dots..twice", false)]
    [InlineData("under_score", false)]
    public void Bucket_names_follow_s3s_rules(string bucket, bool valid)
    {
        var problem = ObjectKeys.BucketProblem(bucket);
        Assert.Equal(valid, problem is null);
        if (problem is not null)
        {
            Assert.Contains(bucket, problem, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("", true)]
    [InlineData("a/b/", true)]
    [InlineData("/abs", false)]
    [InlineData("a/../b", false)]
    [InlineData("tab\there", false)]
    public void Key_prefixes_stay_inside_the_bucket(string prefix, bool valid) =>
        Assert.Equal(valid, ObjectKeys.PrefixProblem(prefix) is null);

    [Theory]
    [InlineData("job-1", true)]
    [InlineData("a/b", false)]
    [InlineData("..", false)]
    public void Job_ids_with_a_slash_cannot_name_objects(string jobId, bool valid) =>
        Assert.Equal(valid, ObjectKeys.JobIdProblem(jobId) is null);
}
