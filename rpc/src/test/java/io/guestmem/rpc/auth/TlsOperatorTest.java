package io.guestmem.rpc.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Operator mappings: their syntax, and which certificate each matches. */
class TlsOperatorTest {
  private static final String HEX = "ab".repeat(32);

  @Test
  void aFingerprintMappingParsesWithItsGrant() {
    TlsOperator o = TlsOperator.parse("sha256=" + HEX.toUpperCase() + ",uid=1000,name=ops-console");
    assertThat(o.sha256()).isEqualTo(HEX);
    assertThat(o.uid()).isEqualTo(1000);
    assertThat(o.allLeases()).isFalse();
    assertThat(o.name()).isEqualTo("ops-console");
    assertThat(TlsOperator.parse(o.spec())).isEqualTo(o);

    TlsOperator all = TlsOperator.parse("sha256=" + HEX.replaceAll("(..)(?!$)", "$1:") + ",allLeases");
    assertThat(all.sha256()).isEqualTo(HEX);
    assertThat(all.actingUid()).isEmpty();
    assertThat(all.allLeases()).isTrue();
    assertThat(all.name()).isEqualTo("sha256:" + HEX.substring(0, 16));
  }

  @Test
  void malformedMappingsAreRefusedWithTheReason() {
    assertThatThrownBy(() -> TlsOperator.parse("sha256=" + HEX)).hasMessageContaining("grants nothing");
    assertThatThrownBy(() -> TlsOperator.parse("sha256=abcd,uid=1")).hasMessageContaining("64 hex digits");
    assertThatThrownBy(() -> TlsOperator.parse("uid=1")).hasMessageContaining("exactly one of");
    assertThatThrownBy(() -> TlsOperator.parse("sha256=" + HEX + ",san=dns:a,uid=1")).hasMessageContaining("exactly one of");
    assertThatThrownBy(() -> TlsOperator.parse("san=ip:10.0.0.1,uid=1")).hasMessageContaining("dns:NAME or uri:URI");
    assertThatThrownBy(() -> TlsOperator.parse("sha256=" + HEX + ",uid=-3")).hasMessageContaining(">= 0");
    assertThatThrownBy(() -> TlsOperator.parse("sha256=" + HEX + ",uid=root")).hasMessageContaining("a number");
    assertThatThrownBy(() -> TlsOperator.parse("sha256=" + HEX + ",role=admin")).hasMessageContaining("unknown key \"role\"");
    assertThatThrownBy(() -> TlsOperator.parse("sha256=" + HEX + ",allLeases=yes")).hasMessageContaining("allLeases");
    assertThatThrownBy(() -> new TlsOperators(List.of(TlsOperator.parse("sha256=" + HEX + ",uid=1"), TlsOperator.parse("sha256=" + HEX + ",allLeases"))))
        .hasMessageContaining("given twice");
  }

  @Test
  void subjectAltNamesMatchExactlyAndFingerprintsComeFirst() throws Exception {
    TestPki.Issued ca = TestPki.rootCa("ca");
    TestPki.Issued c = TestPki.client(ca, "ops", TestPki.Profile.client().san("Ops.Example.COM", "spiffe://example.org/ops"));
    String sha = c.sha256();
    assertThat(TlsOperator.parse("san=dns:ops.example.com,uid=1").matches(c.certificate(), sha)).isTrue();
    assertThat(TlsOperator.parse("san=dns:example.com,uid=1").matches(c.certificate(), sha)).isFalse();
    assertThat(TlsOperator.parse("san=dns:*.example.com,uid=1").matches(c.certificate(), sha)).isFalse();
    assertThat(TlsOperator.parse("san=uri:spiffe://example.org/ops,uid=1").matches(c.certificate(), sha)).isTrue();
    assertThat(TlsOperator.parse("san=uri:SPIFFE://example.org/ops,uid=1").matches(c.certificate(), sha)).isFalse();
    // the subject CN is not a SAN
    assertThat(TlsOperator.parse("san=dns:ops,uid=1").matches(c.certificate(), sha)).isFalse();

    TlsOperators ops = new TlsOperators(List.of(
        TlsOperator.parse("san=uri:spiffe://example.org/ops,uid=2,name=by-san"),
        TlsOperator.parse("sha256=" + sha + ",uid=1,name=by-pin")));
    assertThat(ops.lookup(c.certificate(), sha)).map(TlsOperator::name).contains("by-pin");
    TestPki.Issued other = TestPki.client(ca, "other", TestPki.Profile.client());
    assertThat(ops.lookup(other.certificate(), other.sha256())).isEmpty();
  }
}
