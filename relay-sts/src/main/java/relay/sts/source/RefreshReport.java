package relay.sts.source;

/**
 * What one {@link StsPolicySource#refreshDue()} run did.
 *
 * @param refreshed policies fetched again and stored
 * @param failed fetches that failed (the cached policy stays while it is valid)
 * @param backedOff due policies not fetched because a fetch for the same id failed less than
 *     5 minutes ago (RFC 8461 §3.3)
 */
public record RefreshReport(int refreshed, int failed, int backedOff) {
}
