using ComfySnap.Contracts;
using ComfySnap.Operator.Submit;

namespace ComfySnap.Tests.Operator;

public sealed class OutputWriterTests
{
    [Fact]
    public async Task Inline_outputs_are_written_and_object_outputs_listed_by_their_s3_address()
    {
        var directory = TestEnvironment.NewTempDirectory("outputs");
        var completed = new WorkflowCompleted("job", null,
        [
            new OutputFile("2", "a_00001_.png", "image/png", 3, new string('a', 64), [1, 2, 3], null, null),
            new OutputFile("2", "a_00002_.webp", "image/webp", 9, new string('b', 64), null, null, null, "http://127.0.0.1:9010/b/job/a_00002_.webp", "s3://b/job/a_00002_.webp"),
        ], FromCache: false, new JobTimings("job", 0, 0, [], 0, 0, 0, 0));
        await using var writer = new OutputWriter(directory, redis: null);

        var written = await writer.WriteAsync("w", completed, CancellationToken.None);

        Assert.Equal(["w_a_00001_.png", "s3://b/job/a_00002_.webp"], written);
        Assert.Equal([1, 2, 3], await File.ReadAllBytesAsync(Path.Combine(directory, "w_a_00001_.png")));
        Assert.Single(Directory.GetFiles(directory));
    }
}
