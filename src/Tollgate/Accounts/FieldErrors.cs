using Microsoft.AspNetCore.Http.HttpResults;

namespace Tollgate.Accounts;

/// <summary>Collects per-field validation errors of one request, for one 400 answer that lists them all.</summary>
internal sealed class FieldErrors
{
    /// <summary>Longest accepted display name (users, orgs, projects, keys).</summary>
    public const int MaxNameLength = 200;

    /// <summary>Shortest accepted password.</summary>
    public const int MinPasswordLength = 8;

    /// <summary>Longest accepted password (bounds the cost of hashing one).</summary>
    public const int MaxPasswordLength = 1024;

    private const int MaxEmailLength = 254;

    private static readonly System.Buffers.SearchValues<char> NotInEmail = System.Buffers.SearchValues.Create(" \t\r\n\"<>,;()[]\\");

    private readonly Dictionary<string, string[]> _errors = new(StringComparer.Ordinal);

    /// <summary>True when any field is invalid.</summary>
    public bool Any => _errors.Count > 0;

    /// <summary>Records an error for <paramref name="field"/>.</summary>
    public void Add(string field, string message) =>
        _errors[field] = _errors.TryGetValue(field, out var existing) ? [.. existing, message] : [message];

    /// <summary>The 400 problem listing every error.</summary>
    public ValidationProblem ToProblem() => AccountProblems.Validation(_errors);

    /// <summary>A required display name, trimmed; null (and an error) when missing or too long.</summary>
    public string? Name(string field, string? value)
    {
        var name = value?.Trim();
        if (string.IsNullOrEmpty(name))
        {
            Add(field, $"{field} is required.");
            return null;
        }

        if (name.Length > MaxNameLength)
        {
            Add(field, $"{field} must be at most {MaxNameLength} characters.");
            return null;
        }

        return name;
    }

    /// <summary>An email address, trimmed and lower-cased; null (and an error) when it does not look like one.</summary>
    public string? Email(string? value)
    {
        var email = value?.Trim().ToLowerInvariant();
        if (string.IsNullOrEmpty(email))
        {
            Add("email", "email is required.");
            return null;
        }

        if (!LooksLikeEmail(email))
        {
            Add("email", "email is not a valid email address.");
            return null;
        }

        return email;
    }

    /// <summary>A new password; null (and an error) when too short or too long.</summary>
    public string? NewPassword(string? value)
    {
        if (value is null || value.Length < MinPasswordLength)
        {
            Add("password", $"password must be at least {MinPasswordLength} characters.");
            return null;
        }

        if (value.Length > MaxPasswordLength)
        {
            Add("password", $"password must be at most {MaxPasswordLength} characters.");
            return null;
        }

        return value;
    }

    /// <summary>A required string field; null (and an error) when missing or blank.</summary>
    public string? Required(string field, string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            Add(field, $"{field} is required.");
            return null;
        }

        return value;
    }

    // Deliberately simple: one '@', a non-empty local part, a dotted domain, no spaces. Whether the
    // address exists is for an invite or verification mail to find out, not for a pattern.
    private static bool LooksLikeEmail(string email)
    {
        if (email.Length > MaxEmailLength || email.AsSpan().ContainsAny(NotInEmail))
        {
            return false;
        }

        var at = email.IndexOf('@', StringComparison.Ordinal);
        if (at <= 0 || at != email.LastIndexOf('@') || at > 64)
        {
            return false;
        }

        var domain = email.AsSpan(at + 1);
        var dot = domain.IndexOf('.');
        return dot > 0 && domain[^1] != '.' && !domain.Contains("..", StringComparison.Ordinal);
    }
}
