namespace Platform.Auth.Infrastructure;

/// <summary>
/// Reseals keys an earlier version stored in clear before the service takes requests, then rotates the identity
/// signing key once it reaches <see cref="SigningKeyOptions.RotationAge"/>.
/// </summary>
public sealed class SigningKeyRotation(SigningKeyRing keys, SigningKeyOptions options, ILogger<SigningKeyRotation> logger) : BackgroundService
{
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        if (await keys.ResealStoredKeysAsync(cancellationToken) is var resealed and > 0)
        {
            logger.LogInformation("Resealed {Count} signing keys stored by an earlier version", resealed);
        }

        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.RotationAge <= TimeSpan.Zero)
        {
            return;
        }

        using var timer = new PeriodicTimer(options.RotationCheckInterval);
        do
        {
            try
            {
                if (await keys.RotateIfOlderThanAsync(options.RotationAge, stoppingToken) is { } change)
                {
                    logger.LogInformation("Rotated the identity signing key after {RotationAge}; {KeyId} signs from {ActivatesAt}", options.RotationAge, change.KeyId, change.ActivatesAt);
                }
            }
            catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException)
            {
                logger.LogWarning("Could not check the signing key's age: {Error}", e.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
