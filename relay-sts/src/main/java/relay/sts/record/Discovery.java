package relay.sts.record;

import java.util.Optional;

/**
 * What the {@code _mta-sts} TXT records say (RFC 8461 §3.1). Only {@link Found} lets policy
 * discovery go on; the three others all mean "the domain has no available policy" and differ
 * only in what they tell the logs. None of them evicts a cached policy (§3.1, §5.1).
 */
public sealed interface Discovery {

    /** The one STS record, when there is exactly one and it is valid. */
    default Optional<StsRecord> found() {
        return Optional.empty();
    }

    /** For logs: the id found, or why there is none. */
    String describe();

    /** Exactly one record begins with {@code v=STSv1} and it is valid. */
    record Found(StsRecord record) implements Discovery {

        @Override
        public Optional<StsRecord> found() {
            return Optional.of(record);
        }

        @Override
        public String describe() {
            return "id=" + record.id();
        }
    }

    /** No TXT record begins with {@code v=STSv1}: the domain publishes no MTA-STS. */
    record NoRecord(String reason) implements Discovery {

        @Override
        public String describe() {
            return "no MTA-STS record: " + reason;
        }
    }

    /** The one STS record breaks the RFC 8461 §3.1 ABNF. */
    record Invalid(String reason) implements Discovery {

        @Override
        public String describe() {
            return "invalid MTA-STS record: " + reason;
        }
    }

    /** More than one record begins with {@code v=STSv1}; RFC 8461 §3.1: never pick one. */
    record Multiple(int count, String reason) implements Discovery {

        @Override
        public String describe() {
            return "ambiguous MTA-STS records: " + reason;
        }
    }
}
