package relay.core.spool;

/** The spool could not store a message (disk full, database broken): a temporary local failure. */
public class SpoolException extends Exception {

    public SpoolException(String message, Throwable cause) {
        super(message, cause);
    }
}
