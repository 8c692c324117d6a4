package relay.sts.cache;

import java.time.Duration;
import java.time.Instant;
import relay.core.mail.Domain;

/**
 * The last failed policy fetch of a domain (RFC 8461 §3.3, STS-20: back off per policy id).
 *
 * @param policyId the TXT id the fetch was for
 * @param failedAt when it failed
 * @param consecutive failed fetches in a row, counting this one (STS-28)
 * @param reason why, for logs
 */
public record FetchFailure(Domain domain, String policyId, Instant failedAt, int consecutive, String reason) {

    /** True when a fetch for {@code id} must wait: same id and less than {@code backoff} ago. */
    public boolean blocks(String id, Instant now, Duration backoff) {
        return policyId.equals(id) && now.isBefore(failedAt.plus(backoff));
    }
}
