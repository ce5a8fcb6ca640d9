namespace Platform.Security.Tests.Access;

/// <summary>Who asks: through the public port as alice (the owner of every object), bob, the admin, nobody; or straight to the service.</summary>
public enum Caller
{
    /// <summary>alice, who owns the cluster, the webhook endpoint and the token the row names.</summary>
    Owner,

    /// <summary>bob, another user; also sent with a forged identity header claiming alice as admin, which must change nothing.</summary>
    Other,

    Admin,

    Anonymous,

    /// <summary>Every forged <c>X-Platform-Identity</c> (claiming alice as admin) straight to the owning service's port; for the Proxy's own paths, on the public port.</summary>
    Forged,

    /// <summary>Straight to the owning service's port with no identity at all.</summary>
    Direct,
}

/// <summary>
/// One endpoint and the status each caller must get. <see cref="Service"/> is the service that owns the path (where
/// <see cref="Caller.Forged"/> and <see cref="Caller.Direct"/> go), or "proxy" for the Proxy's own paths.
/// <see cref="Fresh"/> rows get a new object of alice's for every cell (a delete must not see another cell's delete).
/// </summary>
public sealed record AccessRow(string Service, string Method, string Path, string? Body, int Owner, int Other, int Admin, int Anonymous, int Forged, int Direct, bool Fresh = false)
{
    public int Expected(Caller caller) => caller switch
    {
        Caller.Owner => Owner,
        Caller.Other => Other,
        Caller.Admin => Admin,
        Caller.Anonymous => Anonymous,
        Caller.Forged => Forged,
        _ => Direct,
    };

    public override string ToString() => $"{Method} {Path}";
}
