using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Tollgate.Tests.Billing;

/// <summary>One request the fake received: path, form fields as sent, and the idempotency key.</summary>
internal sealed record StripeCall(string Path, IReadOnlyDictionary<string, string> Form, string? IdempotencyKey, string? StripeVersion);

/// <summary>
/// A local Stripe on Kestrel (127.0.0.1, free port) that speaks the parts of Stripe's API that
/// Stripe.net uses here: form-encoded <c>POST /v1/checkout/sessions</c> and <c>POST /v1/refunds</c>
/// behind <c>Authorization: Bearer {secret key}</c>, answering the Checkout Session and Refund
/// objects (and Stripe's error shape). Requests with an idempotency key seen before get the first
/// answer again, as Stripe's do.
/// </summary>
internal sealed class FakeStripe : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, JsonObject> _byIdempotencyKey = new();
    private int _counter;

    private FakeStripe(WebApplication app, string secretKey)
    {
        _app = app;
        SecretKey = secretKey;
    }

    /// <summary>The secret key the fake accepts.</summary>
    public string SecretKey { get; }

    /// <summary><c>http://127.0.0.1:{port}</c>.</summary>
    public string Url { get; private set; } = "";

    /// <summary>Every authorised call, in order.</summary>
    public ConcurrentQueue<StripeCall> Calls { get; } = new();

    /// <summary>Calls refused for a wrong or missing key.</summary>
    public int Unauthorized;

    /// <summary>The sessions made, by id, as last answered.</summary>
    public ConcurrentDictionary<string, JsonObject> Sessions { get; } = new();

    /// <summary>The refunds made, by id, as last answered.</summary>
    public ConcurrentDictionary<string, JsonObject> Refunds { get; } = new();

    /// <summary>The status new refunds are answered with (<c>succeeded</c>, <c>pending</c>, ...).</summary>
    public string RefundStatus { get; set; } = "succeeded";

    /// <summary>When set, every request's connection is dropped without an answer.</summary>
    public bool DropConnections { get; set; }

    /// <summary>When set, refunds are refused with this card error message (402).</summary>
    public string? RefundError { get; set; }

    /// <summary>Starts the fake; it accepts only <paramref name="secretKey"/>.</summary>
    public static async Task<FakeStripe> StartAsync(string secretKey = "sk_test_tollgate_fake")
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var app = builder.Build();
        var fake = new FakeStripe(app, secretKey);
        app.MapPost("/v1/checkout/sessions", (Func<HttpContext, Task<IResult>>)fake.CreateSessionAsync);
        app.MapPost("/v1/refunds", (Func<HttpContext, Task<IResult>>)fake.CreateRefundAsync);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await app.StartAsync(cts.Token);
        fake.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
        return fake;
    }

    /// <summary>The Checkout Session as Stripe sends it in an event once the buyer paid: complete, paid, with a PaymentIntent.</summary>
    public JsonObject PaidSession(string sessionId, string paymentStatus = "paid")
    {
        var session = (JsonObject)Sessions[sessionId].DeepClone();
        session["status"] = "complete";
        session["payment_status"] = paymentStatus;
        session["payment_intent"] = "pi_" + sessionId[8..];
        return session;
    }

    private async Task<IResult> CreateSessionAsync(HttpContext http)
    {
        var (form, refusal) = await ReadAsync(http);
        if (refusal is not null)
        {
            return refusal;
        }

        var key = http.Request.Headers["Idempotency-Key"].ToString();
        if (key.Length > 0 && _byIdempotencyKey.TryGetValue(key, out var earlier))
        {
            return Json(earlier);
        }

        if (form.GetValueOrDefault("mode") != "payment" || !form.ContainsKey("line_items[0][price_data][unit_amount]"))
        {
            return Error(400, "invalid_request_error", "Missing required param: mode or line_items.");
        }

        long total = 0;
        for (var i = 0; form.TryGetValue($"line_items[{i}][price_data][unit_amount]", out var unit); i++)
        {
            total += long.Parse(unit, System.Globalization.CultureInfo.InvariantCulture) * long.Parse(form.GetValueOrDefault($"line_items[{i}][quantity]", "1"), System.Globalization.CultureInfo.InvariantCulture);
        }

        var id = $"cs_test_{Interlocked.Increment(ref _counter):D6}{Guid.NewGuid():N}";
        var metadata = new JsonObject();
        foreach (var (name, value) in form.Where(f => f.Key.StartsWith("metadata[", StringComparison.Ordinal)))
        {
            metadata[name[9..^1]] = value;
        }

        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var session = new JsonObject
        {
            ["id"] = id,
            ["object"] = "checkout.session",
            ["amount_subtotal"] = total,
            ["amount_total"] = total,
            ["cancel_url"] = form.GetValueOrDefault("cancel_url"),
            ["client_reference_id"] = form.GetValueOrDefault("client_reference_id"),
            ["created"] = now,
            ["currency"] = form.GetValueOrDefault("line_items[0][price_data][currency]"),
            ["customer_email"] = form.GetValueOrDefault("customer_email"),
            ["expires_at"] = now + 86400,
            ["livemode"] = false,
            ["metadata"] = metadata,
            ["mode"] = "payment",
            ["payment_intent"] = null,
            ["payment_status"] = "unpaid",
            ["status"] = "open",
            ["success_url"] = form.GetValueOrDefault("success_url"),
            ["url"] = "https://checkout.stripe.test/c/pay/" + id,
        };
        Sessions[id] = session;
        if (key.Length > 0)
        {
            _byIdempotencyKey[key] = session;
        }

        return Json(session);
    }

    private async Task<IResult> CreateRefundAsync(HttpContext http)
    {
        var (form, refusal) = await ReadAsync(http);
        if (refusal is not null)
        {
            return refusal;
        }

        var key = http.Request.Headers["Idempotency-Key"].ToString();
        if (key.Length > 0 && _byIdempotencyKey.TryGetValue(key, out var earlier))
        {
            return Json(earlier);
        }

        if (RefundError is { } message)
        {
            return Error(402, "card_error", message);
        }

        if (!form.TryGetValue("payment_intent", out var paymentIntent) || !paymentIntent.StartsWith("pi_", StringComparison.Ordinal))
        {
            return Error(400, "invalid_request_error", "Missing required param: payment_intent.");
        }

        var metadata = new JsonObject();
        foreach (var (name, value) in form.Where(f => f.Key.StartsWith("metadata[", StringComparison.Ordinal)))
        {
            metadata[name[9..^1]] = value;
        }

        var id = $"re_{Interlocked.Increment(ref _counter):D6}{Guid.NewGuid():N}";
        var refund = new JsonObject
        {
            ["id"] = id,
            ["object"] = "refund",
            ["amount"] = long.Parse(form["amount"], System.Globalization.CultureInfo.InvariantCulture),
            ["balance_transaction"] = "txn_" + id[3..],
            ["charge"] = "ch_" + paymentIntent[3..],
            ["created"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            ["currency"] = "usd",
            ["metadata"] = metadata,
            ["payment_intent"] = paymentIntent,
            ["reason"] = form.GetValueOrDefault("reason"),
            ["status"] = RefundStatus,
        };
        Refunds[id] = refund;
        if (key.Length > 0)
        {
            _byIdempotencyKey[key] = refund;
        }

        return Json(refund);
    }

    private async Task<(Dictionary<string, string> Form, IResult? Refusal)> ReadAsync(HttpContext http)
    {
        if (DropConnections)
        {
            http.Abort();
            return ([], Results.Empty);
        }

        if (http.Request.Headers.Authorization.ToString() != "Bearer " + SecretKey)
        {
            Interlocked.Increment(ref Unauthorized);
            return ([], Error(401, "invalid_request_error", "Invalid API Key provided."));
        }

        if (!http.Request.HasFormContentType)
        {
            return ([], Error(400, "invalid_request_error", "Stripe's API takes form-encoded bodies."));
        }

        var form = (await http.Request.ReadFormAsync()).ToDictionary(f => f.Key, f => f.Value.ToString());
        Calls.Enqueue(new StripeCall(http.Request.Path, form, http.Request.Headers["Idempotency-Key"].ToString() is { Length: > 0 } k ? k : null,
            http.Request.Headers["Stripe-Version"].ToString()));
        return (form, null);
    }

    private static IResult Json(JsonObject body) => Results.Text(body.ToJsonString(), "application/json");

    private static IResult Error(int status, string type, string message) =>
        Results.Text(new JsonObject { ["error"] = new JsonObject { ["type"] = type, ["message"] = message } }.ToJsonString(), "application/json", statusCode: status);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await _app.StopAsync(cts.Token);
        await _app.DisposeAsync();
    }
}
