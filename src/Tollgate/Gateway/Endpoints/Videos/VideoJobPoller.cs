using System.Globalization;

namespace Tollgate.Gateway.Endpoints.Videos;

/// <summary>
/// One per node: every <c>Tollgate:Videos:PollSeconds</c> (default 10) looks at up to
/// <c>Tollgate:Videos:PollBatch</c> (default 50) open video jobs, the longest unlooked-at first, and settles
/// those that have ended. Every node polls every open job; the settlement's guard makes the charge
/// happen once (see <see cref="VideoJobs"/>), so a node that dies mid-job leaves nothing unsettled.
/// </summary>
internal sealed partial class VideoJobPoller(VideoJobStore store, VideoJobs jobs, IConfiguration configuration, TimeProvider time, ILogger<VideoJobPoller> logger)
    : BackgroundService
{
    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromSeconds(double.TryParse(configuration["Tollgate:Videos:PollSeconds"], NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s > 0 ? s : 10);
        var batch = int.TryParse(configuration["Tollgate:Videos:PollBatch"], NumberStyles.None, CultureInfo.InvariantCulture, out var b) && b > 0 ? b : 50;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, time, stoppingToken).ConfigureAwait(false);
                foreach (var job in await store.OpenJobsAsync(batch, stoppingToken).ConfigureAwait(false))
                {
                    try
                    {
                        await jobs.RefreshAsync(job, stoppingToken).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is HttpRequestException or IOException or TimeoutException or System.Data.Common.DbException
                        || (ex is OperationCanceledException && !stoppingToken.IsCancellationRequested))
                    {
                        LogJobFailed(logger, ex, job.Id);
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is System.Data.Common.DbException or InvalidOperationException or TimeoutException)
            {
                LogPollFailed(logger, ex);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Looking at video job {JobId} failed; it is looked at again on the next poll")]
    private static partial void LogJobFailed(ILogger logger, Exception exception, string jobId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Polling video jobs failed; retried on the next poll")]
    private static partial void LogPollFailed(ILogger logger, Exception exception);
}
