using System.Data.Common;
using Tollgate.Accounts;
using Tollgate.Budgets;
using Tollgate.Gateway.Routing;

namespace Tollgate.Gateway.Pipeline;

/// <summary>
/// An asynchronous job the provider accepted (a video), charged when it ends rather than when the
/// request ends: the attempt's reservation becomes a durable hold named <paramref name="HoldId"/>, and
/// <paramref name="RecordAsync"/> writes the job's own row in the same transaction.
/// </summary>
/// <param name="HoldId">The durable hold's id (the job's id).</param>
/// <param name="RecordAsync">Writes the job's row inside the transaction that makes the hold durable.</param>
internal sealed record DeferredCharge(string HoldId, Func<DbConnection, DbTransaction, DeferredStart, Task> RecordAsync);

/// <summary>What the job's row records of the request that made it.</summary>
/// <param name="Identity">The calling key.</param>
/// <param name="Candidate">The provider mapping that accepted the job, with the price in force at the request's start.</param>
/// <param name="RequestId">The request (the job's eventual ledger row carries it).</param>
/// <param name="Attempt">The attempt that made the job.</param>
/// <param name="Hold">The durable hold.</param>
internal sealed record DeferredStart(KeyIdentity Identity, RouteCandidate Candidate, string RequestId, int Attempt, DurableHold Hold);
