package relay.sts.record;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A valid {@code _mta-sts} TXT record (RFC 8461 §3.1).
 *
 * @param id the policy instance id: 1 to 32 letters and digits, compared as is (RFC 8461 §3.1:
 *     it changes whenever the policy does; there is no order between ids)
 * @param text the record as read, its character-strings joined without a separator
 */
public record StsRecord(String id, String text) {

    /** RFC 8461 §3.1 sts-id: {@code 1*32(ALPHA / DIGIT)}. */
    static final Pattern ID = Pattern.compile("[A-Za-z0-9]{1,32}");

    public StsRecord {
        Objects.requireNonNull(text, "text");
        if (id == null || !ID.matcher(id).matches()) {
            throw new IllegalArgumentException("invalid MTA-STS id '" + id + "'");
        }
    }
}
