using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tollgate.Storage;
using Tollgate.Tests.Accounts;
using Tollgate.Tests.Infrastructure;

namespace Tollgate.Tests.Billing;

/// <summary>Refunds: full, partial, over-refund, concurrent, the balance rule, and through Stripe.</summary>
public sealed class RefundTests
{
    private static string Id(JsonElement row) => row.GetProperty("id").GetString()!;

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task Refund_OfAGrant_PartialThenTheRest_TakesCreditsBack_AndCompletesWithCreditNotes(DbDialect dialect)
    {
        await using var host = await BillingHost.StartAsync(dialect, stripe: false);
        var purchase = await host.PurchaseOkAsync("100"); // 119 paid: 100 credits + 19 tax

        var partial = await host.RefundAsync(Id(purchase), new { amount = "47.6", reason = "Unused seats" });
        var rest = await host.RefundAsync(Id(purchase), new { reason = "Closing the account" });

        Assert.Equal(HttpStatusCode.Created, partial.Status);
        Assert.Equal("refund", partial.Str("type"));
        Assert.Equal("completed", partial.Str("status"));
        Assert.Equal("47.6", partial.Str("amount"));
        Assert.Equal("-40", partial.Str("creditAmount")); // 40% of the purchase: 40 credits and 7.60 tax
        Assert.Equal(Id(purchase), partial.Str("relatedTransactionId"));
        Assert.Matches(@"^CN-\d{4}-000001$", partial.Str("documentNumber"));
        Assert.Equal("Unused seats", partial.Str("reason"));

        Assert.Equal(HttpStatusCode.Created, rest.Status);
        Assert.Equal("71.4", rest.Str("amount"));
        Assert.Equal("-60", rest.Str("creditAmount"));
        Assert.Matches(@"^CN-\d{4}-000002$", rest.Str("documentNumber"));
        Assert.Equal("0", await host.BalanceAsync());

        var again = await host.RefundAsync(Id(purchase), new { amount = "0.01", reason = "One more" });
        Assert.Equal(HttpStatusCode.Conflict, again.Status);
        Assert.Equal("refund_exceeds_remaining", again.Str("code"));

        var audit = await host.Client.ApiGetAsync($"orgs/{host.OrgId}/audit-logs?action=transaction.refund");
        var entries = audit.Body.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal(2, entries.Count);
        Assert.Contains(entries, e => e.GetProperty("target").GetProperty("id").GetString() == partial.Str("id"));
    }

    [Fact]
    public async Task Refund_MoreThanLeft_Is409NamingWhatIsLeft_AndChangesNothing()
    {
        await using var host = await BillingHost.StartAsync(stripe: false, taxRate: null);
        var purchase = await host.PurchaseOkAsync("10");
        Assert.Equal(HttpStatusCode.Created, (await host.RefundAsync(Id(purchase), new { amount = "4", reason = "r" })).Status);

        var over = await host.RefundAsync(Id(purchase), new { amount = "6.01", reason = "too much" });

        Assert.Equal(HttpStatusCode.Conflict, over.Status);
        Assert.Equal("refund_exceeds_remaining", over.Str("code"));
        Assert.Equal("6", over.Str("refundable"));
        Assert.Contains("6 USD is left", over.Str("detail"), StringComparison.Ordinal);
        Assert.Equal("6", await host.BalanceAsync());
        Assert.Equal(HttpStatusCode.Created, (await host.RefundAsync(Id(purchase), new { amount = "6", reason = "exactly the rest" })).Status);
    }

