namespace Platform.Auth.Abstractions;

/// <summary>
/// Who the credentials belong to, as the authenticator knows it. Auth adds the groups and admin rights
/// configured for the user (<c>Auth:Groups</c>, <c>Auth:Admins</c>) on top.
/// </summary>
public sealed record AuthenticatedUser
{
    public AuthenticatedUser(string name, IReadOnlyList<string>? groups = null, bool isAdmin = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
        Groups = groups ?? [];
        IsAdmin = isAdmin;
    }

    public string Name { get; }

    public IReadOnlyList<string> Groups { get; }

    public bool IsAdmin { get; }
}
