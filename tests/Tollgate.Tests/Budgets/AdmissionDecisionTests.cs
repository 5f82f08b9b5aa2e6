using Tollgate.Accounts;
using Tollgate.Budgets;
using Tollgate.Catalog;

namespace Tollgate.Tests.Budgets;

/// <summary>
/// The admission decision alone: reserve, clamp or deny on given cap numbers (budgets.md,
/// "Reservation" and "Denial"). The price is $2.50 per million input tokens and $10 per million
/// output tokens: one input token costs 2,500,000 pico-dollars, one output token 10,000,000.
/// </summary>
public sealed class AdmissionDecisionTests
{
    private static readonly ModelPrice Price = new() { InputPerMillion = 2.5m, OutputPerMillion = 10m };
    private static readonly ModelPrice Free = new() { InputPerMillion = 0m, OutputPerMillion = 0m };

    // 1,000 input tokens (2,500,000,000) + 1,000 output tokens (10,000,000,000).
    private const long FullPico = 12_500_000_000;

    // The input plus 256 output tokens: the least a clamped request must still pay for.
    private const long NeededPico = 2_500_000_000 + (256 * 10_000_000L);

    private const long OneDollar = 1_000_000_000_000;

    private static AdmissionRequest Request(ModelPrice price, long inputTokens = 1_000, long maxOutputTokens = 1_000) =>
        new(new KeyIdentity("k1", "ci-bot", "o1", "p1", "m1"), "llm", "gpt", price, inputTokens, maxOutputTokens,
            CostEstimator.WorstCasePico(price, inputTokens, maxOutputTokens));

    private static CapStatus Key(string cap, long limit, long used, long reserved = 0) => new("key", cap, limit, used, reserved, null);

    private static CapStatus Member(string cap, long limit, long used, long reserved = 0) => new("member", cap, limit, used, reserved, null);

    [Fact]
    public void Decide_EveryCapHasRoom_ReservesTheWholeWorstCase()
    {
        var decision = AdmissionDecision.Decide(Request(Price), [Key("fixed", OneDollar, 0)], [Member("monthly", OneDollar, OneDollar / 2)], null);

        Assert.Null(decision.Denial);
        Assert.Equal(FullPico, decision.AmountPico);
        Assert.Null(decision.GrantedMaxOutputTokens);
    }

    [Fact]
    public void Decide_CapHoldsInputPlus256TokensButNotAll_ClampsToWhatTheTightestCapPaysFor()
    {
        // Key: $0.02 limit, $0.009 used, $0.001005 reserved → 9,995,000,000 left: (9,995,000,000 − 2,500,000,000) / 10,000,000
        // = 749.5 → 749 tokens. The member's cap has more room (900 tokens' worth) and is not the one that binds.
        var key = Key("fixed", 20_000_000_000, 9_000_000_000, 1_005_000_000);
        var member = Member("period", 2_500_000_000 + (900 * 10_000_000L), 0);

        var decision = AdmissionDecision.Decide(Request(Price), [key], [member], null);

        Assert.Null(decision.Denial);
        Assert.Equal(749, decision.GrantedMaxOutputTokens);
        Assert.Equal(2_500_000_000 + (749 * 10_000_000L), decision.AmountPico);
    }

    [Fact]
    public void Decide_RoomExactlyInputPlus256Tokens_ClampsTo256()
    {
        var decision = AdmissionDecision.Decide(Request(Price), [], [Member("monthly", 20_000_000_000, 20_000_000_000 - NeededPico)], null);

        Assert.Null(decision.Denial);
        Assert.Equal(256, decision.GrantedMaxOutputTokens);
        Assert.Equal(NeededPico, decision.AmountPico);
    }

    [Fact]
    public void Decide_SmallRequestThatFitsWhole_IsNeitherClampedNorDenied()
    {
        // 100 output tokens cost less than the 256-token minimum: the whole request is what must fit.
        var request = Request(Price, maxOutputTokens: 100);
        var room = request.EstimatedCostPico;

        var decision = AdmissionDecision.Decide(request, [Key("fixed", room, 0)], [], null);

        Assert.Null(decision.Denial);
        Assert.Equal(2_500_000_000 + (100 * 10_000_000L), decision.AmountPico);
        Assert.Null(decision.GrantedMaxOutputTokens);
    }

    [Fact]
    public void Decide_KeyCapBelowInputPlus256Tokens_DeniesWithTheKeysMessage()
    {
        // $0.02 limit, $0.01499 used: 5,010,000,000 left, under the 5,060,000,000 needed.
        var key = Key("fixed", 20_000_000_000, 14_990_000_000);

        var decision = AdmissionDecision.Decide(Request(Price), [key], [Member("monthly", OneDollar, 0)], null);

        var denial = Assert.IsType<BudgetDenial>(decision.Denial);
        Assert.Equal(DenialReason.CapExhausted, denial.Reason);
        Assert.Equal("key_budget_exceeded", denial.Code);
        Assert.Equal("API Key ci-bot has reached its budget limit ($0.01 / $0.02). Other Keys are not affected.", denial.Message);
        Assert.Equal("The budget of API key ci-bot is used up; your other API keys keep working.", denial.Detail);
        Assert.Same(key, denial.Cap);
        Assert.Equal(0, decision.AmountPico);
    }

