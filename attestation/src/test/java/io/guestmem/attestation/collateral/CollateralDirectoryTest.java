package io.guestmem.attestation.collateral;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.guestmem.attestation.TestVectors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CollateralDirectoryTest {

  @Test
  void pcsAndKdsLayouts_areFound(@TempDir Path dir) throws Exception {
    Path tcb = dir.resolve("tdx/certification/v4/tcb");
    Files.createDirectories(tcb);
    Files.write(tcb.resolve("50806F000000"), TestVectors.read("go-tdx-guest/sample_tcbInfo_response"));
    Files.write(tcb.resolve("50806F000000.issuer-chain"), TestVectors.read("go-tdx-guest/tcbinfo_issuer_chain.pem"));
    Path kds = dir.resolve("vcek/v1/Genoa");
    Files.createDirectories(kds);
    Files.write(kds.resolve("cert_chain"), TestVectors.read("go-sev-guest/ask_ark_genoa.pem"));
    Files.write(kds.resolve("crl"), TestVectors.read("cyntrisec-kds/Genoa/crl.der"));

    CollateralDirectory c = new CollateralDirectory(dir);
    var doc = c.intelTcbInfo("50806f000000");
    assertThat(doc).hasValueSatisfying(d -> assertThat(d.issuerChain()).hasSize(2));
    assertThat(c.intelQeIdentity()).isEmpty();
    assertThat(c.amdCertChain("vcek", "Genoa")).hasSize(2);
    assertThat(c.amdCertChain("vlek", "Genoa")).isEmpty();
    assertThat(c.amdCrl("Genoa")).isPresent();
  }

  @Test
  void pathsEscapingTheDirectory_areRefused(@TempDir Path dir) {
    assertThatThrownBy(() -> new CollateralDirectory(dir).read("../../etc/passwd")).isInstanceOf(IOException.class);
  }
}
