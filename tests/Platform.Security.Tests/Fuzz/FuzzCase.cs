using System.Text;

namespace Platform.Security.Tests.Fuzz;

/// <summary>
/// One malformed request: the bytes to write (with <see cref="FuzzCase.CredentialMarker"/> standing for the target's
/// current credential header line), then <see cref="Padding"/> more body bytes. <see cref="MayClose"/> says a closed
/// connection without an answer is acceptable (no HTTP at all, a TLS hello, broken framing).
/// </summary>
public sealed record FuzzCase(string Target, string Kind, string Description, byte[] Request, long Padding = 0, bool HalfClose = false, bool Head = false, bool MayClose = false)
{
    /// <summary>Replaced when sent by the target's credential header line (with its CRLF), or by nothing.</summary>
    public const string CredentialMarker = "\u0001CREDENTIAL\u0001";

    public override string ToString()
    {
        var text = Encoding.Latin1.GetString(Request, 0, Math.Min(Request.Length, 160)).ReplaceLineEndings("⏎");
        return $"[{Target}/{Kind}] {Description}: {text}{(Request.Length > 160 ? "…" : "")}{(Padding > 0 ? $" +{Padding} bytes" : "")}";
    }
}
