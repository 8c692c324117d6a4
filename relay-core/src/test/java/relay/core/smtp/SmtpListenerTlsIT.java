package relay.core.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static relay.core.testing.ListenerSettingsBuilder.listener;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import relay.core.testing.ListenerSettingsBuilder;
import relay.core.testing.RunningListener;
import relay.core.testing.SmtpTestClient;
import relay.core.testing.TestPasswords;
import relay.core.testing.TestPki;

/** STARTTLS (RFC 3207) and AUTH (RFC 4954) on the submission listener, over real sockets. */
class SmtpListenerTlsIT {

    private static final String HOST = ListenerSettingsBuilder.HOST_NAME;
    private static final String QUEUED = "250 2\\.0\\.0 Ok: queued as [0-9A-V]{17}";
    private static final String CAPABILITIES = """
            250-relay.example.test
            250-PIPELINING
            250-SIZE 10000
            250-8BITMIME
            250-SMTPUTF8
            250-ENHANCEDSTATUSCODES""";
    private static final Pattern TOKEN = Pattern.compile("\\{(plain|b64):([^}:]*)(?::([^}]*))?}");
    private static final UserDirectory USERS = new UserDirectory(Map.of("alice", TestPasswords.hash("s3cret")));

    private static TestPki pki;
    private static SSLContext serverContext;
    private static SSLContext clientContext;

    private RunningListener relay;

    @BeforeAll
    static void certificates() {
        pki = TestPki.create("Relay Test CA");
        serverContext = pki.issue(HOST).serverContext();
        clientContext = pki.clientContext();
    }

    @AfterEach
    void stop() {
        if (relay != null) {
            relay.close();
        }
    }

    private RunningListener start(ListenerSettingsBuilder settings) {
        relay = RunningListener.start(settings);
        return relay;
    }

    /** Connects, says EHLO, STARTTLS, and returns the TLS session; the client must say EHLO again. */
    private SSLSession startTls(SmtpTestClient client) throws IOException {
        assertThat(client.command("STARTTLS")).isEqualTo("220 2.0.0 Ready to start TLS");
        return client.startTls(clientContext, HOST);
    }

    /** RFC 3207 §4 and RFC 4954 §4: STARTTLS only with a certificate; AUTH only inside TLS unless allowed. */
    @Test
    void advertisesStartTlsAndThenAuth() throws IOException {
        start(listener().tls(serverContext).users(USERS));
        try (SmtpTestClient client = relay.connect()) {
            client.reply();
            assertThat(client.ehlo("client.example.test")).isEqualTo(CAPABILITIES + "\n250 STARTTLS");
            startTls(client);
            // RFC 3207 §4.2: no STARTTLS once TLS is on, and now AUTH
            assertThat(client.ehlo("client.example.test")).isEqualTo(CAPABILITIES.replace("250-ENHANCEDSTATUSCODES",
                    "250-ENHANCEDSTATUSCODES\n250 AUTH PLAIN LOGIN"));
        }
    }

    @Test
    void offersAuthInPlaintextOnlyWhenAllowed() throws IOException {
        start(listener().tls(serverContext).users(USERS).allowPlaintextAuth(true));
        try (SmtpTestClient client = relay.connect()) {
            client.reply();
            assertThat(client.ehlo("client.example.test")).isEqualTo(CAPABILITIES + "\n250-STARTTLS\n250 AUTH PLAIN LOGIN");
            assertThat(client.command("AUTH PLAIN " + plain("alice", "s3cret"))).isEqualTo("235 2.7.0 Authentication successful");
            // RFC 3207 §4.2: a login from before TLS could not be forgotten after it, so no STARTTLS now
            assertThat(client.command("STARTTLS")).isEqualTo("503 5.5.1 STARTTLS not allowed after AUTH");
            assertThat(client.command("NOOP")).isEqualTo("250 2.0.0 Ok");
        }
    }

    @Test
    void refusesStartTlsWithoutACertificate() throws IOException {
        start(listener());
        try (SmtpTestClient client = relay.connectAndGreet()) {
            assertThat(client.command("STARTTLS")).isEqualTo("502 5.5.1 STARTTLS not offered");
            assertThat(client.command("NOOP")).isEqualTo("250 2.0.0 Ok");
        }
    }

