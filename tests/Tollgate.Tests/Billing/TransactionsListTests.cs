using System.Net;
using System.Text.Json;
using Dapper;
using Tollgate.Storage;
using Tollgate.Tests.Accounts;
using Tollgate.Tests.Infrastructure;

namespace Tollgate.Tests.Billing;

/// <summary>The transactions list: filters by type, status and date, and paging as api.md.</summary>
public sealed class TransactionsListTests
{
    private static List<string> Ids(ApiResponse page) =>
        [.. page.Body.GetProperty("data").EnumerateArray().Select(t => t.GetProperty("id").GetString()!)];

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task List_FiltersByTypeStatusAndDate_AndPagesThroughTheFilteredRows(DbDialect dialect)
    {
        await using var host = await BillingHost.StartAsync(dialect, taxRate: null);
        var paid = await host.PaidPurchaseAsync("10");
        var pending = await host.PurchaseOkAsync("20");
        var refund = await host.RefundAsync(paid.GetProperty("id").GetString()!, new { amount = "1", reason = "r" });
        Assert.Equal(HttpStatusCode.Created, refund.Status);
        var paidId = paid.GetProperty("id").GetString()!;
        var pendingId = pending.GetProperty("id").GetString()!;
        var refundId = refund.Str("id");

        // Place the three on three days, so the date filter has something to tell apart.
        await using (var connection = await host.Server.App.Services.GetRequiredService<Database>().OpenAsync())
        {
            foreach (var (id, day) in new[] { (paidId, "2026-03-01T10:00:00Z"), (pendingId, "2026-03-02T23:59:59.999Z"), (refundId, "2026-03-03T00:00:00Z") })
            {
                await connection.ExecuteAsync("UPDATE transactions SET created_at = @at WHERE id = @id",
                    new { id, at = DateTimeOffset.Parse(day, System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds() });
            }
        }

        var purchases = await host.Client.ApiGetAsync($"orgs/{host.OrgId}/transactions?type=credit_purchase");
        var refunds = await host.Client.ApiGetAsync($"orgs/{host.OrgId}/transactions?type=refund");
        var pendings = await host.Client.ApiGetAsync($"orgs/{host.OrgId}/transactions?status=pending");
        var completedPurchases = await host.Client.ApiGetAsync($"orgs/{host.OrgId}/transactions?type=credit_purchase&status=completed");
        var march2 = await host.Client.ApiGetAsync($"orgs/{host.OrgId}/transactions?from=2026-03-02&to=2026-03-02");
        var fromMarch2 = await host.Client.ApiGetAsync($"orgs/{host.OrgId}/transactions?from=2026-03-02");
        var beforeMarch3 = await host.Client.ApiGetAsync($"orgs/{host.OrgId}/transactions?to=2026-03-03T00:00:00.000Z");

        Assert.Equal([pendingId, paidId], Ids(purchases));
        Assert.Equal([refundId], Ids(refunds));
        Assert.Equal([pendingId], Ids(pendings));
        Assert.Equal([paidId], Ids(completedPurchases));
        Assert.Equal([pendingId], Ids(march2));
        Assert.Equal([refundId, pendingId], Ids(fromMarch2));
        Assert.Equal([pendingId, paidId], Ids(beforeMarch3));

        // Paging keeps the filter: one purchase a page.
        var first = await host.Client.ApiGetAsync($"orgs/{host.OrgId}/transactions?type=credit_purchase&limit=1");
        var second = await host.Client.ApiGetAsync($"orgs/{host.OrgId}/transactions?type=credit_purchase&limit=1&cursor={first.Str("nextCursor")}");
        Assert.Equal([pendingId], Ids(first));
        Assert.Equal([paidId], Ids(second));
        Assert.Equal(JsonValueKind.Null, second.Body.GetProperty("nextCursor").ValueKind);
    }

    [Theory]
    [InlineData("type=invoice", "type")]
    [InlineData("status=done", "status")]
    [InlineData("from=yesterday", "from")]
    [InlineData("to=2026-13-01", "to")]
    [InlineData("from=2026-03-02T00:00:00", "from")] // an instant needs an offset
    [InlineData("from=2026-03-05&to=2026-03-01", "to")]
    [InlineData("cursor=not-a-cursor", "cursor")]
    [InlineData("cursor=txn_01m8t5qhqacjg494nbhmnfgbm", "cursor")]
    [InlineData("limit=0", "limit")]
    public async Task List_MalformedFilterOrCursor_Is400NamingTheField(string query, string field)
    {
        await using var host = await BillingHost.StartAsync(stripe: false);

        var response = await host.Client.ApiGetAsync($"orgs/{host.OrgId}/transactions?{query}");

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Equal([field], response.ErrorFields);
    }
}
