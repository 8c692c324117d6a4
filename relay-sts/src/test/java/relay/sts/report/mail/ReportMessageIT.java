package relay.sts.report.mail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.james.jdkim.DKIMVerifier;
import org.apache.james.jdkim.api.SignatureRecord;
import org.apache.james.jdkim.exceptions.FailException;
import org.apache.james.jdkim.impl.DNSPublicKeyRecordRetriever;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Lookup;
import org.xbill.DNS.SimpleResolver;
import relay.core.testing.Loopback;
import relay.core.testing.MiniDns;

/**
 * RFC 8460 §3 (RPT-41): the mailed report's DKIM signature verifies with jDKIM's own DNS key
 * lookup, against the public key published at {@code tlsrpt2026._domainkey.relay.example} by a
 * wire-format DNS server.
 */
class ReportMessageIT {

    private MiniDns dns;

    @BeforeAll
    static void keys() throws Exception {
        ReportMessageTest.keys();
    }

    @BeforeEach
    void start() throws IOException {
        // jDKIM's retriever uses dnsjava's Lookup, whose static cache would keep one test's answer for the next
        Lookup.getDefaultCache(DClass.IN).clearCache();
        dns = Loopback.retryingBind(() -> MiniDns.start("relay.example", ""));
    }

    @AfterEach
    void stop() {
        dns.close();
    }

    /** A TXT record in character-strings of at most 255 octets (RFC 6376 §3.6.2.2: joined by the verifier). */
    private static String txt(String record) {
        List<String> strings = new ArrayList<>();
        for (int i = 0; i < record.length(); i += 200) {
            strings.add("\"" + record.substring(i, Math.min(record.length(), i + 200)) + "\"");
        }
        return String.join(" ", strings);
    }

    private List<SignatureRecord> verifyOverDns(byte[] message) throws Exception {
        SimpleResolver resolver = new SimpleResolver(dns.address());
        return new DKIMVerifier(new DNSPublicKeyRecordRetriever(resolver)).verify(new ByteArrayInputStream(message));
    }

    @Test
    void signatureVerifiesAgainstTheKeyInDns() throws Exception {
        dns.setZone("tlsrpt2026._domainkey TXT " + txt(ReportMessageTest.keyRecord(ReportMessageTest.keys)) + "\n");
        List<SignatureRecord> valid = verifyOverDns(ReportMessageTest.message(ReportMessageTest.key()));
        assertThat(valid).singleElement().satisfies(s -> assertThat(s.getDToken().toString()).isEqualTo("relay.example"));
        assertThat(dns.queries()).isPositive();
    }

    @Test
    void noKeyInDnsFailsVerification() throws IOException {
        dns.setZone("other TXT \"x\"\n");
        assertThatThrownBy(() -> verifyOverDns(ReportMessageTest.message(ReportMessageTest.key())))
                .isInstanceOf(FailException.class);
    }
}
