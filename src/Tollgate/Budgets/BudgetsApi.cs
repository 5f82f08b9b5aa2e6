using System.Globalization;
using System.Text.Json;
using Tollgate.Accounts;
using Tollgate.Audit;
using Tollgate.Operations;

namespace Tollgate.Budgets;

/// <summary>
/// Budget management routes (api.md "Budgets", "API keys") over <see cref="BudgetService"/>, and
/// <c>GET /v1/key</c>. The order of checks is the service's: who may see, who may change, then the document.
/// </summary>
internal static class BudgetsApi
{
    /// <summary>Maps the budget endpoints under <c>/orgs/{orgId}</c>.</summary>
    public static IEndpointRouteBuilder MapBudgetsApi(this IEndpointRouteBuilder app)
    {
        var org = app.MapOrgGroup("");
        org.MapGet("/default-developer-limits", async (OrgMember member, BudgetService service, CancellationToken ct) =>
            (await service.GetDefaultsAsync(member, ct)).ToResult(c => TypedResults.Ok(BudgetJson.DocumentResponse(c))))
            .Answers<BudgetDocumentResponse>();
        org.MapPut("/default-developer-limits", PutDefaultsAsync)
            .Takes<BudgetDocumentRequest>().Answers<BudgetDocumentResponse>();
        org.MapGet("/members/me/budget", async (OrgMember member, BudgetService service, CancellationToken ct) =>
            (await service.GetMemberAsync(member, member.MemberId, ct)).ToResult(MemberBudgetResult))
            .Answers<MemberBudgetResponse>();
        org.MapGet("/members/{memberId}/budget", async (string memberId, OrgMember member, BudgetService service, CancellationToken ct) =>
            (await service.GetMemberAsync(member, memberId, ct)).ToResult(MemberBudgetResult))
            .Answers<MemberBudgetResponse>();
        org.MapPut("/members/{memberId}/budget", async (string memberId, HttpRequest request, OrgMember member, RequestAudit audit, BudgetService service, CancellationToken ct) =>
        {
            // The service answers who may see and change before it looks at the document.
            var (document, problem) = await ReadDocumentAsync(request, keyBudget: false, ct);
            return (await service.PutMemberAsync(member, audit, memberId, document, problem, ct)).ToResult(MemberBudgetResult);
        })
            .Takes<BudgetDocumentRequest>().Answers<MemberBudgetResponse>();
        org.MapGet("/budgets", ListBudgetsAsync)
            .Answers<Page<BudgetListRow>>().Refuses(400);
        org.MapPut("/keys/{keyId}/budget", async (string keyId, HttpRequest request, OrgMember member, RequestAudit audit, BudgetService service, CancellationToken ct) =>
        {
            var (document, problem) = await ReadDocumentAsync(request, keyBudget: true, ct);
            return (await service.PutKeyAsync(member, audit, keyId, document, problem, ct)).ToResult(k => TypedResults.Ok(BudgetJson.KeyUsage(k.Key.Id, k.Key.Name, k.View)));
        })
            .Takes<KeyBudgetDocumentRequest>().Answers<KeyUsageResponse>();
        org.MapGet("/keys/{keyId}/usage", async (string keyId, OrgMember member, BudgetService service, CancellationToken ct) =>
            (await service.GetKeyAsync(member, keyId, ct)).ToResult(k => TypedResults.Ok(BudgetJson.KeyUsage(k.Key.Id, k.Key.Name, k.View))))
            .Answers<KeyUsageResponse>();
        return app;
    }

    private static IResult MemberBudgetResult(MemberBudget budget) => TypedResults.Ok(BudgetJson.MemberBudget(budget.View, budget.ActiveKeys));

    private static async Task<IResult> PutDefaultsAsync(HttpRequest request, OrgMember member, RequestAudit audit, BudgetService service, CancellationToken ct)
    {
        if (!BudgetService.ManagesBudgets(member))
        {
            return (await service.PutDefaultsAsync(member, audit, new BudgetDocument(null, null, null), ct)).Problem!;
        }

        var (document, problem) = await ReadDocumentAsync(request, keyBudget: false, ct);
        if (document is null)
        {
            return problem!;
        }

        return (await service.PutDefaultsAsync(member, audit, document, ct)).ToResult(c => TypedResults.Ok(BudgetJson.DocumentResponse(c)));
    }

