using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using Tollgate.Storage;
using Tollgate.Tests.Accounts;
using Tollgate.Tests.Infrastructure;

namespace Tollgate.Tests.Billing;

/// <summary>
/// A Tollgate server for billing tests: an owner signed in, an org with billing details and a tax
/// rate, the seller configured, and (unless asked otherwise) Stripe pointed at a <see cref="FakeStripe"/>.
/// </summary>
internal sealed class BillingHost : IAsyncDisposable
{
    /// <summary>The webhook signing secret the server is configured with.</summary>
    public const string WebhookSecret = "whsec_tollgate_test_secret";

    /// <summary>The seller's settings.</summary>
    public static readonly IReadOnlyDictionary<string, string?> Seller = new Dictionary<string, string?>
    {
        ["Tollgate:Billing:Seller:Name"] = "Tollgate Seller GmbH",
        ["Tollgate:Billing:Seller:Address"] = "Hauptstraße 1\n10115 Berlin",
        ["Tollgate:Billing:Seller:TaxId"] = "DE811111111",
        ["Tollgate:Billing:Seller:Email"] = "invoices@seller.test",
        ["Tollgate:Billing:Seller:Country"] = "DE",
    };

    private BillingHost(TollgateServer server, FakeStripe? stripe, string token, string orgId)
    {
        Server = server;
        Stripe = stripe;
        Token = token;
        OrgId = orgId;
        Client = server.CreateClient(token);
    }

    public TollgateServer Server { get; }

    public FakeStripe? Stripe { get; }

    public string Token { get; }

    public string OrgId { get; }

    /// <summary>The owner's client.</summary>
    public HttpClient Client { get; }

    /// <summary>
    /// Starts the fake Stripe (when <paramref name="stripe"/>) and the server, and makes the org with
    /// <paramref name="billing"/> details (default: a German company, same country as the seller) and
    /// <paramref name="taxRate"/>.
    /// </summary>
    public static async Task<BillingHost> StartAsync(
        DbDialect dialect = DbDialect.Sqlite, bool stripe = true, object? billing = null, string? taxRate = "0.19", string? serverSecretKey = null)
    {
        var fake = stripe ? await FakeStripe.StartAsync() : null;
        var settings = new Dictionary<string, string?>(Seller);
        if (fake is not null)
        {
            settings["Tollgate:Billing:Stripe:SecretKey"] = serverSecretKey ?? fake.SecretKey;
            settings["Tollgate:Billing:Stripe:WebhookSecret"] = WebhookSecret;
            settings["Tollgate:Billing:Stripe:ApiBase"] = fake.Url;
        }

        var server = await TollgateServer.StartAsync(dialect, settings);
        var (token, _) = await AccountSetup.SignUpAndLogInAsync(server);
        using var client = server.CreateClient(token);
        var org = await client.ApiPostAsync("orgs", new { name = "Acme Org" });
        Assert.True(org.Status == HttpStatusCode.Created, org.Text);
        var host = new BillingHost(server, fake, token, org.Str("id"));
        var patch = await host.Client.ApiPatchAsync($"orgs/{host.OrgId}", new
        {
            taxRate,
            billing = billing ?? new
            {
                email = "ap@acme.test",
                company = "Acme Analytics AG",
                address = "Bahnhofstraße 5\n80335 München",
                country = "DE",
                taxId = "DE123456789",
            },
        });
        Assert.True(patch.Status == HttpStatusCode.OK, patch.Text);
        return host;
    }

    /// <summary><c>POST /orgs/{orgId}/credits/purchase</c>.</summary>
    public Task<ApiResponse> PurchaseAsync(string amount, HttpClient? client = null) =>
        (client ?? Client).ApiPostAsync($"orgs/{OrgId}/credits/purchase", new { amount });

    /// <summary>A purchase that must be created (201); its body.</summary>
    public async Task<JsonElement> PurchaseOkAsync(string amount)
    {
        var response = await PurchaseAsync(amount);
        Assert.True(response.Status == HttpStatusCode.Created, $"purchase: {(int)response.Status} {response.Text}");
        return response.Body;
    }

    /// <summary><c>POST .../transactions/{id}/refund</c>.</summary>
    public Task<ApiResponse> RefundAsync(string transactionId, object body, HttpClient? client = null) =>
        (client ?? Client).ApiPostAsync($"orgs/{OrgId}/transactions/{transactionId}/refund", body);

    /// <summary>The org's balance as <c>GET /credits</c> shows it.</summary>
    public async Task<string> BalanceAsync()
    {
        var credits = await Client.ApiGetAsync($"orgs/{OrgId}/credits");
        Assert.True(credits.Status == HttpStatusCode.OK, credits.Text);
        return credits.Str("balance");
    }

