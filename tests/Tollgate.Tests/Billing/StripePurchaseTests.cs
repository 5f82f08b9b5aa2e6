using System.Net;
using System.Text.Json.Nodes;
using Tollgate.Accounts;
using Tollgate.Storage;
using Tollgate.Tests.Accounts;
using Tollgate.Tests.Infrastructure;
using Tollgate.Tests.Team;

namespace Tollgate.Tests.Billing;

/// <summary>Credit purchases through Stripe Checkout (a local fake) and the signed webhook that completes or fails them.</summary>
public sealed class StripePurchaseTests
{
    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task Purchase_CreatesAPendingPurchaseAndACheckoutSession_TheWebhookCompletesItOnce(DbDialect dialect)
    {
        await using var host = await BillingHost.StartAsync(dialect);

        var purchase = await host.PurchaseOkAsync("100");

        // :: Pending, with the checkout URL; no credits yet.
        var id = purchase.GetProperty("id").GetString()!;
        Assert.Equal("credit_purchase", purchase.GetProperty("type").GetString());
        Assert.Equal("pending", purchase.GetProperty("status").GetString());
        Assert.Equal("119", purchase.GetProperty("amount").GetString()); // 100 of credits + 19% tax
        Assert.Equal("100", purchase.GetProperty("creditAmount").GetString());
        var sessionId = host.SessionOf(purchase);
        Assert.Equal("https://checkout.stripe.test/c/pay/" + sessionId, purchase.GetProperty("checkoutUrl").GetString());
        Assert.Equal("0", await host.BalanceAsync());

        // :: What Stripe received: a form-encoded Checkout Session in payment mode, tied to the transaction.
        var call = Assert.Single(host.Stripe!.Calls);
        Assert.Equal("/v1/checkout/sessions", call.Path);
        Assert.Equal(id, call.IdempotencyKey);
        Assert.Equal("payment", call.Form["mode"]);
        Assert.Equal(id, call.Form["client_reference_id"]);
        Assert.Equal(id, call.Form["metadata[tollgate_transaction_id]"]);
        Assert.Equal(host.OrgId, call.Form["metadata[tollgate_org_id]"]);
        Assert.Equal(id, call.Form["payment_intent_data[metadata][tollgate_transaction_id]"]);
        Assert.Equal("usd", call.Form["line_items[0][price_data][currency]"]);
        Assert.Equal("10000", call.Form["line_items[0][price_data][unit_amount]"]);
        Assert.Equal("1", call.Form["line_items[0][quantity]"]);
        Assert.Equal("Tollgate credits", call.Form["line_items[0][price_data][product_data][name]"]);
        Assert.Equal("1900", call.Form["line_items[1][price_data][unit_amount]"]);
        Assert.Equal("Tax (19%)", call.Form["line_items[1][price_data][product_data][name]"]);
        Assert.Equal("ap@acme.test", call.Form["customer_email"]);
        Assert.Equal($"{host.Server.BaseAddress}dashboard/orgs/{host.OrgId}/transactions?checkout=success&transaction={id}", call.Form["success_url"]);
        Assert.Equal($"{host.Server.BaseAddress}dashboard/orgs/{host.OrgId}/transactions?checkout=cancel&transaction={id}", call.Form["cancel_url"]);
        Assert.Equal(0, host.Stripe.Unauthorized);

        // :: The buyer pays: the signed event completes it, credits arrive, an invoice number is given.
        var paid = BillingHost.EventJson("checkout.session.completed", host.Stripe.PaidSession(sessionId), "evt_paid_1");
        var first = await host.PostWebhookAsync(paid, null);
        Assert.Equal(HttpStatusCode.OK, first.Status);
        Assert.Equal("completed", first.Str("outcome"));
        Assert.Equal("100", await host.BalanceAsync());
        var completed = await host.TransactionAsync(id);
        Assert.Equal("completed", completed.GetProperty("status").GetString());
        Assert.Matches(@"^INV-\d{4}-000001$", completed.GetProperty("documentNumber").GetString()!);
        Assert.False(completed.TryGetProperty("checkoutUrl", out _));

        // :: The same event again (Stripe retries), and another event for the same payment: nothing twice.
        var replay = await host.PostWebhookAsync(paid, null);
        Assert.Equal(HttpStatusCode.OK, replay.Status);
        Assert.Equal("duplicate", replay.Str("outcome"));
        var other = await host.SendEventAsync("checkout.session.completed", host.Stripe.PaidSession(sessionId), "evt_paid_2");
        Assert.Equal("unchanged", other.Str("outcome"));
        var async = await host.SendEventAsync("checkout.session.async_payment_succeeded", host.Stripe.PaidSession(sessionId), "evt_paid_3");
        Assert.Equal("unchanged", async.Str("outcome"));
        Assert.Equal("100", await host.BalanceAsync());
        Assert.Equal(completed.GetProperty("documentNumber").GetString(), (await host.TransactionAsync(id)).GetProperty("documentNumber").GetString());
        Assert.Equal(3, await host.RecordedEventsAsync());

        // :: The completion is in the org's audit log, by the system, naming the event.
        var audit = await host.Client.ApiGetAsync($"orgs/{host.OrgId}/audit-logs?action=transaction.complete");
        var entry = Assert.Single(audit.Body.GetProperty("data").EnumerateArray());
        Assert.Equal(id, entry.GetProperty("target").GetProperty("id").GetString());
        Assert.Contains("evt_paid_1", entry.GetRawText(), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task Webhook_TamperedWrongSecretStaleOrUnsigned_Is400_AndTouchesNothing(DbDialect dialect)
    {
        await using var host = await BillingHost.StartAsync(dialect);
        var purchase = await host.PurchaseOkAsync("50");
        var id = purchase.GetProperty("id").GetString()!;
        var body = BillingHost.EventJson("checkout.session.completed", host.Stripe!.PaidSession(host.SessionOf(purchase)));
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        var tampered = await host.PostWebhookAsync(body.Replace("\"livemode\":false", "\"livemode\":true", StringComparison.Ordinal), BillingHost.Sign(body, now));
        var wrongSecret = await host.PostWebhookAsync(body, BillingHost.Sign(body, now, "whsec_someone_else"));
        var stale = await host.PostWebhookAsync(body, BillingHost.Sign(body, now - 400));
        var future = await host.PostWebhookAsync(body, BillingHost.Sign(body, now + 400));
        var unsigned = await host.PostWebhookAsync(body, "");
        var garbage = await host.PostWebhookAsync(body, "t=abc,v1=zz");

        foreach (var answer in new[] { tampered, wrongSecret, stale, future, unsigned, garbage })
        {
            Assert.Equal(HttpStatusCode.BadRequest, answer.Status);
            Assert.Equal("application/problem+json", answer.ContentType);
        }

        Assert.Equal("pending", (await host.TransactionAsync(id)).GetProperty("status").GetString());
        Assert.Equal("0", await host.BalanceAsync());
        Assert.Equal(0, await host.RecordedEventsAsync());

        // Within the tolerance it verifies.
        var recent = await host.PostWebhookAsync(body, BillingHost.Sign(body, now - 200));
        Assert.Equal(HttpStatusCode.OK, recent.Status);
        Assert.Equal("50", await host.BalanceAsync());
    }

    [Fact]
    public async Task Webhook_OversizedBody_Is413_AndNothingIsRecorded()
    {
        await using var host = await BillingHost.StartAsync();
        var body = "{\"id\":\"evt_big\",\"padding\":\"" + new string('x', 600 * 1024) + "\"}";

        var answer = await host.PostWebhookAsync(body, null);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, answer.Status);
        Assert.Equal(0, await host.RecordedEventsAsync());
    }

    [Fact]
    public async Task Webhook_EventOfAnotherApiVersion_IsStillVerifiedAndHandled()
    {
        await using var host = await BillingHost.StartAsync();
        var purchase = await host.PurchaseOkAsync("5");

        var body = BillingHost.EventJson("checkout.session.completed", host.Stripe!.PaidSession(host.SessionOf(purchase)), apiVersion: "2024-06-20");
        var answer = await host.PostWebhookAsync(body, null);

        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Equal("completed", answer.Str("outcome"));
        Assert.Equal("5", await host.BalanceAsync());
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task Webhook_ExpiredOrAsyncPaymentFailed_FailsThePurchase_AndALaterPaymentEventCompletesNothing(DbDialect dialect)
    {
        await using var host = await BillingHost.StartAsync(dialect);
        var expired = await host.PurchaseOkAsync("10");
        var declined = await host.PurchaseOkAsync("20");
        var expiredSession = host.Stripe!.Sessions[host.SessionOf(expired)].DeepClone().AsObject();
        expiredSession["status"] = "expired";

        var onExpired = await host.SendEventAsync("checkout.session.expired", expiredSession);
        var onFailed = await host.SendEventAsync("checkout.session.async_payment_failed", host.Stripe.PaidSession(host.SessionOf(declined), "unpaid"));
        var lateCompletion = await host.SendEventAsync("checkout.session.completed", host.Stripe.PaidSession(host.SessionOf(expired)));

        Assert.Equal("failed", onExpired.Str("outcome"));
        Assert.Equal("failed", onFailed.Str("outcome"));
        Assert.Equal("unchanged", lateCompletion.Str("outcome"));
        foreach (var purchase in new[] { expired, declined })
        {
            var row = await host.TransactionAsync(purchase.GetProperty("id").GetString()!);
            Assert.Equal("failed", row.GetProperty("status").GetString());
            Assert.Equal(System.Text.Json.JsonValueKind.Null, row.GetProperty("documentNumber").ValueKind);
        }

        Assert.Equal("0", await host.BalanceAsync());
        var invoice = await host.Client.GetAsync($"orgs/{host.OrgId}/transactions/{expired.GetProperty("id").GetString()}/invoice");
        Assert.Equal(HttpStatusCode.Conflict, invoice.StatusCode);
    }

    [Fact]
    public async Task Webhook_CompletedButUnpaid_WaitsForTheAsyncPayment()
    {
        await using var host = await BillingHost.StartAsync();
        var purchase = await host.PurchaseOkAsync("30");
        var session = host.SessionOf(purchase);

        var unpaid = await host.SendEventAsync("checkout.session.completed", host.Stripe!.PaidSession(session, "unpaid"));
        Assert.Equal("unchanged", unpaid.Str("outcome"));
        Assert.Equal("pending", (await host.TransactionAsync(purchase.GetProperty("id").GetString()!)).GetProperty("status").GetString());
        Assert.Equal("0", await host.BalanceAsync());

        var succeeded = await host.SendEventAsync("checkout.session.async_payment_succeeded", host.Stripe.PaidSession(session));
        Assert.Equal("completed", succeeded.Str("outcome"));
        Assert.Equal("30", await host.BalanceAsync());
    }

    [Fact]
    public async Task Webhook_SessionForADifferentAmount_DoesNotComplete()
    {
        await using var host = await BillingHost.StartAsync();
        var purchase = await host.PurchaseOkAsync("30");
        var session = host.Stripe!.PaidSession(host.SessionOf(purchase));
        session["amount_total"] = 100; // one dollar paid for 35.70

        var answer = await host.SendEventAsync("checkout.session.completed", session);

        Assert.Equal("ignored", answer.Str("outcome"));
        Assert.Equal("pending", (await host.TransactionAsync(purchase.GetProperty("id").GetString()!)).GetProperty("status").GetString());
        Assert.Equal("0", await host.BalanceAsync());
    }

    [Fact]
    public async Task Purchase_StripeRefusesTheKey_Is502_AndThePurchaseIsFailed()
    {
        await using var host = await BillingHost.StartAsync(serverSecretKey: "sk_test_wrong");

        var response = await host.PurchaseAsync("10");

        Assert.Equal(HttpStatusCode.BadGateway, response.Status);
        Assert.True(host.Stripe!.Unauthorized >= 1);
        var list = await host.Client.ApiGetAsync($"orgs/{host.OrgId}/transactions");
        var row = Assert.Single(list.Body.GetProperty("data").EnumerateArray());
        Assert.Equal("failed", row.GetProperty("status").GetString());
        Assert.Equal("0", await host.BalanceAsync());
    }

    [Fact]
    public async Task Purchase_WithStripe_AmountsAreWholeCents_AndBillingMembersMayBuy_DevelopersMayNot()
    {
        await using var host = await BillingHost.StartAsync();
        var billing = await TeamSetup.NewUserAsync(host.Server);
        var developer = await TeamSetup.NewUserAsync(host.Server);
        await TeamSetup.AddMemberAsync(host.Client, host.OrgId, billing, OrgRoles.Billing);
        var project = await TeamSetup.NewProjectAsync(host.Client, host.OrgId);
        await TeamSetup.AddMemberAsync(host.Client, host.OrgId, developer, OrgRoles.Developer, project);

        var fraction = await host.PurchaseAsync("10.005");
        var byBilling = await host.PurchaseAsync("12.50", billing.Client);
        var byDeveloper = await host.PurchaseAsync("12.50", developer.Client);

        Assert.Equal(HttpStatusCode.BadRequest, fraction.Status);
        Assert.Equal(["amount"], fraction.ErrorFields);
        Assert.Equal(HttpStatusCode.Created, byBilling.Status);
        Assert.Equal("pending", byBilling.Str("status"));
        Assert.Equal(HttpStatusCode.Forbidden, byDeveloper.Status);
        Assert.Single(host.Stripe!.Calls);
    }

    [Fact]
    public async Task Webhook_WithoutStripeConfigured_IsNotThere_AndPurchaseIsTheGrant()
    {
        await using var host = await BillingHost.StartAsync(stripe: false);

        var grant = await host.PurchaseOkAsync("10");
        var webhook = await host.PostWebhookAsync("{}", "t=1,v1=00");

        Assert.Equal("completed", grant.GetProperty("status").GetString());
        Assert.Equal("11.9", grant.GetProperty("amount").GetString());
        Assert.Equal("10", await host.BalanceAsync());
        Assert.Equal(HttpStatusCode.NotFound, webhook.Status);
    }
}
