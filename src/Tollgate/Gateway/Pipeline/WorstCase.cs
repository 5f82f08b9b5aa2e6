using Tollgate.Accounts;
using Tollgate.Budgets;
using Tollgate.Catalog;
using Tollgate.Gateway.Errors;
using Tollgate.Gateway.Routing;

namespace Tollgate.Gateway.Pipeline;

/// <summary>
/// The worst-case cost of a request before it goes upstream (budgets.md, "Admission" step 1), for
/// every candidate it may reach: the reservation and a clamp must hold whichever provider answers, so
/// the estimate uses a price envelope — per field, the dearest price among the candidates at the tier
/// the request's size falls in.
/// </summary>
internal static class WorstCase
{
    /// <summary>Output limit of a model the catalog gives none for.</summary>
    private const long DefaultMaxOutputTokens = 4096;

    /// <summary>
    /// The fewest output tokens one image a chat answer holds may take, so the output limit bounds how many
    /// images it may hold. Gemini counts 1,290 tokens for an image up to 1024×1024 and more for larger
    /// ones; the floor sits well below any image size it makes, so the bound holds whatever the size.
    /// </summary>
    internal const long MinTokensPerImage = 256;

    /// <summary>
    /// What admission reserves for <paramref name="request"/>, or the 400 that refuses it: an output
    /// limit above the model's maximum output, or a worst case beyond the largest amount the gateway
    /// accounts in one request (<see cref="Money.MaxUsd"/>). No input of any size overflows: the input
    /// bound is the body's byte count (bounded by the request size limit), output and answers are
    /// bounded by the model's maximum and <see cref="Endpoints.ChatCompletions.ChatRequest.MaxAnswers"/>,
    /// and the sum is computed in <see cref="decimal"/> and compared before it becomes pico-dollars.
    /// </summary>
    public static (AdmissionRequest? Request, GatewayError? Error) Estimate(
        KeyIdentity identity, IGatewayRequest request, IReadOnlyList<RouteCandidate> candidates, long bodyBytes)
    {
        if (request is IUnitRequest units)
        {
            return UnitWorstCase.Estimate(identity, units, candidates);
        }

        var model = candidates[0].Model;
        var modelMax = model.MaxOutputTokens ?? DefaultMaxOutputTokens;
        if (request.MaxOutputTokens is { } asked && asked > modelMax)
        {
            return (null, GatewayError.BadRequest("invalid_value",
                $"'{request.MaxOutputField}' is {asked}, above the maximum output of {model.Id} ({modelMax} tokens).", request.MaxOutputField));
        }

        var inputTokens = CostEstimator.InputTokenBound(bodyBytes);
        var maxOutput = request.MaxOutputTokens ?? modelMax;
        var price = Envelope(candidates, inputTokens, request.Answers);
        var worst = CostCalculator.Compute(price, new TokenUsage(inputTokens, 0, 0, maxOutput, 0));
        if (worst > Money.MaxUsd)
        {
            return (null, GatewayError.BadRequest("request_too_costly",
                $"The worst-case cost of this request (${worst:0.##}) is above the largest amount one request may reserve (${Money.MaxUsd:0})."));
        }

        return (new AdmissionRequest(identity, "llm", model.Id, price, inputTokens, maxOutput, Money.ToPico(worst)), null);
    }

    /// <summary>
    /// Per field, the dearest price of the candidates at the tier <paramref name="inputTokens"/> falls
    /// in. Input is priced at the dearest of plain, cached and cache-write input (a provider may write the
    /// whole prompt to its cache), and output once per answer. An image model charged per image (reached
    /// through chat) prices an output token at no less than its per-image price over
    /// <see cref="MinTokensPerImage"/>: the output limit then bounds any mix of text and images, and a
    /// clamp of the limit bounds the images too.
    /// </summary>
    internal static ModelPrice Envelope(IReadOnlyList<RouteCandidate> candidates, long inputTokens, int answers)
    {
        decimal input = 0, output = 0, perRequest = 0;
        foreach (var candidate in candidates)
        {
            var price = candidate.Price.ForPromptTokens(inputTokens);
            var plain = price.InputPerMillion ?? 0;
            input = Math.Max(input, Math.Max(plain, Math.Max(price.CachedInputPerMillion ?? plain, price.CacheWritePerMillion ?? plain)));
            output = Math.Max(output, price.OutputPerMillion ?? 0);
            if (candidate.Model.Kind == ModelKinds.Image && candidate.Price.ImagePrice(null) is { } perImage)
            {
                output = Math.Max(output, perImage * 1_000_000m / MinTokensPerImage);
            }

            perRequest = Math.Max(perRequest, price.PerRequest ?? 0);
        }

        return new ModelPrice
        {
            InputPerMillion = input,
            OutputPerMillion = output * answers,
            PerRequest = perRequest == 0 ? null : perRequest,
        };
    }
}