    [Fact]
    public void Decide_RoomOnePicoShortOfInputPlus256Tokens_Denies()
    {
        var member = Member("monthly", 20_000_000_000, 20_000_000_000 - NeededPico + 1);

        var decision = AdmissionDecision.Decide(Request(Price), [], [member], null);

        var denial = Assert.IsType<BudgetDenial>(decision.Denial);
        Assert.Equal("member_budget_exceeded", denial.Code);
        Assert.Equal("Member has reached their monthly spend budget.", denial.Message);
    }

    [Fact]
    public void Decide_KeyAndMemberBothExhausted_KeyMessageFirstMemberStatusInDetail()
    {
        var key = Key("period", 10_000_000_000, 10_000_000_000);
        var member = Member("monthly", 50 * OneDollar, 50 * OneDollar);

        var decision = AdmissionDecision.Decide(Request(Price), [key], [member], null);

        var denial = Assert.IsType<BudgetDenial>(decision.Denial);
        Assert.Equal("key_period_budget_exceeded", denial.Code);
        Assert.Equal("API Key ci-bot has reached its period budget limit ($0.01 / $0.01). Other Keys are not affected.", denial.Message);
        Assert.Equal(
            "Member has reached their monthly spend budget. Your member budget has reached its limit ($50.00 / $50.00). All services are paused. Please contact your admin to adjust.",
            denial.Detail);
        Assert.Same(key, denial.Cap);
    }

    [Theory]
    [InlineData("fixed", "member_budget_exceeded", "Member has reached their total spend budget.")]
    [InlineData("monthly", "member_budget_exceeded", "Member has reached their monthly spend budget.")]
    [InlineData("period", "member_period_budget_exceeded", "Member has reached their period spend budget.")]
    public void Decide_OnlyMemberCapExhausted_DeniesWithTheMembersMessage(string cap, string code, string message)
    {
        var member = Member(cap, 200 * OneDollar, 200 * OneDollar);

        var decision = AdmissionDecision.Decide(Request(Price), [Key("fixed", OneDollar, 0)], [member], null);

        var denial = Assert.IsType<BudgetDenial>(decision.Denial);
        Assert.Equal(code, denial.Code);
        Assert.Equal(message, denial.Message);
        Assert.Equal("Your member budget has reached its limit ($200.00 / $200.00). All services are paused. Please contact your admin to adjust.", denial.Detail);
        Assert.Same(member, denial.Cap);
    }

    [Fact]
    public void Decide_LimitZero_BlocksAZeroCostRequest()
    {
        var request = Request(Free);
        Assert.Equal(0, request.EstimatedCostPico);

        var member = AdmissionDecision.Decide(request, [], [Member("fixed", 0, 0)], null);
        var key = AdmissionDecision.Decide(request, [Key("monthly", 0, 0)], [], null);

        Assert.Equal("member_budget_exceeded", member.Denial?.Code);
        Assert.Equal("key_budget_exceeded", key.Denial?.Code);
    }

    [Fact]
    public void Decide_ZeroCostRequestUnderANonZeroLimit_IsAdmittedForNothing()
    {
        var decision = AdmissionDecision.Decide(Request(Free), [Key("fixed", 1, 0)], [Member("monthly", 1, 0)], null);

        Assert.Null(decision.Denial);
        Assert.Equal(0, decision.AmountPico);
        Assert.Null(decision.GrantedMaxOutputTokens);
    }

    [Fact]
    public void Decide_CreditsAndCapsAllExhausted_CreditsAreReportedFirst()
    {
        var credits = new CapStatus("org", "credits", 10 * OneDollar, 10 * OneDollar, 0, null);

        var decision = AdmissionDecision.Decide(Request(Price), [Key("fixed", 0, 0)], [Member("fixed", 0, 0)], credits);

        var denial = Assert.IsType<BudgetDenial>(decision.Denial);
        Assert.Equal(DenialReason.InsufficientCredits, denial.Reason);
        Assert.Equal("insufficient_credits", denial.Code);
        Assert.Equal("Organization has insufficient credits.", denial.Message);
    }

    [Fact]
    public void Decide_CreditsWithRoomButKeyExhausted_DeniesOnTheKey()
    {
        var credits = new CapStatus("org", "credits", 10 * OneDollar, 0, 0, null);

        var decision = AdmissionDecision.Decide(Request(Price), [Key("fixed", 10_000_000_000, 10_000_000_000)], [], credits);

        Assert.Equal("key_budget_exceeded", decision.Denial?.Code);
    }

    [Fact]
    public void Decide_CreditsTighterThanEveryCap_ClampToTheCredits()
    {
        // Credited $1, charged $0.99, $0.0025 held in flight: 7,500,000,000 available → (7.5e9 − 2.5e9) / 1e7 = 500 tokens.
        var credits = new CapStatus("org", "credits", OneDollar, OneDollar - 10_000_000_000, 2_500_000_000, null);

        var decision = AdmissionDecision.Decide(Request(Price), [Key("fixed", OneDollar, 0)], [Member("monthly", OneDollar, 0)], credits);

        Assert.Null(decision.Denial);
        Assert.Equal(500, decision.GrantedMaxOutputTokens);
        Assert.Equal(7_500_000_000, decision.AmountPico);
    }

    [Fact]
    public void Decide_CreditsBelowInputPlus256Tokens_DeniesForCredits()
    {
        var credits = new CapStatus("org", "credits", OneDollar, OneDollar - NeededPico + 1, 0, null);

        var decision = AdmissionDecision.Decide(Request(Price), [], [], credits);

        Assert.Equal(DenialReason.InsufficientCredits, decision.Denial?.Reason);
    }
}
