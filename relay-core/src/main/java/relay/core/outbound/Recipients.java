package relay.core.outbound;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import relay.core.delivery.Outcome;
import relay.core.delivery.RecipientOutcome;
import relay.core.mail.MailAddress;

/** The recipients of one attempt: which still need a host, and the outcomes found so far. */
final class Recipients {

    private final Map<MailAddress, Outcome> outcomes = new LinkedHashMap<>();

    Recipients(List<MailAddress> recipients) {
        recipients.forEach(r -> outcomes.put(r, null));
    }

    List<MailAddress> pending() {
        List<MailAddress> out = new ArrayList<>();
        outcomes.forEach((r, o) -> {
            if (o == null) {
                out.add(r);
            }
        });
        return out;
    }

    boolean done() {
        return !outcomes.containsValue(null);
    }

    void settle(MailAddress r, Outcome o) {
        outcomes.put(r, o);
    }

    void settleAll(List<MailAddress> rs, Outcome o) {
        rs.forEach(r -> settle(r, o));
    }

    /** Every recipient still pending gets the outcome this failure implies. */
    List<RecipientOutcome> finish(HostFailure last) {
        Outcome rest = last.permanent()
                ? new Outcome.Bounced(last.status(), last.text(), last.remoteMta())
                : new Outcome.Deferred(last.status(), last.text(), last.remoteMta());
        List<RecipientOutcome> out = new ArrayList<>();
        outcomes.forEach((r, o) -> out.add(new RecipientOutcome(r, o == null ? rest : o)));
        return out;
    }
}
