using Microsoft.AspNetCore.Http.HttpResults;

namespace Tollgate.Accounts;

/// <summary>
/// The answer of an application service that both the JSON API and the dashboard call: a value, or
/// the exact problem the API answers (a <see cref="ProblemHttpResult"/> or a
/// <see cref="ValidationProblem"/> with field errors). Errors are values; the API turns the problem
/// into its response unchanged, and a page shows its detail and field errors, so a page can never
/// do or show what the API would refuse.
/// </summary>
/// <typeparam name="T">The value of a success.</typeparam>
internal readonly struct Outcome<T>
{
    private Outcome(T? value, IResult? problem)
    {
        Value = value;
        Problem = problem;
    }

    /// <summary>The value; default when <see cref="Failed"/>.</summary>
    public T? Value { get; }

    /// <summary>The API's problem answer, or null on success.</summary>
    public IResult? Problem { get; }

    /// <summary>True when the service refused or the input was invalid.</summary>
    public bool Failed => Problem is not null;

    /// <summary>The HTTP status the API answers for the problem (200 on success).</summary>
    public int Status => Problem switch
    {
        ProblemHttpResult p => p.StatusCode,
        ValidationProblem v => v.StatusCode,
        _ => StatusCodes.Status200OK,
    };

    /// <summary>The problem's detail, as the API sends it; null on success.</summary>
    public string? Message => Problem switch
    {
        ProblemHttpResult p => p.ProblemDetails.Detail ?? p.ProblemDetails.Title,
        ValidationProblem v => v.ProblemDetails.Detail,
        _ => null,
    };

    /// <summary>Field errors of a 400 (field path → messages); empty otherwise.</summary>
    public IDictionary<string, string[]> FieldErrors => Problem is ValidationProblem v ? v.ProblemDetails.Errors : new Dictionary<string, string[]>();

    /// <summary>A success.</summary>
    public static implicit operator Outcome<T>(T value) => new(value, null);

    /// <summary>A refusal with the API's problem.</summary>
    public static implicit operator Outcome<T>(ProblemHttpResult problem) => new(default, problem);

    /// <summary>An invalid input with the API's field errors.</summary>
    public static implicit operator Outcome<T>(ValidationProblem problem) => new(default, problem);

    /// <summary>The API's answer: <paramref name="success"/> for a value, the problem unchanged otherwise.</summary>
    public IResult ToResult(Func<T, IResult> success) => Problem ?? success(Value!);
}

/// <summary>The value of a service call that has nothing to return (the API answers 204).</summary>
internal sealed record Done
{
    /// <summary>The one instance.</summary>
    public static readonly Done Value = new();
}
