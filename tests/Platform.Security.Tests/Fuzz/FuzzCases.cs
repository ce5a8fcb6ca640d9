using System.Globalization;
using System.Text;

namespace Platform.Security.Tests.Fuzz;

/// <summary>
/// Malformed requests from a seeded <see cref="Random"/>: the same seed gives the same cases. Each kind spoils one
/// part of an otherwise plausible request to a real endpoint: the method, the body, its type, its size and framing,
/// the names in the path, the headers; and for the public port, bytes that are not HTTP at all, or a TLS hello.
/// </summary>
public sealed class FuzzCases(int seed, IReadOnlyList<(string Name, string Value)> forgedAssertions)
{
    public const long HugeBody = 40L * 1024 * 1024;

    private static readonly string[] Methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "CONNECT", "PROPFIND", "MKCOL", "FOO", "get", "Post", "BREW", "M-SEARCH", "PRI", new string('X', 300), "G\u00e9T", "GE T", "GET\tX", "\u0000GET", "", "-", "GET/"];
    private static readonly string[] ContentTypes =
    [
        "application/json; charset=bogus", "application/json; charset=utf-16", "application/json; charset=\"utf-8\"", "application/json; charset=latin1",
        "application/json; charset=", "application/json;;;", "application/json; charset=utf-8; charset=ascii", "text/plain", "application/x-www-form-urlencoded",
        "multipart/form-data", "multipart/form-data; boundary=", "application/xml", "*/*", "application/*", "a/b/c", "json", "", ";", "application/json\u0000",
        "application/json; boundary=" + new string('b', 5000), "application/merge-patch+json", "application/problem+json", "APPLICATION/JSON", "application/json; q=0",
    ];

    private static readonly string[] Names =
    [
        "..", "../..", "..%2f..%2fetc%2fpasswd", "%2e%2e%2f%2e%2e%2f", "%252e%252e%252f", "....//....//", "..;/", "%c0%ae%c0%ae%c0%af", "%", "%zz", "%00", "a%00b", "%ff%fe",
        "%ed%a0%80", "%u0041", "%%", "%2", "caf%C3%A9", "%F0%9F%98%80", "%E2%80%AE", "a%2Fb", "a%5Cb", "%0d%0aX-Injected:%201", "%09", "+", "~", "*", "?", "#",
        "con", "nul", "..%00", "%c0%80", "%e0%80%af", "a%20b", "%C2%A0", "%E2%80%8B", "%EF%BB%BF", "%F4%90%80%80", "%C0%AF", "%7f",
    ];

    private readonly Random random = new(seed);
    private readonly IReadOnlyList<(string Name, string Value)> forged = forgedAssertions;

    /// <summary><paramref name="perTarget"/> cases for each target, plus the kept cases that once found a bug.</summary>
    public IReadOnlyList<FuzzCase> Generate(int perTarget)
    {
        var cases = new List<FuzzCase>();
        foreach (var target in FuzzSurface.Targets)
        {
            cases.AddRange(Regressions(target));
            cases.AddRange(Sizes(target));
            var kinds = target == FuzzSurface.Public
                ? new Func<string, FuzzCase>[] { Method, Body, Body, Body, ContentType, Name, Name, Header, Header, Framing, RawGarbage, TlsGarbage }
                : [Method, Body, Body, Body, ContentType, Name, Name, Header, Header, Framing, RawGarbage];
            while (cases.Count(c => c.Target == target) < perTarget)
            {
                cases.Add(kinds[random.Next(kinds.Length)](target));
            }
        }

        // Interleaved, so the concurrent senders hit every port at once rather than one after another.
        return [.. cases.OrderBy(_ => random.Next())];
    }

    /// <summary>The inputs issue 13 reported, sent to every target on every run.</summary>
    private IEnumerable<FuzzCase> Regressions(string target)
    {
        var endpoints = FuzzSurface.For(target).Where(e => e.Body is not null).ToList();
        foreach (var endpoint in endpoints)
        {
            yield return Json(target, "regression", "NUL in a string", endpoint, endpoint.Body!.Replace("\"x\"", "\"a\\u0000b\"", StringComparison.Ordinal).Replace("\"fuzz\"", "\"a\\u0000b\"", StringComparison.Ordinal));
            yield return Json(target, "regression", "lone surrogate", endpoint, endpoint.Body!.Replace("\"x\"", "\"\\ud800\"", StringComparison.Ordinal).Replace("\"fuzz\"", "\"\\udfff\"", StringComparison.Ordinal));
            yield return Json(target, "regression", "duplicate key", endpoint, DuplicateKey(endpoint.Body!));
            yield return Json(target, "regression", "bogus charset", endpoint, endpoint.Body!, "application/json; charset=bogus");
            yield return Json(target, "regression", "empty charset (found by this suite)", endpoint, endpoint.Body!, "application/json; charset=");
        }

        var clusters = FuzzSurface.For(target).FirstOrDefault(e => e.Path == "/api/v1/clusters/");
        if (clusters is not null)
        {
            yield return Json(target, "regression", "NUL in environment", clusters, """{"cluster_options":{"environment":{"A":"a\u0000b"}}}""");
            yield return Json(target, "regression", "lone surrogate description", clusters, """{"cluster_options":{"description":"\ud800"}}""");
            yield return Json(target, "regression", "duplicate worker_cores", clusters, """{"cluster_options":{"worker_cores":1,"worker_cores":"x"}}""");
            yield return Json(target, "regression", "1 MB description", clusters, "{\"cluster_options\":{\"description\":\"" + new string('d', 1024 * 1024) + "\"}}");
            yield return Json(target, "regression", "20,000 variables", clusters, "{\"cluster_options\":{\"environment\":{" + string.Join(',', Enumerable.Range(0, 20_000).Select(i => $"\"V{i}\":\"x\"")) + "}}}");
            yield return Json(target, "regression", "3 MB variable", clusters, "{\"cluster_options\":{\"environment\":{\"BIG\":\"" + new string('v', 3 * 1024 * 1024) + "\"}}}");
        }

        var scale = FuzzSurface.For(target).FirstOrDefault(e => e.Path.EndsWith("/scale", StringComparison.Ordinal));
        if (scale is not null)
        {
            yield return Json(target, "regression", "duplicate count", scale, """{"count":0,"count":"x"}""");
        }

        yield return new FuzzCase(target, "regression", "no kid", Request("GET", "/health", [(Identity, forged.First(f => f.Name == "no kid").Value)], null), MayClose: false);
        yield return new FuzzCase(target, "regression", "null kid", Request("GET", "/health", [(Identity, forged.First(f => f.Name == "null kid").Value)], null), MayClose: false);
        var post = FuzzSurface.For(target).First(e => e.Body is not null);
        yield return new FuzzCase(target, "regression", "chunked and Content-Length", Request(post.Method, Fill(post.Path), [("Content-Type", "application/json"), ("Transfer-Encoding", "chunked"), ("Content-Length", "5")], "5\r\n{\"a\":\r\n0\r\n\r\n"));
        yield return new FuzzCase(target, "regression", "CONNECT to a path (found by this suite)", Request("CONNECT", FuzzSurface.For(target)[0].Path, [], null));
        yield return new FuzzCase(target, "regression", "HTTP/1.0 empty request line", Encoding.ASCII.GetBytes("\r\n\r\n"), HalfClose: true, MayClose: true);
        // Kestrel answers after reading part of the line and closes; a reset may then lose the answer, so only an answer is checked.
        yield return new FuzzCase(target, "regression", "414", Request("GET", "/api/v1/clusters/" + new string('a', 70_000), [], null), MayClose: true);
        yield return new FuzzCase(target, "regression", "431", Request("GET", "/health", [("X-Big", new string('h', 70_000))], null), MayClose: true);
    }

    /// <summary>Empty, 40 MB declared, 40 MB chunked: on each port, a few of each (they cost seconds).</summary>
    private IEnumerable<FuzzCase> Sizes(string target)
    {
        var posts = FuzzSurface.For(target).Where(e => e.Body is not null).ToList();
        foreach (var endpoint in posts.Take(3))
        {
            var path = Fill(endpoint.Path);
            yield return new FuzzCase(target, "size", "empty body", Request(endpoint.Method, path, [("Content-Type", "application/json"), ("Content-Length", "0")], ""));
            yield return new FuzzCase(target, "size", "empty body, no length", Request(endpoint.Method, path, [("Content-Type", "application/json")], null));
            yield return new FuzzCase(target, "size", "40 MB declared", Head(endpoint.Method, path, [("Content-Type", "application/json"), ("Content-Length", HugeBody.ToString(CultureInfo.InvariantCulture))]), Padding: HugeBody, MayClose: false);
        }

        var chunked = posts[random.Next(posts.Count)];
        var head = Request(chunked.Method, Fill(chunked.Path), [("Content-Type", "application/json"), ("Transfer-Encoding", "chunked")], "");
        var chunk = $"{HugeBody:x}\r\n";
        yield return new FuzzCase(target, "size", "40 MB in one chunk", [.. head, .. Encoding.ASCII.GetBytes(chunk)], Padding: HugeBody, MayClose: true);
        yield return new FuzzCase(target, "size", "1 MB of JSON whitespace", Request(chunked.Method, Fill(chunked.Path), [("Content-Type", "application/json")], new string(' ', 1024 * 1024) + "{}"));
    }

    private FuzzCase Method(string target)
    {
        var endpoint = Pick(target);
        var method = Methods[random.Next(Methods.Length)];
        var body = random.Next(2) == 0 ? endpoint.Body : null;
        var mayClose = method.Any(c => c is <= ' ' or > '~' or '/') || method.Length == 0;
        return new FuzzCase(target, "method", method.Length > 20 ? $"{method[..20]}…" : method, Request(method, Fill(endpoint.Path), body is null ? [] : [("Content-Type", "application/json")], body), Head: method == "HEAD", MayClose: mayClose);
    }

    private FuzzCase Body(string target)
    {
        var endpoints = FuzzSurface.For(target).Where(e => e.Body is not null).ToList();
        var endpoint = endpoints[random.Next(endpoints.Count)];
        var valid = endpoint.Body!;
        var (description, body) = random.Next(16) switch
        {
            0 => ("truncated", valid[..random.Next(valid.Length)]),
            1 => ("invalid JSON", Pick(["{", "}", "{\"a\":}", "[1,]", "nul", "{'a':1}", "{\"a\":1}}", "{\"a\" 1}", "\"unterminated", "{\"a\":01}", "{\"a\":.5}", "{\"a\":1e}", "{\"a\":+1}", "{\"a\":0x10}", "{\"a\":NaN}", "{\"a\":Infinity}", "{,}", "{\"a\":1,}", "/* c */ {}", "{\"\\x41\":1}", "{\"a\":\"\\u12\"}", "{\"a\":\"\t\"}"])),
            2 => ("duplicate keys", DuplicateKey(valid)),
            3 => ("NUL", random.Next(2) == 0 ? ReplaceAString(valid, "a\\u0000b") : valid.Insert(random.Next(valid.Length), "\0")),
            4 => ("lone surrogate", ReplaceAString(valid, Pick(["\\ud800", "\\udfff", "\\ud800\\ud800", "x\\udbffy", "\\uDC00\\uD800"]))),
            5 => ("deep nesting", Deep(Pick([64, 1000, 100_000]), arrays: random.Next(2) == 0)),
            6 => ("huge number", ReplaceAValue(valid, Pick(["1e400", "-1e400", "99999999999999999999999999999", "-99999999999999999999", "1.5", "-0", "4294967296", "2147483648", "-2147483649", "9223372036854775808", "1e-400", "0.00000000000000000000000001", "1" + new string('0', 5000)]))),
            7 => ("wrong type", ReplaceAValue(valid, Pick(["[]", "{}", "null", "true", "false", "\"str\"", "1", "[[]]", "{\"a\":{}}", "\"\"", "[null]", "-1"]))),
            8 => ("huge string", ReplaceAString(valid, new string('s', Pick([70_000, 1024 * 1024, 4 * 1024 * 1024])))),
            9 => ("huge key", valid.Insert(1, $"\"{new string('k', Pick([300, 70_000, 1024 * 1024]))}\":1,")),
            10 => ("not an object", Pick(["null", "[]", "\"str\"", "0", "true", " ", "\t\n", "[{}]", "\"\\u0000\""])),
            11 => ("BOM", "\uFEFF" + valid),
            12 => ("many keys", "{" + string.Join(',', Enumerable.Range(0, Pick([1000, 30_000])).Select(i => $"\"k{i}\":{i}")) + "}"),
            13 => ("invalid UTF-8", null),
            14 => ("unicode", ReplaceAString(valid, Pick(["\u202Eevil", "caf\u00e9", "\U0001F600", "\u0000", "\u200B", "\uFFFF", "\uFFFE", "a\r\nb", "<script>", "'; drop table clusters; --", "${jndi:ldap://x}", "{{7*7}}", "%s%s%n"]))),
            _ => ("control characters", ReplaceAString(valid, string.Concat(Enumerable.Range(1, 31).Select(c => $"\\u{c:x4}")))),
        };
        if (body is null)
        {
            var bytes = Encoding.UTF8.GetBytes(valid).ToList();
            var at = random.Next(bytes.Count);
            bytes.InsertRange(at, Pick<byte[]>([[0xFF], [0xC3, 0x28], [0xED, 0xA0, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80], [0xC0, 0xAF], [0xE2, 0x82]]));
            return new FuzzCase(target, "body", description, [.. Head(endpoint.Method, Fill(endpoint.Path), [("Content-Type", "application/json"), ("Content-Length", bytes.Count.ToString(CultureInfo.InvariantCulture))]), .. bytes]);
        }

        return Json(target, "body", description, endpoint, body);
    }

    private FuzzCase ContentType(string target)
    {
        var endpoints = FuzzSurface.For(target).Where(e => e.Body is not null).ToList();
        var endpoint = endpoints[random.Next(endpoints.Count)];
        var type = ContentTypes[random.Next(ContentTypes.Length)];
        var mayClose = type.Contains('\0', StringComparison.Ordinal);
        return Json(target, "content type", type.Length > 40 ? type[..40] + "…" : type, endpoint, endpoint.Body!, type) with { MayClose = mayClose };
    }

    private FuzzCase Name(string target)
    {
        var endpoint = Pick(target);
        var name = random.Next(5) switch
        {
            0 => new string(Pick(['a', 'z', '9', '-']), Pick([255, 256, 1000, 7000, 9000])),
            1 => Pick(["%C3%A9t%C3%A9", "%E4%B8%AD%E6%96%87", "%F0%9F%92%A5%F0%9F%92%A5", "%D8%A7%D9%84%D8%B9", "%E2%80%AE%E2%80%AD", "%CC%81%CC%81%CC%81"]),
            2 => Pick(Names),
            3 => string.Concat(Enumerable.Range(0, random.Next(1, 40)).Select(_ => $"%{random.Next(256):X2}")),
            _ => Pick(Names) + "/" + Pick(Names),
        };
        var path = endpoint.Path.Replace("{name}", name, StringComparison.Ordinal).Replace("{id}", random.Next(3) == 0 ? name : Guid.NewGuid().ToString(), StringComparison.Ordinal).Replace("{msg}", name, StringComparison.Ordinal);
        if (!endpoint.Path.Contains('{', StringComparison.Ordinal) || random.Next(4) == 0)
        {
            path += (path.Contains('?', StringComparison.Ordinal) ? "&" : "?") + Pick(["status", "wait", "lines", "limit", "cluster", "iterator", name]) + "=" + name;
        }

        var body = endpoint.Body;
        return new FuzzCase(target, "name", name.Length > 40 ? $"{name[..40]}… ({name.Length})" : name, Request(endpoint.Method, path, body is null ? [] : [("Content-Type", "application/json")], body), Head: false);
    }

    private FuzzCase Header(string target)
    {
        var endpoint = Pick(target);
        var path = Fill(endpoint.Path);
        var forgery = forged[random.Next(forged.Count)];
        var choice = random.Next(22);
        List<(string, string)> headers = choice switch
        {
            0 => [("X-Big", new string('h', Pick([8_000, 40_000, 100_000])))],
            1 => [.. Enumerable.Range(0, Pick([101, 500, 2000])).Select(i => ($"X-H{i}", "v"))],
            2 => [(Identity, forgery.Value)],
            3 => [(Identity, forgery.Value), (Identity, forged[random.Next(forged.Count)].Value)],
            4 => [("Authorization", Pick(["Basic !!!", "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("nocolon")), "Basic " + Convert.ToBase64String([0xFF, 0x3A, 0xFE]), "Basic", "Basic  ", "Bearer", "Bearer plat_" + new string('x', 40), "Bearer " + new string('b', 10_000), "jupyterhub x", "token plat_", "Negotiate abc", "Digest a=b", "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(":")), "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(new string('u', 5000) + ":p")), "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("a\u0000b:p"))]))],
            5 => [("Cookie", Pick(["platform-session=" + new string('c', 4000), "platform-session=", "platform-session=%00", "platform-session=a; platform-session=b", "=; ;;", "platform-session=\"unterminated"]))],
            6 => [("Expect", Pick(["100-continue", "garbage", "100-continue, 100-continue"]))],
            7 => [("Transfer-Encoding", Pick(["gzip", "identity", "garbage", "chunked, gzip", "chunked, chunked"]))],
            8 => [("Content-Encoding", Pick(["gzip", "br", "deflate", "x"]))],
            9 => [("Host", Pick(["", "evil.example", "a b", "[::1", "127.0.0.1:99999", new string('h', 3000), "%00"]))],
            10 => [("X-Forwarded-For", Pick(["garbage", "1.2.3.4, , ,", "::::::", new string('1', 3000)])), ("X-Forwarded-Proto", "gopher"), ("X-Forwarded-Host", "evil.example"), ("Forwarded", "for=\"[zz]\";proto=x")],
            11 => [("Upgrade", Pick(["websocket", "h2c", "garbage"])), ("Connection", "Upgrade"), ("Sec-WebSocket-Key", "x"), ("Sec-WebSocket-Version", "13")],
            12 => [("X-Proxy-Token", Pick(["", "x", new string('t', 64), "\u00e9"])), ("X-Platform-Proxy-Token", "x")],
            13 => [("Accept", Pick(["*/*;q=garbage", "application/json;q=0", "text/event-stream", new string('a', 5000)])), ("Accept-Charset", "bogus"), ("Accept-Encoding", "gzip;q=x, br")],
            14 => [("Range", Pick(["bytes=0-", "bytes=9999999999-", "bytes=-1-2", "garbage"])), ("If-None-Match", "*"), ("If-Modified-Since", "garbage")],
            15 => [("X-Forwarded-User", "admin"), ("X-Remote-User", "admin"), ("Remote-User", "admin"), ("X-Forwarded-Groups", "admin")],
            16 => [("Content-Length", Pick(["-1", "abc", "1 2", "99999999999999999999", "0x10", " 5"]))],
            17 => [("Content-Length", "2"), ("Content-Length", "3")],
            18 => [(Identity, "")],
            19 => [("X-Null", "a\u0000b")],
            20 => [("X-Unicode-\u00e9", "v"), ("X-Value", "caf\u00e9 \U0001F600")],
            _ => [("Bad Header", "space in name")],
        };
        var description = choice switch
        {
            2 => "forged identity: " + forgery.Name,
            3 => "two identities",
            _ => headers[0].Item1.Length > 30 ? headers[0].Item1[..30] : headers[0].Item1 + $" ({choice})",
        };
        var withBody = endpoint.Body is not null && choice is not (16 or 17);
        var list = withBody ? [.. headers, ("Content-Type", "application/json")] : headers;
        var request = choice is 16 or 17 ? Head(endpoint.Method, path, list, credential: true) : Request(endpoint.Method, path, list, endpoint.Body);
        // Past Kestrel's limits (32 KB of headers, 100 headers) it answers 431 and closes while the client may still be
        // writing, and the reset can discard that answer: as with the 414/431 regression cases, an answer is checked
        // when one arrives, and a lost one is not a failure.
        var overLimits = (choice is 0 && headers[0].Item2.Length > 32 * 1024) || choice is 1;
        var mayClose = overLimits || choice is 7 or 9 or 16 or 17 or 19 or 20 or 21;
        return new FuzzCase(target, "header", description, request, HalfClose: choice is 16, MayClose: mayClose);
    }

    private FuzzCase Framing(string target)
    {
        var endpoints = FuzzSurface.For(target).Where(e => e.Body is not null).ToList();
        var endpoint = endpoints[random.Next(endpoints.Count)];
        var path = Fill(endpoint.Path);
        var body = endpoint.Body!;
        var choice = random.Next(8);
        (string Description, byte[] Bytes) framed = choice switch
        {
            0 => ("chunked + Content-Length", Concat(Head(endpoint.Method, path, [("Content-Type", "application/json"), ("Content-Length", body.Length.ToString(CultureInfo.InvariantCulture)), ("Transfer-Encoding", "chunked")]), body)),
            1 => ("Content-Length + chunked, chunked body", Concat(Head(endpoint.Method, path, [("Content-Type", "application/json"), ("Content-Length", "3"), ("Transfer-Encoding", "chunked")]), $"{Encoding.UTF8.GetByteCount(body):x}\r\n{body}\r\n0\r\n\r\n")),
            2 => ("bad chunk size", Concat(Head(endpoint.Method, path, [("Content-Type", "application/json"), ("Transfer-Encoding", "chunked")]), Pick(["zz\r\n{}\r\n0\r\n\r\n", "ffffffffffffffffff\r\n{}\r\n", "-1\r\n{}\r\n0\r\n\r\n", "2;ext=\"x\r\n{}\r\n0\r\n\r\n", "2\r\n{}0\r\n\r\n", "\r\n\r\n"]))),
            3 => ("chunked, truncated", Concat(Head(endpoint.Method, path, [("Content-Type", "application/json"), ("Transfer-Encoding", "chunked")]), $"{body.Length + 100:x}\r\n{body}")),
            4 => ("body longer than Content-Length", Concat(Head(endpoint.Method, path, [("Content-Type", "application/json"), ("Content-Length", "2")]), body)),
            5 => ("chunked with trailers", Concat(Head(endpoint.Method, path, [("Content-Type", "application/json"), ("Transfer-Encoding", "chunked")]), $"{Encoding.UTF8.GetByteCount(body):x}\r\n{body}\r\n0\r\nX-Trailer: {new string('t', 10_000)}\r\nContent-Length: 5\r\n\r\n")),
            6 => ("two requests pipelined", Concat(Head(endpoint.Method, path, [("Content-Type", "application/json"), ("Content-Length", "0")], close: false), Encoding.Latin1.GetString(Head("GET", "/health", [])))),
            _ => ("bare LF line endings", Encoding.UTF8.GetBytes(Encoding.Latin1.GetString(Head(endpoint.Method, path, [("Content-Type", "application/json"), ("Content-Length", Encoding.UTF8.GetByteCount(body).ToString(CultureInfo.InvariantCulture))])).Replace("\r\n", "\n", StringComparison.Ordinal) + body)),
        };
        return new FuzzCase(target, "framing", framed.Description, framed.Bytes, HalfClose: choice == 3, MayClose: choice is not (4 or 6));
    }

    private FuzzCase RawGarbage(string target)
    {
        var choice = random.Next(10);
        var bytes = choice switch
        {
            0 => RandomBytes(random.Next(1, 4096)),
            1 => Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(0, random.Next(1, 30)).Select(_ => new string((char)random.Next(32, 127), random.Next(1, 80)) + "\r\n")) + "\r\n"),
            2 => "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray(),
            3 => "GET /\r\n\r\n"u8.ToArray(),
            4 => "GET / HTTP/9.9\r\nHost: x\r\n\r\n"u8.ToArray(),
            5 => "GET http://evil.example/api/v1/clusters/ HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n"u8.ToArray(),
            6 => "CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\nConnection: close\r\n\r\n"u8.ToArray(),
            7 => "OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"u8.ToArray(),
            8 => [.. "GET /health HTTP/1.1\r\nHost: x\r\n"u8.ToArray(), .. RandomBytes(random.Next(1, 512)), .. "\r\n\r\n"u8.ToArray()],
            _ => [0x00, 0x00, 0x00, 0x00, .. RandomBytes(64)],
        };
        return new FuzzCase(target, "raw", $"garbage ({choice}, {bytes.Length} bytes)", bytes, HalfClose: true, MayClose: true);
    }

    private FuzzCase TlsGarbage(string target)
    {
        var choice = random.Next(9);
        var bytes = choice switch
        {
            0 => [0x16, 0x03, 0x01, .. RandomBytes(random.Next(0, 600))],
            1 => TlsHello.Build("daskgateway-" + Guid.NewGuid().ToString("N")),
            2 => TlsHello.Build("daskgateway-" + new string('a', Pick([60, 250, 2000]))),
            3 => TlsHello.Build(Pick(["", "\0", "daskgateway-", "daskgateway-../x", "DASKGATEWAY-X", "localhost", "caf\u00e9", "a\u0000b", "daskgateway-\u00e9"])),
            4 => TlsHello.Build("daskgateway-x")[..random.Next(5, 40)],
            5 => TlsHello.Build(null),
            6 => TlsHello.Build("daskgateway-x", recordLength: Pick([0, 1, 0xFFFF, 0x4001])),
            7 => TlsHello.Build("daskgateway-x", hostNames: ["daskgateway-a", "daskgateway-b"]),
            _ => [0x16, 0x03, 0x03, 0x00, 0x05, 0x01, 0xFF, 0xFF, 0xFF, 0xFF],
        };
        return new FuzzCase(target, "tls", $"TLS garbage ({choice})", bytes, HalfClose: true, MayClose: true);
    }

    private const string Identity = "X-Platform-Identity";

    private FuzzCase Json(string target, string kind, string description, FuzzEndpoint endpoint, string body, string contentType = "application/json") =>
        new(target, kind, description, Request(endpoint.Method, Fill(endpoint.Path), [("Content-Type", contentType)], body));

    private static byte[] Request(string method, string path, IEnumerable<(string Name, string Value)> headers, string? body)
    {
        var bytes = body is null ? [] : Encoding.UTF8.GetBytes(body);
        var all = body is null ? headers : headers.Append(("Content-Length", bytes.Length.ToString(CultureInfo.InvariantCulture)));
        return [.. Head(method, path, all), .. bytes];
    }

    /// <summary>The request line and headers, with the credential marker, Host and Connection: close.</summary>
    private static byte[] Head(string method, string path, IEnumerable<(string Name, string Value)> headers, bool credential = true, bool close = true)
    {
        var text = new StringBuilder();
        text.Append(method).Append(' ').Append(path).Append(" HTTP/1.1\r\n");
        var list = headers.ToList();
        if (!list.Any(h => h.Name.Equals("Host", StringComparison.OrdinalIgnoreCase)))
        {
            text.Append("Host: 127.0.0.1\r\n");
        }

        if (credential && !list.Any(h => h.Name is "Authorization" or Identity))
        {
            text.Append(FuzzCase.CredentialMarker);
        }

        foreach (var (name, value) in list)
        {
            text.Append(name).Append(": ").Append(value).Append("\r\n");
        }

        if (close)
        {
            text.Append("Connection: close\r\n");
        }

        text.Append("\r\n");
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private static byte[] Concat(byte[] head, string body) => [.. head, .. Encoding.UTF8.GetBytes(body)];

    private FuzzEndpoint Pick(string target)
    {
        var endpoints = FuzzSurface.For(target);
        return endpoints[random.Next(endpoints.Count)];
    }

    private T Pick<T>(T[] values) => values[random.Next(values.Length)];

    private string Fill(string path) => path
        .Replace("{name}", Guid.NewGuid().ToString("N")[..random.Next(1, 32)], StringComparison.Ordinal)
        .Replace("{id}", Guid.NewGuid().ToString(), StringComparison.Ordinal)
        .Replace("{msg}", "msg_" + random.Next(), StringComparison.Ordinal);

    private byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    private static string Deep(int depth, bool arrays) => arrays
        ? new string('[', depth) + new string(']', depth)
        : string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth);

    /// <summary>The first top-level key repeated with a value of another type.</summary>
    private static string DuplicateKey(string json)
    {
        var colon = json.IndexOf("\":", StringComparison.Ordinal);
        if (json.Length < 2 || json[0] != '{' || colon < 0)
        {
            return json + json;
        }

        var key = json[1..(colon + 1)];
        return "{" + key + ":\"x\"," + json[1..^1] + "," + key + ":[[]]}";
    }

    private string ReplaceAString(string json, string replacement)
    {
        var strings = new List<(int Start, int End)>();
        for (var i = 0; i < json.Length; i++)
        {
            if (json[i] != '"')
            {
                continue;
            }

            var end = json.IndexOf('"', i + 1);
            if (end < 0)
            {
                break;
            }

            // A value, not a key: what follows the closing quote is not a colon.
            if (end + 1 >= json.Length || json[end + 1] != ':')
            {
                strings.Add((i + 1, end));
            }

            i = end;
        }

        if (strings.Count == 0)
        {
            return $"{{\"value\":\"{replacement}\"}}";
        }

        var (start, stop) = strings[random.Next(strings.Count)];
        return json[..start] + replacement + json[stop..];
    }

    private string ReplaceAValue(string json, string replacement)
    {
        var colons = Enumerable.Range(0, json.Length).Where(i => json[i] == ':' && i > 0 && json[i - 1] == '"').ToList();
        if (colons.Count == 0)
        {
            return $"{{\"value\":{replacement}}}";
        }

        var at = colons[random.Next(colons.Count)] + 1;
        var depth = 0;
        var inString = false;
        var end = at;
        for (; end < json.Length; end++)
        {
            var c = json[end];
            if (inString)
            {
                if (c == '\\')
                {
                    end++;
                }
                else if (c == '"')
                {
                    inString = false;
                }

                continue;
            }

            if (c == '"')
            {
                inString = true;
            }
            else if (c is '{' or '[')
            {
                depth++;
            }
            else if (c is '}' or ']')
            {
                if (depth == 0)
                {
                    break;
                }

                depth--;
            }
            else if (c == ',' && depth == 0)
            {
                break;
            }
        }

        return json[..at] + replacement + json[end..];
    }
}
