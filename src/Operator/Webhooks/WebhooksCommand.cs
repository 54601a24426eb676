using System.Globalization;
using System.Text.Json;
using ComfySnap.Contracts;
using ComfySnap.Operator.Cli;
using ComfySnap.ServiceDefaults.RabbitMq;
using MassTransit;
using Microsoft.Extensions.Logging.Abstractions;
using Spectre.Console;

namespace ComfySnap.Operator.Webhooks;

/// <summary>`webhooks dead-letters` (list what was given up) and `webhooks replay ID|--all` (queue it again for the workers).</summary>
public static class WebhooksCommand
{
    public static async Task<int> ListAsync(Connection connection, WebhookSettings settings, OperatorIo io, CancellationToken cancellationToken)
    {
        await using var store = await DeadLetterStore.OpenAsync(connection, settings.KeyPrefix, cancellationToken);
        var letters = await store.ListAsync();
        if (settings.Json)
        {
            foreach (var letter in letters)
            {
                await io.Out.WriteLineAsync(JsonSerializer.Serialize(letter, DeadLetterStore.Json));
            }

            return 0;
        }

        var table = new Table().AddColumns("delivery", "job", "event", "url", "attempts", "failed at", "last error");
        foreach (var d in letters)
        {
            table.AddRow(Markup.Escape(d.Delivery.DeliveryId), Markup.Escape(d.Delivery.JobId), d.Delivery.Event, Markup.Escape(ShownUrl(d.Delivery.Url)),
                d.Attempts.ToString(CultureInfo.InvariantCulture), d.FailedAt.ToString("u", CultureInfo.InvariantCulture), Markup.Escape(d.LastError));
        }

        io.Console.Write(table);
        io.Console.MarkupLine($"{letters.Count} dead letter(s)");
        return 0;
    }

    /// <summary>Sends each dead letter back to the webhook queue (a fresh set of attempts) and removes it; exit 1 when an id is unknown.</summary>
    public static async Task<int> ReplayAsync(Connection connection, WebhookSettings settings, IReadOnlyList<string> ids, bool all, OperatorIo io, CancellationToken cancellationToken)
    {
        if (!all && ids.Count == 0)
        {
            throw new ArgumentException("name the delivery id(s) to replay, or --all");
        }

        await using var store = await DeadLetterStore.OpenAsync(connection, settings.KeyPrefix, cancellationToken);
        IReadOnlyList<WebhookDeadLetter> letters = all ? await store.ListAsync() : [.. (await Task.WhenAll(ids.Select(store.GetAsync))).OfType<WebhookDeadLetter>()];
        var unknown = ids.Where(id => !letters.Any(l => l.Delivery.DeliveryId == id)).ToList();
        var rabbit = connection.Broker;
        var state = new BrokerConnectionState();
        var certificates = new BrokerCertificateValidator(rabbit, state, NullLogger.Instance);
        var bus = MassTransit.Bus.Factory.CreateUsingRabbitMq(cfg => cfg.Host(rabbit, certificates));
        await RabbitMqBusStart.StartAsync(bus, rabbit, certificates, state, cancellationToken);
        try
        {
            // exchange:, not queue: - a queue: address would declare the workers' quorum queue as a classic one.
            var queue = await bus.GetSendEndpoint(new Uri($"exchange:{settings.WebhookQueue}"));
            foreach (var letter in letters)
            {
                // Sent first, removed after: a crash in between replays it twice, never loses it (the workers post a delivered id once).
                await queue.Send(letter.Delivery, cancellationToken);
                await store.RemoveAsync(letter.Delivery.DeliveryId);
                io.Console.MarkupLine($"replayed {Markup.Escape(letter.Delivery.DeliveryId)} (job {Markup.Escape(letter.Delivery.JobId)}) to {Markup.Escape(ShownUrl(letter.Delivery.Url))}");
            }
        }
        finally
        {
            await bus.StopAsync(CancellationToken.None);
        }

        foreach (var id in unknown)
        {
            await io.Error.WriteLineAsync($"error: no dead letter {id}");
        }

        return unknown.Count == 0 ? 0 : 1;
    }

    private static string ShownUrl(string url) => Uri.TryCreate(url, UriKind.Absolute, out var parsed) ? parsed.GetLeftPart(UriPartial.Path) : url;
}
