package relay.core.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import relay.core.mail.Domain;

class PolicyOverridesTest {

    private static final Domain BROKEN = Domain.parse("broken.example");
    private static final Domain PARTNER = Domain.parse("partner.example");
    private static final Domain OTHER = Domain.parse("other.example");
    private static final Domain MX = Domain.parse("mx.elsewhere.example");
    private static final ReportedPolicy STS = new ReportedPolicy(ReportedPolicy.Type.STS, List.of("mode: enforce"),
            List.of("mx.partner.example"), "1");

    private final TlsPolicySource enforceEverywhere = new TlsPolicySource() {
        @Override
        public TransportPolicy policyFor(Domain d) {
            return new TransportPolicy(TlsRequirement.VERIFIED, mx -> mx.name().endsWith(d.name()), "mta-sts enforce", STS);
        }

        @Override
        public PolicyRecheck recheck(Domain d) {
            return new PolicyRecheck.NotChecked("SERVFAIL");
        }
    };

    private final PolicyOverrides overrides = new PolicyOverrides(
            Map.of(BROKEN, PolicyOverrides.Action.SKIP, PARTNER, PolicyOverrides.Action.REQUIRE), enforceEverywhere);

    @Test
    void skipIgnoresTheDomainsPolicyAndItsRecheck() {
        TransportPolicy p = overrides.policyFor(BROKEN);
        assertThat(p.tls()).isEqualTo(TlsRequirement.OPPORTUNISTIC);
        assertThat(p.mxAllowed().test(MX)).isTrue();
        assertThat(p.enforced()).isFalse();
        assertThat(overrides.recheck(BROKEN)).isInstanceOf(PolicyRecheck.Unchanged.class);
    }

    @Test
    void requireKeepsAStricterEnforcePolicyWhole() {
        TransportPolicy p = overrides.policyFor(PARTNER);
        assertThat(p.enforced()).isTrue();
        assertThat(p.mxAllowed().test(MX)).isFalse();
        assertThat(overrides.recheck(PARTNER)).isInstanceOf(PolicyRecheck.NotChecked.class);
    }

    @Test
    void requireRaisesNoPolicyToVerifiedTlsReportedAsNoPolicyFound() {
        PolicyOverrides o = new PolicyOverrides(Map.of(PARTNER, PolicyOverrides.Action.REQUIRE), TlsPolicySource.none());
        TransportPolicy p = o.policyFor(PARTNER);
        assertThat(p.tls()).isEqualTo(TlsRequirement.VERIFIED);
        assertThat(p.mxAllowed().test(MX)).isTrue();
        assertThat(p.reported()).isEqualTo(ReportedPolicy.NO_POLICY_FOUND);
        assertThat(p.enforced()).as("failures are not MTA-STS failures").isFalse();
    }

    @Test
    void otherDomainsPassThrough() {
        assertThat(overrides.policyFor(OTHER).source()).isEqualTo("mta-sts enforce");
    }
}
