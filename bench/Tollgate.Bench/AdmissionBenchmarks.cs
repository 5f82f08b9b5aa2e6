using System.Text;
using BenchmarkDotNet.Attributes;
using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Tollgate.Accounts;
using Tollgate.Budgets;
using Tollgate.Catalog;
using Tollgate.Storage;

namespace Tollgate.Bench;

/// <summary>
/// The in-process admission path of one request on a single node: reserve on the key's and the
/// member's caps (monthly budget and daily period cap), settle the charge, release the rest. The
/// baseline is the same member with no caps configured.
/// </summary>
[MemoryDiagnoser]
public class AdmissionBenchmarks
{
    private BudgetEngine _capped = null!;
    private BudgetEngine _uncapped = null!;
    private AdmissionRequest _cappedRequest = null!;
    private AdmissionRequest _uncappedRequest = null!;
    private Database _db = null!;
    private string _path = "";

    [GlobalSetup]
    public void Setup()
    {
        _path = Path.Combine(Path.GetTempPath(), $"tollgate-bench-{Guid.NewGuid():N}.db");
        _db = new Database(DbDialect.Sqlite, $"Data Source={_path}");
        new MigrationRunner(_db, TimeProvider.System, NullLogger<MigrationRunner>.Instance).MigrateAsync().GetAwaiter().GetResult();
        using (var c = _db.OpenAsync().AsTask().GetAwaiter().GetResult())
        {
            c.Execute("INSERT INTO users (id, email, name, password_hash, created_at) VALUES ('u', 'u@x', 'u', 'x', 0), ('u2', 'u2@x', 'u2', 'x', 0)");
            c.Execute("INSERT INTO orgs (id, name, plan, billing_mode, created_at) VALUES ('o', 'o', 'enterprise', 'byok', 0)");
            c.Execute("INSERT INTO members (id, org_id, user_id, role, created_at, role_since) VALUES ('m1', 'o', 'u', 'owner', 0, 0), ('m2', 'o', 'u2', 'owner', 0, 0)");
        }

        var store = new BudgetStore(_db);
        var now = DateTimeOffset.UtcNow;
        var document = new BudgetDocument(new SpendBudget(SpendType.Monthly, Money.ToPico(1_000_000m), null), new PeriodBudget(false, Money.ToPico(100_000m), RollingWindow.Day), null);
        store.PutAsync(BudgetScope.Member, "m1", "o", document, now, CancellationToken.None).GetAwaiter().GetResult();
        store.PutAsync(BudgetScope.Key, "k1", "o", document with { MaxActiveKeys = null }, now, CancellationToken.None).GetAwaiter().GetResult();

        using var json = new MemoryStream(Encoding.UTF8.GetBytes("""
            {"models":[{"id":"m","name":"m","kind":"chat","maxOutputTokens":1000,"providers":[{"provider":"openai","providerModelId":"m","prices":[{"inputPerMillion":"2.5","outputPerMillion":"10"}]}]}]}
            """));
        var price = ModelCatalog.LoadFrom(json).Models[0].Providers[0].PriceAt(now)!;
        var worst = CostEstimator.WorstCasePico(price, 200, 64);
        _cappedRequest = new AdmissionRequest(new KeyIdentity("k1", "bench", "o", "p", "m1"), "llm", "m", price, 200, 64, worst);
        _uncappedRequest = new AdmissionRequest(new KeyIdentity("k2", "bench", "o", "p", "m2"), "llm", "m", price, 200, 64, worst);
        _capped = new BudgetEngine(store, TimeProvider.System, new SharedBudgets(_db, TimeProvider.System, NullLogger<SharedBudgets>.Instance));
        _uncapped = _capped;
        // Load both members once: the benchmark measures the steady state, not the first request.
        Run(_capped, _cappedRequest).GetAwaiter().GetResult();
        Run(_uncapped, _uncappedRequest).GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _db.DisposeAsync().AsTask().GetAwaiter().GetResult();
        File.Delete(_path);
    }

    private static int _row;

    private static async Task Run(BudgetEngine engine, AdmissionRequest request)
    {
        var admitted = await engine.ReserveAsync(request, CancellationToken.None);
        var reservation = admitted.Reservation!;
        var now = DateTimeOffset.UtcNow;
        var entry = new LedgerEntry
        {
            Id = "led" + Interlocked.Increment(ref _row),
            RequestId = "r",
            Attempt = 1,
            OrgId = "o",
            ProjectId = "p",
            MemberId = request.Identity.MemberId,
            KeyId = request.Identity.KeyId,
            Service = "llm",
            Endpoint = "chat.completions",
            Model = "m",
            Provider = "openai",
            ProviderModel = "m",
            Status = LedgerStatus.Ok,
            HttpStatus = 200,
            CostPico = reservation.ReservedPico / 3,
            StartedAt = now,
            EndedAt = now,
        };
        await engine.SettleAsync(reservation, entry);
        await engine.ReleaseAsync(reservation);
    }

    [Benchmark(Baseline = true)]
    public Task ReserveSettleRelease_NoCaps() => Run(_uncapped, _uncappedRequest);

    [Benchmark]
    public Task ReserveSettleRelease_MemberAndKeyCaps() => Run(_capped, _cappedRequest);
}
