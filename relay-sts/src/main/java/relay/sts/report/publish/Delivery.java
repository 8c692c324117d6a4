package relay.sts.report.publish;

import java.net.URI;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Optional;
import relay.core.mail.Domain;

/**
 * One report on its way to one rua, claimed by this worker for one attempt.
 *
 * @param firstAttemptAt empty before the first attempt
 * @param leaseUntil what {@code next_attempt_at} was set to by the claim (identifies the claim)
 */
public record Delivery(Domain domain, LocalDate day, URI rua, String reportId, byte[] reportGz, int attempts,
        Optional<Instant> firstAttemptAt, Instant leaseUntil) {
}
