using Microsoft.Extensions.Configuration;

namespace ComfySnap.ServiceDefaults.Hosting;

/// <summary>
/// Secrets from files (Docker/Kubernetes secrets): an environment variable PREFIX + KEY + "_FILE"
/// names a file whose content (one trailing newline removed) becomes the setting KEY, e.g.
/// COMFYSNAP_Bus__RabbitMq__Password_FILE=/run/secrets/rabbitmq sets Bus:RabbitMq:Password. Read
/// once when the configuration is built; a missing file is an error naming the variable, never the content.
/// </summary>
public static class SecretFileConfiguration
{
    public const string Suffix = "_FILE";

    public static IConfigurationBuilder AddSecretFiles(this IConfigurationBuilder builder, string prefix)
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, path) in Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
                     .Select(e => ((string)e.Key, e.Value as string)))
        {
            if (!name.StartsWith(prefix, StringComparison.Ordinal) || !name.EndsWith(Suffix, StringComparison.Ordinal) || string.IsNullOrEmpty(path))
            {
                continue;
            }

            var key = name[prefix.Length..^Suffix.Length].Replace("__", ConfigurationPath.KeyDelimiter, StringComparison.Ordinal);
            values[key] = Read(name, path);
        }

        return builder.AddInMemoryCollection(values);
    }

    private static string Read(string variable, string path)
    {
        try
        {
            var text = File.ReadAllText(path);
            return text.EndsWith("\r\n", StringComparison.Ordinal) ? text[..^2] : text.EndsWith('\n') ? text[..^1] : text;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"{variable} names a secret file that cannot be read ({e.GetType().Name})", e);
        }
    }
}
