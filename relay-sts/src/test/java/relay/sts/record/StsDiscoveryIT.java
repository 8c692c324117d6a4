package relay.sts.record;

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

/** RFC 8461 §3.1 discovery over a wire-format DNS server. */
class StsDiscoveryIT {

    private MiniDns dns;

    @BeforeEach
    void start() throws IOException {
        dns = Loopback.retryingBind(() -> MiniDns.start("example.test", ""));
    }

    @AfterEach
    void stop() {
        dns.close();
    }

    private StsLookup lookup(String zone, String domain) throws IOException {
        dns.setZone(zone);
        Dns resolver = new Dns(new DnsSettings(List.of(dns.address()), Duration.ofMillis(300)));
        return new StsDiscovery(resolver).lookup(Domain.parse(domain));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        // RFC 8461 §3.1: one valid record
        "one record            | _mta-sts TXT \"v=STSv1; id=20260101\"                                         | Found",
        "split strings joined  | _mta-sts TXT \"v=STSv1; \" \"id=abc\"                                         | Found",
        // STS-09: CNAMEs are followed
        "CNAME followed        | _mta-sts CNAME sts.elsewhere\\nsts.elsewhere TXT \"v=STSv1; id=1\"           | Found",
        // RFC 8461 §3.1: no record means no policy, not an error
        "NXDOMAIN              | other TXT \"x\"                                                              | NoRecord",
        "NODATA                | _mta-sts A 127.0.0.1                                                         | NoRecord",
        "other TXT only        | _mta-sts TXT \"hello\"                                                       | NoRecord",
        // STS-05: more than one STS record is no policy
        "two records           | _mta-sts TXT \"v=STSv1; id=1\"\\n_mta-sts TXT \"v=STSv1; id=2\"              | Multiple",
        "bad id                | _mta-sts TXT \"v=STSv1; id=no-dash\"                                         | Invalid",
        // a control byte comes through as the byte it is, not as dnsjava's "\\001" escape
        "control byte          | _mta-sts TXT \"v=STSv1; id=a\\001\"                                          | Invalid",
    })
    void answers(String name, String zone, String expected) throws IOException {
        StsLookup r = lookup(zone.replace("\\n", "\n"), "example.test");
        assertThat(r).isInstanceOf(StsLookup.Answered.class);
        assertThat(((StsLookup.Answered) r).discovery().getClass().getSimpleName()).isEqualTo(expected);
    }

    @Test
    void foundRecordCarriesTheId() throws IOException {
        StsLookup r = lookup("_mta-sts TXT \"v=STSv1; id=20260101\"\n", "example.test");
        assertThat(((StsLookup.Answered) r).discovery().found()).get().extracting(StsRecord::id).isEqualTo("20260101");
    }

    // RFC 8461 §3.3: a lookup failure is not "no record"
    @Test
    void servfailIsALookupFailure() throws IOException {
        dns.servfail("_mta-sts");
        StsLookup r = lookup("_mta-sts TXT \"v=STSv1; id=1\"\n", "example.test");
        assertThat(r).isInstanceOf(StsLookup.Failed.class);
        assertThat(((StsLookup.Failed) r).reason()).contains("SERVFAIL");
    }

    @Test
    void timeoutIsALookupFailure() throws IOException {
        dns.silence("_mta-sts");
        assertThat(lookup("_mta-sts TXT \"v=STSv1; id=1\"\n", "example.test")).isInstanceOf(StsLookup.Failed.class);
    }

    // STS-45: only the recipient domain itself is asked, never a parent
    @Test
    void subdomainDoesNotInheritTheParentsRecord() throws IOException {
        StsLookup r = lookup("_mta-sts TXT \"v=STSv1; id=1\"\nmail A 127.0.0.1\n", "mail.example.test");
        assertThat(((StsLookup.Answered) r).discovery()).isInstanceOf(Discovery.NoRecord.class);
    }

    // RFC 8461 §3.1 (STS-01): one TXT question, at _mta-sts.<policy domain>
    @Test
    void asksOneTxtQuestionAtTheUnderscoreName() throws IOException {
        assertThat(StsDiscovery.recordName(Domain.parse("example.com"))).isEqualTo("_mta-sts.example.com");
        dns.setZone("_mta-sts TXT \"v=STSv1; id=1\"\n");
        StsDiscovery discovery = new StsDiscovery(new Dns(new DnsSettings(List.of(dns.address()), Duration.ofMillis(300))));
        int before = dns.queries();

        assertThat(((StsLookup.Answered) discovery.lookup(Domain.parse("example.test"))).discovery())
                .isInstanceOf(Discovery.Found.class);
        assertThat(dns.queries() - before).isEqualTo(1);
    }
}
