package io.guestmem.snp.verify;

import static org.assertj.core.api.Assertions.assertThat;

import io.guestmem.attestation.InvalidRequestException;
import io.guestmem.attestation.TrustStatus;
import io.guestmem.attestation.VerificationRequest;
import io.guestmem.attestation.Verdict;
import io.guestmem.attestation.Verifiers;
import io.guestmem.attestation.collateral.VerifiedCache;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.Random;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile input never escapes as an unchecked exception: random byte flips, truncations and
 * extensions of a real report (with and without a certificate table behind it), and certificates
 * that claim to be a VCEK without any AMD extension, all end in a verdict (or, for bytes no plug-in
 * recognizes, an {@link InvalidRequestException}).
 */
class HostileInputTest {
  static final Instant T = Instant.parse("2026-04-12T00:00:00Z");
  @TempDir Path tmp;

  @Test
  void randomMutationsOfARealReport_alwaysEndInAVerdictOrARequestError() throws Exception {
    byte[] good = SnpVectors.report("routex-client-lua/DERIVED.attestation_spec.genoa-v5.report.bin");
    Path chain = SnpVectors.path("routex-client-lua/vcek-chain-genoa-v5.pem");
    Verifiers verifiers = new Verifiers(VerifiedCache.defaultCache(), Clock.systemUTC()).register(new SnpVerifier());
    Random random = new Random(20261126L);
    List<String> escaped = new ArrayList<>();
    for (int i = 0; i < 400; i++) {
      byte[] b = mutate(good, random);
      try {
        Verdict v = verifiers.verify(VerificationRequest.builder().evidence(b).at(T).certificateFile(chain).build());
        if (!Arrays.equals(b, good) && v.status() == TrustStatus.AFFIRMING) {
          escaped.add("mutation " + i + " affirmed");
        }
      } catch (InvalidRequestException e) {
        // bytes no plug-in recognizes: a request error, as documented
      } catch (RuntimeException e) {
        escaped.add("mutation " + i + ": " + e);
      }
    }
    assertThat(escaped).isEmpty();
  }

  static byte[] mutate(byte[] good, Random r) {
    switch (r.nextInt(4)) {
      case 0 -> {
        byte[] b = good.clone();
        for (int k = 0; k < 1 + r.nextInt(4); k++) {
          b[r.nextInt(b.length)] ^= (byte) (1 + r.nextInt(255));
        }
        return b;
      }
      case 1 -> {
        return Arrays.copyOf(good, r.nextInt(good.length));
      }
      case 2 -> {
        byte[] b = Arrays.copyOf(good, good.length + 1 + r.nextInt(200));
        for (int k = good.length; k < b.length; k++) {
          b[k] = (byte) r.nextInt(256);
        }
        return b;
      }
      default -> {
        byte[] b = Arrays.copyOf(good, good.length + 48);
        b[good.length] = (byte) r.nextInt(256);
        b[good.length + 16] = (byte) (r.nextInt(100));
        b[good.length + 20] = (byte) (r.nextInt(100));
        return b;
      }
    }
  }

  @Test
  void certificateNamedSevVcekWithoutAmdExtensions_isACertProfileFailure() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp384r1"));
    KeyPair kp = g.generateKeyPair();
    X500Name dn = new X500Name("CN=SEV-VCEK");
    X509CertificateHolder fake = new JcaX509v3CertificateBuilder(dn, BigInteger.ZERO, new Date(1_700_000_000_000L),
        new Date(1_900_000_000_000L), dn, kp.getPublic()).build(new JcaContentSignerBuilder("SHA384withECDSA").build(kp.getPrivate()));
    Path f = Files.write(tmp.resolve("fake-vcek.der"), fake.getEncoded());
    Verifiers verifiers = new Verifiers(VerifiedCache.disabled(), Clock.systemUTC()).register(new SnpVerifier());
    Verdict v = verifiers.verify(VerificationRequest.builder()
        .evidence(SnpVectors.report("routex-client-lua/DERIVED.attestation_spec.genoa-v5.report.bin")).at(T)
        .certificateFile(f).build());
    assertThat(v.status()).isEqualTo(TrustStatus.CONTRAINDICATED);
    assertThat(v.failures()).extracting(x -> x.id() + ":" + x.reason())
        .contains("snp.vek.extensions:cert_profile_invalid", "snp.report.signature:signature_invalid");
  }
}