    [Fact]
    public async Task Refund_Validation_AndWhatCannotBeRefunded()
    {
        await using var host = await BillingHost.StartAsync(stripe: false);
        var purchase = await host.PurchaseOkAsync("10");
        var refund = await host.RefundAsync(Id(purchase), new { amount = "1", reason = "r" });

        var noReason = await host.RefundAsync(Id(purchase), new { amount = "1" });
        var zero = await host.RefundAsync(Id(purchase), new { amount = "0", reason = "r" });
        var negative = await host.RefundAsync(Id(purchase), new { amount = "-1", reason = "r" });
        var badFlag = await host.RefundAsync(Id(purchase), new { reason = "r", allowNegativeBalance = "yes" });
        var ofARefund = await host.RefundAsync(refund.Str("id"), new { reason = "r" });
        var unknown = await host.RefundAsync("txn_00000000000000000000000000", new { reason = "r" });

        Assert.Equal(["reason"], noReason.ErrorFields);
        Assert.Equal(["amount"], zero.ErrorFields);
        Assert.Equal(["amount"], negative.ErrorFields);
        Assert.Equal(["allowNegativeBalance"], badFlag.ErrorFields);
        Assert.Equal(HttpStatusCode.Conflict, ofARefund.Status);
        Assert.Equal(HttpStatusCode.NotFound, unknown.Status);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task Refund_TenConcurrentRefunds_NeverPayBackMoreThanWasPaid(DbDialect dialect)
    {
        await using var host = await BillingHost.StartAsync(dialect, stripe: false, taxRate: null);
        var purchase = await host.PurchaseOkAsync("10");

        var answers = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => host.RefundAsync(Id(purchase), new { amount = "3", reason = $"parallel {i}" })))
            .WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(3, answers.Count(a => a.Status == HttpStatusCode.Created));
        Assert.Equal(7, answers.Count(a => a.Status == HttpStatusCode.Conflict));
        Assert.Equal("1", await host.BalanceAsync());
        var list = await host.Client.ApiGetAsync($"orgs/{host.OrgId}/transactions?type=refund");
        var numbers = list.Body.GetProperty("data").EnumerateArray().Select(r => r.GetProperty("documentNumber").GetString()!).Order().ToList();
        Assert.Equal(3, numbers.Count);
        Assert.Equal(["000001", "000002", "000003"], numbers.Select(n => n[^6..]));
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task Refund_OfCreditsAlreadySpent_Is409_UnlessAllowNegativeBalance(DbDialect dialect)
    {
        await using var host = await BillingHost.StartAsync(dialect, stripe: false, taxRate: null);
        var purchase = await host.PurchaseOkAsync("10");
        await host.SpendAsync("7"); // 3 left

        var refused = await host.RefundAsync(Id(purchase), new { amount = "4", reason = "r" });
        var fits = await host.RefundAsync(Id(purchase), new { amount = "3", reason = "what is left" });
        var forced = await host.RefundAsync(Id(purchase), new { amount = "2", reason = "goodwill", allowNegativeBalance = true });

        Assert.Equal(HttpStatusCode.Conflict, refused.Status);
        Assert.Equal("balance_below_spent", refused.Str("code"));
        Assert.Equal("3", refused.Str("balance"));
        Assert.Equal(HttpStatusCode.Created, fits.Status);
        Assert.Equal(HttpStatusCode.Created, forced.Status);
        Assert.Equal("-2", await host.BalanceAsync());
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task Refund_OfAStripePurchase_GoesToStripe_PendingUntilTheWebhookSaysSucceeded(DbDialect dialect)
    {
        await using var host = await BillingHost.StartAsync(dialect);
        var purchase = await host.PaidPurchaseAsync("100"); // 119.00 paid by card
        host.Stripe!.RefundStatus = "pending";

        var refund = await host.RefundAsync(Id(purchase), new { amount = "59.5", reason = "Half back" });

        // :: Sent to Stripe for the PaymentIntent of the purchase, in cents, idempotent on the refund's id.
        Assert.Equal(HttpStatusCode.Created, refund.Status);
        Assert.Equal("pending", refund.Str("status"));
        Assert.Equal("-50", refund.Str("creditAmount"));
        var call = host.Stripe.Calls.Single(c => c.Path == "/v1/refunds");
        Assert.Equal("pi_" + host.SessionOf(purchase)[8..], call.Form["payment_intent"]);
        Assert.Equal("5950", call.Form["amount"]);
        Assert.Equal(refund.Str("id"), call.IdempotencyKey);
        Assert.Equal(refund.Str("id"), call.Form["metadata[tollgate_transaction_id]"]);
        Assert.Equal("50", await host.BalanceAsync()); // taken back at once, so they cannot be spent meanwhile
        Assert.Equal(HttpStatusCode.Conflict, (await host.Client.GetAsync($"orgs/{host.OrgId}/transactions/{refund.Str("id")}/invoice")).StatusCode);

        // :: Stripe confirms: completed with a credit note number, once.
        var stripeRefund = host.Stripe.Refunds.Values.Single().DeepClone().AsObject();
        stripeRefund["status"] = "succeeded";
        var confirmed = await host.SendEventAsync("refund.updated", stripeRefund, "evt_refund_ok");
        var duplicate = await host.SendEventAsync("refund.updated", stripeRefund, "evt_refund_ok");
        Assert.Equal("completed", confirmed.Str("outcome"));
        Assert.Equal("duplicate", duplicate.Str("outcome"));
        var row = await host.TransactionAsync(refund.Str("id"));
        Assert.Equal("completed", row.GetProperty("status").GetString());
        Assert.Matches(@"^CN-\d{4}-000001$", row.GetProperty("documentNumber").GetString()!);
        Assert.Equal("50", await host.BalanceAsync());

        // :: What is pending counts against what is left: only 59.50 remains.
        var over = await host.RefundAsync(Id(purchase), new { amount = "59.51", reason = "too much" });
        Assert.Equal(HttpStatusCode.Conflict, over.Status);
    }

    [Fact]
    public async Task Refund_StripeAnswersSucceeded_CompletesAtOnce_AndALaterEventChangesNothing()
    {
        await using var host = await BillingHost.StartAsync();
        var purchase = await host.PaidPurchaseAsync("10");

        var refund = await host.RefundAsync(Id(purchase), new { reason = "All back" });

        Assert.Equal(HttpStatusCode.Created, refund.Status);
        Assert.Equal("completed", refund.Str("status"));
        Assert.Equal("11.9", refund.Str("amount"));
        Assert.Equal("0", await host.BalanceAsync());
        var late = await host.SendEventAsync("refund.updated", host.Stripe!.Refunds.Values.Single());
        Assert.Equal("unchanged", late.Str("outcome"));
        Assert.Equal("0", await host.BalanceAsync());
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task Refund_StripeRefundFails_TheRefundFails_AndTheCreditsComeBack(DbDialect dialect)
    {
        await using var host = await BillingHost.StartAsync(dialect);
        var purchase = await host.PaidPurchaseAsync("10");
        host.Stripe!.RefundStatus = "pending";
        var pending = await host.RefundAsync(Id(purchase), new { amount = "5.95", reason = "r" });
        Assert.Equal("5", await host.BalanceAsync());

        var failed = host.Stripe.Refunds.Values.Single().DeepClone().AsObject();
        failed["status"] = "failed";
        failed["failure_reason"] = "expired_or_canceled_card";
        var answer = await host.SendEventAsync("refund.failed", failed);

        Assert.Equal("failed", answer.Str("outcome"));
        Assert.Equal("failed", (await host.TransactionAsync(pending.Str("id"))).GetProperty("status").GetString());
        Assert.Equal("10", await host.BalanceAsync());

        // Stripe refusing outright (402): 502, the refund failed, nothing taken back.
        host.Stripe.RefundError = "This charge has been disputed.";
        var refused = await host.RefundAsync(Id(purchase), new { amount = "1.19", reason = "r" });
        Assert.Equal(HttpStatusCode.BadGateway, refused.Status);
        Assert.Equal("10", await host.BalanceAsync());
        Assert.Equal(2, (await host.Client.ApiGetAsync($"orgs/{host.OrgId}/transactions?type=refund&status=failed")).Body.GetProperty("data").GetArrayLength());
    }

    [Fact]
    public async Task Refund_StripeGivesNoAnswer_StaysPendingHoldingItsAmount_UntilTheWebhookSettlesIt()
    {
        await using var host = await BillingHost.StartAsync(taxRate: null);
        var purchase = await host.PaidPurchaseAsync("10");
        host.Stripe!.DropConnections = true;

        var refund = await host.RefundAsync(Id(purchase), new { amount = "4", reason = "r" });

        Assert.Equal(HttpStatusCode.Accepted, refund.Status);
        Assert.Equal("pending", refund.Str("status"));
        Assert.Equal("6", await host.BalanceAsync());
        Assert.Equal(HttpStatusCode.Conflict, (await host.RefundAsync(Id(purchase), new { amount = "6.01", reason = "r" })).Status);

        // Stripe did make it after all: its webhook (found by our id in the metadata) completes it.
        var made = new JsonObject
        {
            ["id"] = "re_late", ["object"] = "refund", ["amount"] = 400, ["currency"] = "usd", ["status"] = "succeeded",
            ["payment_intent"] = "pi_x", ["metadata"] = new JsonObject { ["tollgate_transaction_id"] = refund.Str("id") },
        };
        Assert.Equal("completed", (await host.SendEventAsync("refund.updated", made)).Str("outcome"));
        Assert.Equal("completed", (await host.TransactionAsync(refund.Str("id"))).GetProperty("status").GetString());
        Assert.Equal("6", await host.BalanceAsync());
    }

    [Fact]
    public async Task Refund_OfACardPurchase_AmountsAreWholeCents()
    {
        await using var host = await BillingHost.StartAsync();
        var purchase = await host.PaidPurchaseAsync("10");

        var fraction = await host.RefundAsync(Id(purchase), new { amount = "1.005", reason = "r" });

        Assert.Equal(HttpStatusCode.BadRequest, fraction.Status);
        Assert.Equal(["amount"], fraction.ErrorFields);
        Assert.DoesNotContain(host.Stripe!.Calls, c => c.Path == "/v1/refunds");
    }
}
