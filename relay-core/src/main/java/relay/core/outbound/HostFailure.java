package relay.core.outbound;

import java.util.Optional;

/**
 * Why one host could not take the message: the reason the whole attempt is deferred when no other
 * host can. {@code permanent} only for what no other host could fix (the message needs SMTPUTF8
 * and no host offers it).
 */
record HostFailure(String status, String text, Optional<String> remoteMta, boolean permanent) {

    static HostFailure temporary(String status, String text, Optional<String> remoteMta) {
        return new HostFailure(status, text, remoteMta, false);
    }
}
