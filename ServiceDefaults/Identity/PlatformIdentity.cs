namespace Platform.ServiceDefaults.Identity;

/// <summary>Who the caller is, as Auth vouched for it.</summary>
public sealed record PlatformIdentity(string User, IReadOnlyList<string> Groups, bool IsAdmin)
{
    public const string HeaderName = "X-Platform-Identity";
}
