package relay.app.admin;

import java.time.Instant;
import java.util.List;
import relay.sts.cache.CachedPolicy;
import relay.sts.cache.FetchFailure;

/**
 * The JSON shapes of the MTA-STS policy cache endpoints, shared by the server and the
 * {@code relay sts cache} commands. Absent values are {@code null}.
 */
public final class StsCacheJson {

    private StsCacheJson() {
    }

    /**
     * One cached policy (RFC 8461 §3.2 fields as the cache holds them).
     *
     * @param maxAge the seconds the cache uses (clamped to a year, see {@code MaxAge})
     * @param policy the policy's lines as served; only in the single-domain view
     * @param lastFailure the domain's last failed fetch, if the last fetch failed; only in the single-domain view
     */
    public record Policy(String domain, String policyId, String mode, long maxAge, List<String> mx, Instant fetched,
            Instant expires, Instant lastUsed, List<String> policy, Failure lastFailure) {

        static Policy summary(CachedPolicy c) {
            return of(c, null, null);
        }

        static Policy detail(CachedPolicy c, Failure failure) {
            return of(c, c.policy().lines(), failure);
        }

        private static Policy of(CachedPolicy c, List<String> lines, Failure failure) {
            return new Policy(c.domain().name(), c.policyId(), c.policy().mode().token(), c.policy().maxAge().seconds(),
                    c.policy().mx().stream().map(Object::toString).toList(), c.fetchedAt(), c.expiresAt(),
                    c.lastUsedAt(), lines, failure);
        }
    }

    /** A failed fetch (RFC 8461 §3.3): for which TXT id, when, how many in a row, why. */
    public record Failure(String policyId, Instant failedAt, int consecutive, String reason) {

        static Failure of(FetchFailure f) {
            return new Failure(f.policyId(), f.failedAt(), f.consecutive(), f.reason());
        }
    }

    /** The answer to a purge. */
    public record Purged(String domain, String action) {
    }
}