    /// <summary>One transaction as the list shows it.</summary>
    public async Task<JsonElement> TransactionAsync(string id)
    {
        var list = await Client.ApiGetAsync($"orgs/{OrgId}/transactions?limit=200");
        Assert.True(list.Status == HttpStatusCode.OK, list.Text);
        return list.Body.GetProperty("data").EnumerateArray().Single(t => t.GetProperty("id").GetString() == id);
    }

    /// <summary>A completed Stripe purchase: created, then paid by a signed <c>checkout.session.completed</c>.</summary>
    public async Task<JsonElement> PaidPurchaseAsync(string amount)
    {
        var purchase = await PurchaseOkAsync(amount);
        var answer = await SendEventAsync("checkout.session.completed", Stripe!.PaidSession(SessionOf(purchase)));
        Assert.True(answer.Status == HttpStatusCode.OK, answer.Text);
        Assert.Equal("completed", answer.Str("outcome"));
        return await TransactionAsync(purchase.GetProperty("id").GetString()!);
    }

    /// <summary>The checkout session the fake made for a purchase.</summary>
    public string SessionOf(JsonElement purchase)
    {
        var id = purchase.GetProperty("id").GetString();
        return Stripe!.Sessions.Single(s => s.Value["client_reference_id"]?.GetValue<string>() == id).Key;
    }

    /// <summary>An event as Stripe sends it to a webhook endpoint.</summary>
    public static string EventJson(string type, JsonObject dataObject, string? eventId = null, string apiVersion = "2026-10-28.endive") =>
        new JsonObject
        {
            ["id"] = eventId ?? "evt_" + Guid.NewGuid().ToString("N"),
            ["object"] = "event",
            ["api_version"] = apiVersion,
            ["created"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            ["data"] = new JsonObject { ["object"] = dataObject.DeepClone() },
            ["livemode"] = false,
            ["pending_webhooks"] = 1,
            ["request"] = new JsonObject { ["id"] = null, ["idempotency_key"] = null },
            ["type"] = type,
        }.ToJsonString();

    /// <summary>
    /// Stripe's signature header for a body: <c>t={unix seconds},v1={hex HMAC-SHA256 of "t.body" keyed with the secret}</c>.
    /// </summary>
    public static string Sign(string body, long timestamp, string secret = WebhookSecret)
    {
        var t = timestamp.ToString(CultureInfo.InvariantCulture);
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(t + "." + body));
        return $"t={t},v1={Convert.ToHexStringLower(mac)}";
    }

    /// <summary>Posts a signed event to the webhook.</summary>
    public Task<ApiResponse> SendEventAsync(string type, JsonObject dataObject, string? eventId = null) =>
        PostWebhookAsync(EventJson(type, dataObject, eventId), null);

    /// <summary>Posts <paramref name="body"/> with <paramref name="signature"/> (default: signed now with the right secret).</summary>
    public async Task<ApiResponse> PostWebhookAsync(string body, string? signature)
    {
        using var cts = new CancellationTokenSource(ApiCalls.Timeout);
        using var request = new HttpRequestMessage(HttpMethod.Post, "billing/stripe/webhook")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("Stripe-Signature", signature ?? Sign(body, DateTimeOffset.UtcNow.ToUnixTimeSeconds()));
        using var response = await Server.Client.SendAsync(request, cts.Token);
        var text = await response.Content.ReadAsStringAsync(cts.Token);
        var json = text.StartsWith('{') ? JsonDocument.Parse(text).RootElement.Clone() : default;
        return new ApiResponse(response.StatusCode, json, text, response.Content.Headers.ContentType?.MediaType, response.Headers);
    }

    /// <summary>Sets the org's charged credits directly (as if requests had spent them).</summary>
    public async Task SpendAsync(string usd)
    {
        await using var connection = await Server.App.Services.GetRequiredService<Database>().OpenAsync().AsTask().WaitAsync(ApiCalls.Timeout);
        await connection.ExecuteAsync("UPDATE org_credits SET charged_pico = @pico WHERE org_id = @org",
            new { pico = Tollgate.Budgets.Money.ToPico(decimal.Parse(usd, CultureInfo.InvariantCulture)), org = OrgId });
    }

    /// <summary>How many provider events were recorded.</summary>
    public async Task<long> RecordedEventsAsync()
    {
        await using var connection = await Server.App.Services.GetRequiredService<Database>().OpenAsync().AsTask().WaitAsync(ApiCalls.Timeout);
        return await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM payment_events");
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
        if (Stripe is not null)
        {
            await Stripe.DisposeAsync();
        }
    }
}
