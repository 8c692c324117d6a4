package relay.queue;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * RFC 1870 §6.1 and RFC 5321 §4.5.3.1.10: mail is refused with 452 4.3.1 before it is taken when
 * the data directory's file system has less than a reserve free (plus the size the client
 * declared). Refusing early keeps the database from ever running into a full disk, where H2
 * closes its store. Like Postfix's {@code queue_minfree}.
 */
public final class StorageGuard {

    private final FileStore store;
    private final long reserve;

    /** @param reserve octets that must stay free after the message */
    public StorageGuard(Path dir, long reserve) throws IOException {
        this.store = Files.getFileStore(dir);
        this.reserve = reserve;
    }

    /** True when a message of {@code octets} leaves at least the reserve free (or the space is unknown). */
    public boolean hasRoomFor(long octets) {
        try {
            return store.getUsableSpace() - Math.max(0, octets) >= reserve;
        } catch (IOException e) {
            return true; // the store will tell, with a 452, if it cannot write
        }
    }

    /** Free octets now, for health checks and logs; -1 when unknown. */
    public long usableSpace() {
        try {
            return store.getUsableSpace();
        } catch (IOException e) {
            return -1;
        }
    }
}