    private static async Task<IResult> ListBudgetsAsync(OrgMember member, string? search, string? limit, string? cursor, BudgetService service, CancellationToken ct) =>
        (await service.ListAsync(member, search, limit, cursor, ct)).ToResult(page => TypedResults.Ok(new Page<BudgetListRow>(
            [.. page.Rows.Select(row =>
            {
                var budget = BudgetJson.MemberBudget(row.Budget.View, row.Budget.ActiveKeys);
                return new BudgetListRow(row.MemberId, row.Name, row.Email, row.Role, budget.Configured, budget.Effective, budget.Usage,
                    BudgetJson.EarliestReset(row.Budget.View), budget.Status);
            })],
            page.NextCursor)));

    /// <summary>The key usage document of a key, from the numbers admission enforces.</summary>
    internal static async Task<IResult> KeyUsageAsync(string keyId, string name, string memberId, BudgetEngine engine, CancellationToken ct)
    {
        if (await engine.ViewKeyAsync(memberId, keyId, ct) is not { } view)
        {
            return AccountProblems.NotFound(KeyService.NotFoundMessage);
        }

        return TypedResults.Ok(BudgetJson.KeyUsage(keyId, name, view));
    }

    private static async Task<(BudgetDocument? Document, IResult? Problem)> ReadDocumentAsync(HttpRequest request, bool keyBudget, CancellationToken ct)
    {
        if (request.ContentType is null || !request.ContentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            return (null, TypedResults.Problem("Send the budget document as application/json.", statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported media type"));
        }

        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, ct);
        // JsonDocument checks UTF-8 only when a name or string is read, which would throw mid-parse.
        if (!System.Text.Unicode.Utf8.IsValid(buffer.GetBuffer().AsSpan(0, (int)buffer.Length)))
        {
            return (null, AccountProblems.Validation("", "The body is not valid UTF-8."));
        }

        JsonDocument json;
        try
        {
            json = JsonDocument.Parse(buffer.GetBuffer().AsMemory(0, (int)buffer.Length));
        }
        catch (JsonException ex)
        {
            return (null, AccountProblems.Validation("", $"The body is not valid JSON: {ex.Message.Split(" Path:", StringSplitOptions.None)[0]}"));
        }

        using (json)
        {
            var (document, errors) = BudgetDocument.Parse(json.RootElement, keyBudget);
            return document is null ? (null, AccountProblems.Validation(errors)) : (document, null);
        }
    }
}

/// <summary>The wire shapes of budget documents, member budgets and key usage documents.</summary>
internal static class BudgetJson
{
    private static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>A configured budget document (<c>null</c> for caps that are not set).</summary>
    public static Dictionary<string, object?> Document(BudgetConfig config, bool keyBudget = false)
    {
        var doc = new Dictionary<string, object?>
        {
            ["spend"] = Spend(config.Spend),
            ["period"] = Period(config.Period),
        };
        if (!keyBudget)
        {
            doc["maxActiveKeys"] = config.MaxActiveKeys is null ? null
                : config.MaxActiveKeys.Unlimited ? new Dictionary<string, object?> { ["type"] = "unlimited" }
                : new Dictionary<string, object?> { ["type"] = "limit", ["value"] = config.MaxActiveKeys.Value };
        }

        return doc;
    }

    /// <summary>
    /// A budget document as a client sends it (no <c>countingFrom</c>: counting starts when it is applied),
    /// the form an invite keeps its caps in until it is accepted.
    /// </summary>
    public static Dictionary<string, object?> Request(BudgetDocument document)
    {
        var doc = Document(new BudgetConfig(document.Spend, null, document.Period, null, document.MaxActiveKeys, null));
        if (doc["spend"] is Dictionary<string, object?> spend)
        {
            spend.Remove("countingFrom");
        }

        return doc;
    }

    private static Dictionary<string, object?>? Spend(SpendBudget? spend) => spend switch
    {
        null => null,
        { Type: SpendType.Unlimited } => new() { ["type"] = "unlimited" },
        _ => new()
        {
            ["type"] = spend.Type == SpendType.Fixed ? "fixed" : "monthly",
            ["limit"] = Money.ToWire(spend.LimitPico),
            ["countingFrom"] = spend.CountingFrom is { } cf ? Time(cf) : null,
        },
    };

    private static Dictionary<string, object?>? Period(PeriodBudget? period) => period switch
    {
        null => null,
        { Unlimited: true } => new() { ["type"] = "unlimited" },
        _ => new() { ["type"] = "rolling", ["limit"] = Money.ToWire(period.LimitPico), ["window"] = BudgetWindows.Name(period.Window) },
    };

    /// <summary>A configured budget document as the API answers it (<c>null</c> for caps that are not set).</summary>
    public static BudgetDocumentResponse DocumentResponse(BudgetConfig config) =>
        new(SpendCap(config.Spend), PeriodCap(config.Period), KeysCap(config.MaxActiveKeys?.Unlimited, config.MaxActiveKeys?.Value, null));