    /** RFC 3207 §4.2: after the handshake the client starts over with EHLO; the trace field names the TLS in use. */
    @Test
    void acceptsMailOverTls() throws IOException {
        start(listener().tls(serverContext));
        try (SmtpTestClient client = relay.connectAndGreet()) {
            assertThat(client.command("MAIL FROM:<alice@example.com>")).isEqualTo("250 2.1.0 Ok");
            assertThat(client.command("STARTTLS extra")).isEqualTo("501 5.5.4 STARTTLS takes no arguments");
            SSLSession tls = startTls(client);
            assertThat(tls.getProtocol()).isIn("TLSv1.3", "TLSv1.2");

            // everything from before the handshake is forgotten: the greeting and the transaction
            assertThat(client.command("MAIL FROM:<alice@example.com>")).isEqualTo("503 5.5.1 Send EHLO or HELO first");
            assertThat(client.ehlo("client.example.test")).startsWith("250-relay.example.test");
            assertThat(client.command("RCPT TO:<bob@example.net>")).isEqualTo("503 5.5.1 Need MAIL command first");
            // RFC 3207 §4: no second STARTTLS
            assertThat(client.command("STARTTLS")).isEqualTo("503 5.5.1 TLS already active");
            assertThat(client.sendMail("alice@example.com", List.of("bob@example.net"), "Subject: secret\r\n\r\nx\r\n"))
                    .matches(QUEUED);

            String id = relay.spool().single().id().value();
            // RFC 3848 ESMTPS, and the protocol and cipher as the client negotiated them
            assertThat(relay.spool().single().text()).startsWith("Received: from client.example.test ([127.0.0.1])\r\n"
                    + "\t(using " + tls.getProtocol() + " with cipher " + tls.getCipherSuite() + ")\r\n"
                    + "\tby relay.example.test (relay) with ESMTPS id " + id + "\r\n"
                    + "\tfor <bob@example.net>;\r\n");
        }
    }

    /** A handshake that fails ends that session, never falls back to plaintext, and harms no one else. */
    @Test
    void endsTheSessionWhenTheHandshakeFails() throws IOException {
        start(listener().tls(serverContext));
        try (SmtpTestClient client = relay.connectAndGreet()) {
            assertThat(client.command("STARTTLS")).isEqualTo("220 2.0.0 Ready to start TLS");
            // a client that goes on in plaintext: the server must not answer it
            client.write("EHLO client.example.test\r\nMAIL FROM:<alice@example.com>\r\n");

            assertThat(client.readUntilClosed()).doesNotContain("250");
        }
        try (SmtpTestClient client = relay.connectAndGreet()) {
            assertThat(client.command("STARTTLS")).isEqualTo("220 2.0.0 Ready to start TLS");
            // a client that does not trust the certificate gives up during the handshake
            SSLContext strangers = TestPki.create("Some Other CA").clientContext();
            assertThatThrownBy(() -> client.startTls(strangers, HOST)).isInstanceOf(SSLHandshakeException.class);
        }
        try (SmtpTestClient client = relay.connectAndGreet()) {
            startTls(client);
            client.ehlo("client.example.test");
            assertThat(client.sendMail("alice@example.com", List.of("bob@example.net"), "Subject: x\r\n\r\nx\r\n")).matches(QUEUED);
        }
        assertThat(relay.spool().stored()).hasSize(1);
    }

    /** A client that never starts the handshake is dropped after the command timeout, without a word in plaintext. */
    @Test
    void dropsAClientThatNeverStartsTheHandshake() throws IOException {
        start(listener().tls(serverContext).commandTimeout(Duration.ofMillis(300)));
        try (SmtpTestClient client = relay.connectAndGreet()) {
            assertThat(client.command("STARTTLS")).isEqualTo("220 2.0.0 Ready to start TLS");

            assertThat(client.readUntilClosed()).isEmpty();
        }
    }

    /** RFC 4954 §4: no passwords in the clear. */
    @Test
    void refusesAuthBeforeStartTls() throws IOException {
        start(listener().tls(serverContext).users(USERS));
        try (SmtpTestClient client = relay.connectAndGreet()) {
            assertThat(client.command("AUTH PLAIN " + plain("alice", "s3cret")))
                    .isEqualTo("538 5.7.11 Encryption required for requested authentication mechanism");
            assertThat(client.command("AUTH LOGIN")).isEqualTo("538 5.7.11 Encryption required for requested authentication mechanism");
            assertThat(client.command("NOOP")).isEqualTo("250 2.0.0 Ok");
        }
    }

    /** RFC 4954 §4 and §6 (RFC 4616 PLAIN): a user from outside the client networks may relay once authenticated. */
    @Test
    void relaysForAuthenticatedUsersWithPlain() throws IOException {
        start(listener().tls(serverContext).users(USERS).clientNetworks("10.0.0.0/8"));
        try (SmtpTestClient client = relay.connectAndGreet()) {
            startTls(client);
            client.ehlo("client.example.test");
            assertThat(client.command("MAIL FROM:<alice@example.com>")).isEqualTo("250 2.1.0 Ok");
            assertThat(client.command("RCPT TO:<bob@example.net>")).isEqualTo("554 5.7.1 <bob@example.net>: Relay access denied");
            // RFC 4954 §4: not during a mail transaction
            assertThat(client.command("AUTH PLAIN " + plain("alice", "s3cret")))
                    .isEqualTo("503 5.5.1 AUTH not permitted during a mail transaction");
            assertThat(client.command("RSET")).isEqualTo("250 2.0.0 Ok");

            assertThat(client.command("AUTH PLAIN " + plain("alice", "s3cret"))).isEqualTo("235 2.7.0 Authentication successful");
            // RFC 4954 §4: once authenticated, no second AUTH
            assertThat(client.command("AUTH PLAIN " + plain("alice", "s3cret"))).isEqualTo("503 5.5.1 Already authenticated");
            assertThat(client.sendMail("alice@example.com", List.of("bob@example.net"), "Subject: x\r\n\r\nx\r\n")).matches(QUEUED);
        }
        // RFC 3848: ESMTPSA
        assertThat(relay.spool().single().text()).contains(" with ESMTPSA id ");
    }

