using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Tollgate.Storage;
using Tollgate.Tests.Accounts;
using Tollgate.Tests.Gateway;
using Tollgate.Tests.Infrastructure;

namespace Tollgate.Tests.Billing;

/// <summary>
/// Every change of the balance that billing makes — a webhook completing a purchase, a refund taking
/// credits back, a failed refund giving them back — is what the gateway enforces on its next request,
/// on this node and on another.
/// </summary>
public sealed class CreditsEnforcementTests
{
    private static async Task<HttpResponseMessage> ChatAsync(TollgateServer node, string key)
    {
        using var client = node.CreateClient(key);
        using var cts = new CancellationTokenSource(ApiCalls.Timeout);
        return await client.PostAsync("v1/chat/completions", GatewayTestHost.ChatBody("fake-model", "credits", maxTokens: 5), cts.Token);
    }

    private static Dictionary<string, string?> StripeSettings(FakeStripe stripe) => new(BillingHost.Seller)
    {
        ["Tollgate:Billing:Stripe:SecretKey"] = stripe.SecretKey,
        ["Tollgate:Billing:Stripe:WebhookSecret"] = BillingHost.WebhookSecret,
        ["Tollgate:Billing:Stripe:ApiBase"] = stripe.Url,
    };

    private static async Task<HttpResponseMessage> WebhookAsync(TollgateServer node, string type, System.Text.Json.Nodes.JsonObject data)
    {
        var body = BillingHost.EventJson(type, data);
        using var request = new HttpRequestMessage(HttpMethod.Post, "billing/stripe/webhook") { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("Stripe-Signature", BillingHost.Sign(body, DateTimeOffset.UtcNow.ToUnixTimeSeconds()));
        using var cts = new CancellationTokenSource(ApiCalls.Timeout);
        return await node.Client.SendAsync(request, cts.Token);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task WebhookPurchase_ThenRefund_ThenFailedRefund_AreEnforcedOnTheNextRequest_OnEveryNode(DbDialect dialect)
    {
        await using var stripe = await FakeStripe.StartAsync();
        await using var host = await GatewayTestHost.StartAsync(dialect, StripeSettings(stripe));
        await using var second = dialect == DbDialect.Postgres ? await host.StartSecondNodeAsync() : null;
        var other = second ?? host.Server; // SQLite is one process; PostgreSQL runs a second node on the same data
        using var owner = host.Server.CreateClient(host.Token);
        Assert.Equal(HttpStatusCode.OK, (await owner.ApiPatchAsync($"orgs/{host.OrgId}", new { billingMode = "credits" })).Status);

        // :: A pending purchase gives nothing; its webhook (on the other node) makes requests pass.
        var purchase = await owner.ApiPostAsync($"orgs/{host.OrgId}/credits/purchase", new { amount = "5" });
        Assert.Equal(HttpStatusCode.Created, purchase.Status);
        Assert.Equal(HttpStatusCode.PaymentRequired, (await ChatAsync(host.Server, host.Key)).StatusCode);
        var session = stripe.Sessions.Single().Key;
        using (var paid = await WebhookAsync(other, "checkout.session.completed", stripe.PaidSession(session)))
        {
            Assert.Equal(HttpStatusCode.OK, paid.StatusCode);
        }

        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(host.Server, host.Key)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(other, host.Key)).StatusCode);

        // :: A refund of everything (past what was spent, so it must allow a negative balance) denies at once.
        stripe.RefundStatus = "pending";
        var refund = await owner.ApiPostAsync($"orgs/{host.OrgId}/transactions/{purchase.Str("id")}/refund", new { reason = "all back", allowNegativeBalance = true });
        Assert.Equal(HttpStatusCode.Created, refund.Status);
        Assert.Equal(HttpStatusCode.PaymentRequired, (await ChatAsync(host.Server, host.Key)).StatusCode);
        Assert.Equal(HttpStatusCode.PaymentRequired, (await ChatAsync(other, host.Key)).StatusCode);

        // :: Stripe fails the refund: the credits come back, and requests pass again.
        var failed = stripe.Refunds.Values.Single().DeepClone().AsObject();
        failed["status"] = "failed";
        using (var answer = await WebhookAsync(other, "refund.failed", failed))
        {
            Assert.Equal("failed", (await answer.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("outcome").GetString());
        }

        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(host.Server, host.Key)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(other, host.Key)).StatusCode);
    }
}
