using System.Diagnostics;

namespace ComfySnap.TestSupport;

/// <summary>Polls an HTTP endpoint (a /ready or /health probe) until it answers 200, for tests and the bench.</summary>
public static class HttpProbe
{
    public static async Task WaitForOkAsync(Uri url, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var watch = Stopwatch.StartNew();
        var last = "no answer";
        while (true)
        {
            try
            {
                using var response = await http.GetAsync(url, cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }

                last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}";
            }
            catch (HttpRequestException e)
            {
                last = e.Message;
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                last = "no answer within 5 s";
            }

            if (watch.Elapsed > timeout)
            {
                throw new TimeoutException($"{url} did not answer 200 within {timeout}; last: {last}");
            }

            await Task.Delay(100, cancellationToken);
        }
    }
}