    /** The LOGIN mechanism (draft-murchison-sasl-login), with and without an initial response. */
    @Test
    void relaysForAuthenticatedUsersWithLogin() throws IOException {
        start(listener().tls(serverContext).users(USERS).clientNetworks("10.0.0.0/8"));
        try (SmtpTestClient client = relay.connectAndGreet()) {
            startTls(client);
            client.ehlo("client.example.test");
            assertThat(client.command("AUTH LOGIN")).isEqualTo("334 " + b64("Username:"));
            assertThat(client.command(b64("alice"))).isEqualTo("334 " + b64("Password:"));
            assertThat(client.command(b64("s3cret"))).isEqualTo("235 2.7.0 Authentication successful");
            assertThat(client.sendMail("alice@example.com", List.of("bob@example.net"), "Subject: x\r\n\r\nx\r\n")).matches(QUEUED);
        }
        try (SmtpTestClient client = relay.connectAndGreet()) {
            startTls(client);
            client.ehlo("client.example.test");
            assertThat(client.command("AUTH LOGIN " + b64("alice"))).isEqualTo("334 " + b64("Password:"));
            assertThat(client.command(b64("s3cret"))).isEqualTo("235 2.7.0 Authentication successful");
        }
    }

    /** RFC 4954 §4 and §6: failures carry enhanced codes, and a failed AUTH leaves the client unauthenticated. */
    @ParameterizedTest(name = "{0} -> {2}")
    @CsvSource(delimiter = '|', textBlock = """
            # RFC 4954 §6: 535 5.7.8 for wrong credentials, whatever the mechanism
            AUTH PLAIN {plain:alice:wrong}        |                        | 535 5.7.8 Authentication credentials invalid
            AUTH PLAIN {plain:mallory:s3cret}     |                        | 535 5.7.8 Authentication credentials invalid
            AUTH PLAIN                            | {plain:alice:wrong}    | 535 5.7.8 Authentication credentials invalid
            AUTH LOGIN {b64:alice}                | {b64:wrong}            | 535 5.7.8 Authentication credentials invalid
            # RFC 4954 §4: 501 5.5.2 when a response is not base64, 501 when the client cancels with '*'
            AUTH PLAIN not!base64                 |                        | 501 5.5.2 Cannot decode the response
            AUTH LOGIN                            | *                      | 501 5.7.0 Authentication canceled
            AUTH PLAIN                            | *                      | 501 5.7.0 Authentication canceled
            # RFC 4954 §4: 504 for a mechanism that is not offered; 501 for a missing one
            AUTH CRAM-MD5                         |                        | 504 5.5.4 Unrecognized authentication type
            AUTH                                  |                        | 501 5.5.4 Syntax: AUTH mechanism [initial-response]
            """)
    void refusesBadCredentials(String command, String response, String reply) throws IOException {
        start(listener().tls(serverContext).users(USERS).clientNetworks("10.0.0.0/8"));
        try (SmtpTestClient client = relay.connectAndGreet()) {
            startTls(client);
            client.ehlo("client.example.test");
            String answer = client.command(expand(command));
            if (response != null) {
                assertThat(answer).startsWith("334");
                answer = client.command(expand(response));
            }
            assertThat(answer).isEqualTo(reply);

            assertThat(client.command("MAIL FROM:<alice@example.com>")).isEqualTo("250 2.1.0 Ok");
            assertThat(client.command("RCPT TO:<bob@example.net>")).isEqualTo("554 5.7.1 <bob@example.net>: Relay access denied");
        }
    }

    @Test
    void refusesAuthWhenNoUsersAreConfigured() throws IOException {
        start(listener().tls(serverContext));
        try (SmtpTestClient client = relay.connectAndGreet()) {
            startTls(client);
            assertThat(client.ehlo("client.example.test")).doesNotContain("AUTH");
            assertThat(client.command("AUTH PLAIN " + plain("alice", "s3cret"))).isEqualTo("502 5.5.1 AUTH not available");
        }
    }

    /** Replaces {plain:user:password} and {b64:text} in a table row with their base64 forms. */
    private static String expand(String text) {
        return TOKEN.matcher(text).replaceAll(m -> Matcher.quoteReplacement(m.group(1).equals("plain")
                ? plain(m.group(2), m.group(3)) : b64(m.group(2))));
    }

    /** RFC 4616: [authzid] NUL authcid NUL passwd, base64. */
    private static String plain(String user, String password) {
        return b64("\0" + user + "\0" + password);
    }

    private static String b64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }
}
