-- A 6-hour facet grain (21,600,000 ms), so a local day's edge is a few buckets: filled from the
-- hour facets already written; the ledger writer and rebuild-rollups write it from now on.
INSERT INTO usage_facets (org_id, dimension, grain, bucket_start, value, requests, errors, cost_pico,
                          input_tokens, output_tokens, cached_tokens, reasoning_tokens)
SELECT org_id, dimension, 21600000, bucket_start / 21600000 * 21600000, value,
       SUM(requests), SUM(errors), SUM(cost_pico), SUM(input_tokens), SUM(output_tokens), SUM(cached_tokens), SUM(reasoning_tokens)
FROM usage_facets
WHERE grain = 3600000
GROUP BY org_id, dimension, bucket_start / 21600000 * 21600000, value;