    /// <summary>A budget document as a client sends it (no <c>countingFrom</c>), as an invite shows its caps.</summary>
    public static BudgetDocumentResponse RequestResponse(BudgetDocument document) =>
        new(SpendCap(document.Spend is { } s ? s with { CountingFrom = null } : null), PeriodCap(document.Period),
            KeysCap(document.MaxActiveKeys?.Unlimited, document.MaxActiveKeys?.Value, null));

    private static BudgetCapResponse? SpendCap(SpendBudget? spend, string? source = null) => spend switch
    {
        null => null,
        { Type: SpendType.Unlimited } => new BudgetCapResponse("unlimited", Source: source),
        _ => new BudgetCapResponse(spend.Type == SpendType.Fixed ? "fixed" : "monthly", Money.ToWire(spend.LimitPico),
            spend.CountingFrom is { } cf ? Time(cf) : null, Source: source),
    };

    private static BudgetCapResponse? PeriodCap(PeriodBudget? period, string? source = null) => period switch
    {
        null => null,
        { Unlimited: true } => new BudgetCapResponse("unlimited", Source: source),
        _ => new BudgetCapResponse("rolling", Money.ToWire(period.LimitPico), Window: BudgetWindows.Name(period.Window), Source: source),
    };

    private static BudgetCapResponse? KeysCap(bool? unlimited, long? value, string? source) => unlimited switch
    {
        null => null,
        true => new BudgetCapResponse("unlimited", Source: source),
        false => new BudgetCapResponse("limit", Value: value, Source: source),
    };

    /// <summary>The <c>GET .../budget</c> answer.</summary>
    public static MemberBudgetResponse MemberBudget(MemberBudgetView view, long activeKeys)
    {
        var none = new BudgetCapResponse("unlimited", Source: "none");
        var effective = new EffectiveCapsResponse(
            view.Spend is { } s ? SpendCap(s.Budget with { CountingFrom = null }, s.Source)! : none,
            view.Period is { } p ? PeriodCap(p.Budget, p.Source)! : none,
            view.MaxKeys is { } k ? KeysCap(k.Budget.Unlimited, k.Budget.Value, k.Source)! : none);
        var paused = (view.SpendStatus?.Exhausted ?? false) || (view.PeriodStatus?.Exhausted ?? false);
        return new MemberBudgetResponse(
            DocumentResponse(view.Configured),
            effective,
            new BudgetUsageResponse(
                Usage(view.SpendStatus, view.LifetimePico, view.ReservedPico),
                Usage(view.PeriodStatus, view.LifetimePico, view.ReservedPico),
                activeKeys),
            paused ? "paused" : "active");
    }

    private static CapUsageResponse Usage(CapStatus? cap, long lifetimePico, long reservedPico) => cap is null
        ? new(null, Money.ToWire(lifetimePico), Money.ToWire(reservedPico), null, null)
        : new(Money.ToWire(cap.LimitPico), Money.ToWire(cap.UsedPico), Money.ToWire(cap.ReservedPico), Money.ToWire(cap.RemainingPico),
            cap.ResetsAt is { } r ? Time(r) : null);

    /// <summary>The soonest reset among a member's caps, for the Budgets page.</summary>
    public static string? EarliestReset(MemberBudgetView view)
    {
        var resets = new[] { view.SpendStatus?.ResetsAt, view.PeriodStatus?.ResetsAt }.Where(r => r is not null).Select(r => r!.Value).ToList();
        return resets.Count == 0 ? null : Time(resets.Min());
    }

    /// <summary>The key usage document of api.md.</summary>
    public static KeyUsageResponse KeyUsage(string keyId, string name, KeyBudgetView view)
    {
        var spend = view.Configured.Spend;
        var period = view.Configured.Period;
        return new KeyUsageResponse(
            keyId,
            name,
            spend is null ? null : spend.Type.ToString().ToLowerInvariant(),
            view.SpendStatus is { } s ? Money.ToWire(s.LimitPico) : null,
            // The amount the spend budget counts; lifetime spend when none is set or it is unlimited.
            Money.ToWire(view.SpendStatus?.UsedPico ?? view.LifetimePico),
            view.SpendStatus is { Cap: "monthly", ResetsAt: { } reset } ? Time(reset) : null,
            view.PeriodStatus is { } p ? Money.ToWire(p.LimitPico) : null,
            period is { Unlimited: false } ? BudgetWindows.Name(period.Window) : null,
            view.PeriodStatus is { } pu ? Money.ToWire(pu.UsedPico) : null,
            view.PeriodStatus?.ResetsAt is { } pr ? Time(pr) : null,
            view.MemberRemainingPico is { } mr ? Money.ToWire(mr) : null);
    }
}
