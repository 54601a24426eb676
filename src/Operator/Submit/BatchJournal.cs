using System.Text.Json;
using System.Text.Json.Serialization;

namespace ComfySnap.Operator.Submit;

/// <summary>One line of the state file; Type is batch, job, completed or failed.</summary>
public sealed record JournalEntry(
    string Type,
    string? BatchId = null,
    string? JobId = null,
    string? Name = null,
    string? Workflow = null,
    bool? FromCache = null,
    IReadOnlyList<string>? Files = null,
    string? Kind = null,
    string? Message = null);

/// <summary>
/// The batch's state in the output folder (<see cref="FileName"/>, JSON lines, append-only so a
/// crash loses at most the line being written): the batch id, every job (JobId, name, workflow)
/// and every answer. --resume replays it and re-sends the jobs without an answer.
/// </summary>
public sealed class BatchJournal : IAsyncDisposable
{
    public const string FileName = "comfysnap-batch.jsonl";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly StreamWriter _writer;
    private readonly SemaphoreSlim _lock = new(1, 1);

    private BatchJournal(StreamWriter writer, string batchId, Dictionary<string, JournalEntry> jobs, Dictionary<string, JournalEntry> answers)
    {
        _writer = writer;
        BatchId = batchId;
        Jobs = jobs;
        Answers = answers;
    }

    public string BatchId { get; }

    /// <summary>Jobs recorded so far (JobId -> job line).</summary>
    public IReadOnlyDictionary<string, JournalEntry> Jobs { get; }

    /// <summary>Answers recorded so far (JobId -> completed/failed line).</summary>
    public IReadOnlyDictionary<string, JournalEntry> Answers { get; }

    /// <summary>Opens the state file of <paramref name="directory"/>: replays it when resuming, else starts a new one.</summary>
    public static async Task<BatchJournal> OpenAsync(string directory, bool resume, string? batchId, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, FileName);
        var jobs = new Dictionary<string, JournalEntry>(StringComparer.Ordinal);
        var answers = new Dictionary<string, JournalEntry>(StringComparer.Ordinal);
        string? recorded = null;
        if (resume)
        {
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"--resume: no {FileName} in {directory}", path);
            }

            foreach (var line in await File.ReadAllLinesAsync(path, cancellationToken))
            {
                if (Parse(line) is not { } e)
                {
                    continue; // a torn last line
                }

                switch (e.Type)
                {
                    case "batch": recorded ??= e.BatchId; break;
                    case "job": jobs[e.JobId!] = e; break;
                    case "completed" or "failed": answers[e.JobId!] = e; break;
                }
            }

            if (recorded is null)
            {
                throw new InvalidDataException($"--resume: {path} names no batch");
            }

            if (batchId is not null && batchId != recorded)
            {
                throw new ArgumentException($"--resume: {directory} holds batch {recorded}, not {batchId}");
            }
        }
        else if (File.Exists(path))
        {
            throw new IOException($"{directory} already holds a batch ({FileName}): use --resume, or another --out");
        }

        var writer = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read));
        var journal = new BatchJournal(writer, recorded ?? batchId ?? BatchPlan.NewBatchId(), jobs, answers);
        if (recorded is null)
        {
            await journal.AppendAsync(new JournalEntry("batch", BatchId: journal.BatchId), cancellationToken);
        }

        return journal;
    }

    public async Task AppendAsync(JournalEntry entry, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            await _writer.WriteLineAsync(JsonSerializer.Serialize(entry, Json).AsMemory(), cancellationToken);
            await _writer.FlushAsync(cancellationToken);
        }
        finally
        {
            _lock.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _writer.DisposeAsync();
        _lock.Dispose();
    }

    private static JournalEntry? Parse(string line)
    {
        try
        {
            return string.IsNullOrWhiteSpace(line) ? null : JsonSerializer.Deserialize<JournalEntry>(line, Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
