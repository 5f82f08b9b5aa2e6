using System.Net;
using System.Text.Json;
using Tollgate.Storage;
using Tollgate.Tests.Accounts;
using Tollgate.Tests.Infrastructure;

namespace Tollgate.Tests.Billing;

/// <summary>Invoice and credit note numbers under parallel completions: sequential, gap-free, no duplicates.</summary>
public sealed class DocumentNumberTests
{
    private const int Parallel = 50;
    private const int Orgs = 5;

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task FiftyParallelCompletions_AcrossOrgs_TakeNumbersOneToFifty_ForInvoicesAndForCreditNotes(DbDialect dialect)
    {
        // The sequence is the seller's, shared by every org: completions in different orgs do not
        // share an org's credits lock, so only the sequence row orders them.
        await using var host = await BillingHost.StartAsync(dialect, taxRate: null);
        var orgs = new List<string> { host.OrgId };
        for (var i = 1; i < Orgs; i++)
        {
            orgs.Add((await host.Client.ApiPostAsync("orgs", new { name = $"Org {i}" })).Str("id"));
        }

        var purchases = new List<(string Org, string Id)>();
        for (var i = 0; i < Parallel; i++)
        {
            var org = orgs[i % Orgs];
            var purchase = await host.Client.ApiPostAsync($"orgs/{org}/credits/purchase", new { amount = "2" });
            Assert.True(purchase.Status == HttpStatusCode.Created, purchase.Text);
            purchases.Add((org, purchase.Str("id")));
        }

        var year = DateTime.UtcNow.Year;

        // :: 50 webhooks at once complete 50 purchases.
        var completions = await Task.WhenAll(purchases.Select(p =>
            host.SendEventAsync("checkout.session.completed", host.Stripe!.PaidSession(host.SessionOf(JsonDocument.Parse($"{{\"id\":\"{p.Id}\"}}").RootElement)))))
            .WaitAsync(TimeSpan.FromSeconds(120));
        Assert.All(completions, c => Assert.Equal("completed", c.Str("outcome")));

        // :: 50 refunds at once complete 50 credit notes.
        var refunds = await Task.WhenAll(purchases.Select(p => host.Client.ApiPostAsync($"orgs/{p.Org}/transactions/{p.Id}/refund", new { reason = "parallel" })))
            .WaitAsync(TimeSpan.FromSeconds(120));
        Assert.All(refunds, r => Assert.True(r.Status == HttpStatusCode.Created && r.Str("status") == "completed", r.Text));

        var rows = new List<JsonElement>();
        foreach (var org in orgs)
        {
            var list = await host.Client.ApiGetAsync($"orgs/{org}/transactions?limit=200&status=completed");
            rows.AddRange(list.Body.GetProperty("data").EnumerateArray());
        }

        var invoices = rows.Where(r => r.GetProperty("type").GetString() == "credit_purchase").Select(r => r.GetProperty("documentNumber").GetString()).Order().ToList();
        var creditNotes = rows.Where(r => r.GetProperty("type").GetString() == "refund").Select(r => r.GetProperty("documentNumber").GetString()).Order().ToList();
        Assert.Equal(Enumerable.Range(1, Parallel).Select(n => $"INV-{year}-{n:D6}"), invoices);
        Assert.Equal(Enumerable.Range(1, Parallel).Select(n => $"CN-{year}-{n:D6}"), creditNotes);
        Assert.Equal("0", await host.BalanceAsync());
    }
}
