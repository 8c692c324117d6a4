package relay.sts.report.record;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import relay.core.dns.Dns;
import relay.core.dns.DnsSettings;
import relay.core.mail.Domain;
import relay.core.testing.Loopback;
import relay.core.testing.MiniDns;

/** RFC 8460 §3 discovery of {@code _smtp._tls} over a wire-format DNS server. */
class TlsRptDiscoveryIT {

    private MiniDns dns;

    @BeforeEach
    void start() throws IOException {
        dns = Loopback.retryingBind(() -> MiniDns.start("example.test", ""));
    }

    @AfterEach
    void stop() {
        dns.close();
    }

    private RptLookup lookup(String zone) throws IOException {
        dns.setZone(zone);
        Dns resolver = new Dns(new DnsSettings(List.of(dns.address()), Duration.ofMillis(300)));
        return new TlsRptDiscovery(resolver).lookup(Domain.parse("example.test"));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        // RFC 8460 §3: one record
        "one record           | _smtp._tls TXT \"v=TLSRPTv1; rua=mailto:r@example.test\"                              | Found",
        // RPT-04: character-strings joined
        "split strings        | _smtp._tls TXT \"v=TLSRPTv1; rua=mailto:r@exa\" \"mple.test\"                        | Found",
        "CNAME followed       | _smtp._tls CNAME rpt.elsewhere\\nrpt.elsewhere TXT \"v=TLSRPTv1; rua=mailto:r@x.test\" | Found",
        // no record is not an error
        "NXDOMAIN             | other TXT \"x\"                                                                      | NoRecord",
        "NODATA               | _smtp._tls A 127.0.0.1                                                               | NoRecord",
        // RPT-03
        "two records          | _smtp._tls TXT \"v=TLSRPTv1; rua=mailto:a@x.test\"\\n_smtp._tls TXT \"v=TLSRPTv1; rua=mailto:b@x.test\" | Multiple",
        "no rua               | _smtp._tls TXT \"v=TLSRPTv1; ext=1\"                                                  | Invalid",
    })
    void answers(String name, String zone, String expected) throws IOException {
        RptLookup r = lookup(zone.replace("\\n", "\n"));
        assertThat(r).isInstanceOf(RptLookup.Answered.class);
        assertThat(((RptLookup.Answered) r).discovery().getClass().getSimpleName()).isEqualTo(expected);
    }

    @Test
    void foundRecordCarriesTheJoinedUri() throws IOException {
        RptLookup r = lookup("_smtp._tls TXT \"v=TLSRPTv1; rua=mailto:r@exa\" \"mple.test,https://rpt.example.test/v1\"\n");
        assertThat(((RptLookup.Answered) r).discovery().found().orElseThrow().rua())
                .extracting(u -> u.uri().toString())
                .containsExactly("mailto:r@example.test", "https://rpt.example.test/v1");
    }

    @Test
    void servfailIsALookupFailure() throws IOException {
        dns.servfail("_smtp._tls");
        RptLookup r = lookup("_smtp._tls TXT \"v=TLSRPTv1; rua=mailto:r@example.test\"\n");
        assertThat(r).isInstanceOf(RptLookup.Failed.class);
        assertThat(((RptLookup.Failed) r).reason()).contains("SERVFAIL");
    }

    @Test
    void timeoutIsALookupFailure() throws IOException {
        dns.silence("_smtp._tls");
        assertThat(lookup("_smtp._tls TXT \"v=TLSRPTv1; rua=mailto:r@example.test\"\n")).isInstanceOf(RptLookup.Failed.class);
    }
}
