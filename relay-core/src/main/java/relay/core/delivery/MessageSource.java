package relay.core.delivery;

import java.io.IOException;
import java.io.InputStream;

/** The stored message, readable as often as needed (one stream per attempt or per MX). */
public interface MessageSource {

    /** The message size in octets, as stored (CRLF line ends, not dot-stuffed). */
    long size();

    InputStream open() throws IOException;
}
