package io.guestmem.snp.emu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.guestmem.memory.EngineConfig;
import io.guestmem.memory.Lease;
import io.guestmem.memory.LeaseRequest;
import io.guestmem.memory.MemoryEngine;
import io.guestmem.memory.MemoryException;
import io.guestmem.memory.PageState;
import io.guestmem.snp.abi.AttestationReport;
import io.guestmem.snp.abi.Bytes;
import io.guestmem.snp.abi.CertTable;
import io.guestmem.snp.abi.KdsUrl;
import io.guestmem.snp.abi.KeyInfo;
import io.guestmem.snp.abi.SnpProduct;
import io.guestmem.snp.abi.TcbVersion;
import io.guestmem.snp.abi.VekExtensions;
import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI's library entry point: files, determinism, knobs, and a run on the real memory engine. */
class SnpEmulationTest {
  @TempDir
  Path tmp;

  SnpEmulation.Options opts(Path dir) {
    return SnpEmulation.Options.defaults(dir).withSeed(TestKds.SEED);
  }

  @Test
  void run_writesTheDocumentedFiles() throws Exception {
    SnpEmulation.Result r = SnpEmulation.run(opts(tmp).withProduct(SnpProduct.GENOA), new RecordingMemory(64 * 4096));
    AttestationReport report = r.report();
    String vcek = KdsUrl.toRelativeFile(KdsUrl.vcekPath(SnpProduct.GENOA, report.hwId(), report.reportedTcb()));
    assertThat(r.files()).containsExactly("report.bin", "certs.bin",
        "kds/vcek/v1/Genoa/cert_chain", "kds/vcek/v1/Genoa/crl", "kds/vlek/v1/Genoa/cert_chain", "kds/vlek/v1/Genoa/crl",
        "kds/" + vcek, "roots/ark.pem", "roots/ark.der", "roots/ark.der.sha256", "emulation.log");
    for (String f : r.files()) {
      assertThat(tmp.resolve(f)).isRegularFile();
    }
    assertThat(AttestationReport.parse(Files.readAllBytes(tmp.resolve("report.bin")))).isEqualTo(report);
    assertThat(Files.readString(tmp.resolve("roots/ark.der.sha256")).trim())
        .isEqualTo(SnpEmulation.sha256Hex(Files.readAllBytes(tmp.resolve("roots/ark.der"))));

    CertTable table = CertTable.parse(Files.readAllBytes(tmp.resolve("certs.bin")));
    assertThat(table.entries()).extracting(CertTable.Entry::guid)
        .containsExactly(CertTable.VCEK_GUID, CertTable.ASK_GUID, CertTable.ARK_GUID);
    assertThat(table.certificate(CertTable.VCEK_GUID).orElseThrow().toByteArray())
        .isEqualTo(Files.readAllBytes(tmp.resolve("kds/" + vcek)));
    VekExtensions ext = VekExtensions.fromCertificate(Files.readAllBytes(tmp.resolve("kds/" + vcek)));
    assertThat(ext.tcbVersion()).isEqualTo(report.reportedTcb());
    assertThat(ext.hwId()).contains(report.hwId());
    assertThat(ext.productName()).isEqualTo("Genoa-B1");
  }

  @Test
  void run_logTellsTheLifecycle() throws Exception {
    SnpEmulation.Result r = SnpEmulation.run(opts(tmp).withProduct(SnpProduct.TURIN), new RecordingMemory(4L << 20));
    String log = r.logText();
    assertThat(log).contains("SNP_LAUNCH_START", "SNP_LAUNCH_UPDATE gpa=0x0 NORMAL: SUCCESS",
        "SNP_LAUNCH_FINISH with ID block", "PVALIDATE gpa=0x0 SIZE_4K validate: NO_UPDATE (RAX=0, CF=1)",
        "GHCB MSR PSC gpa=0x5000 -> shared", "PSC NAE exit 1: cur_entry 0 -> 1", "FAIL_SIZEMISMATCH",
        "0x5000=SHARED/hypervisor", "0x5000=PRIVATE/assigned+validated", "MSG_REPORT_REQ vmpl=0 key=VCEK: SUCCESS");
    assertThat(Files.readString(tmp.resolve("emulation.log"))).isEqualTo(log);
    assertThat(r.report().idKeyDigest().isAllZero()).isFalse();
    assertThat(r.report().keyInfo().authorKeyEn()).isTrue();
  }

  @Test
  void run_convertsThroughTheMemory_andLeavesTheLifecyclePagesPrivate() throws Exception {
    RecordingMemory mem = new RecordingMemory(64 * 4096);
    SnpEmulation.run(opts(tmp), mem);
    assertThat(mem.conversions).extracting(RecordingMemory.Conversion::to)
        .containsExactly(PageState.SHARED, PageState.SHARED, PageState.SHARED, PageState.PRIVATE, PageState.PRIVATE,
            PageState.PRIVATE);
    for (long gpa = 0; gpa < 64 * 4096; gpa += 4096) {
      assertThat(mem.stateAt(gpa)).isEqualTo(PageState.PRIVATE);
    }
  }

  @Test
  void sameSeed_byteIdenticalFiles_differentSeed_differentReport() throws Exception {
    Path a = tmp.resolve("a");
    Path b = tmp.resolve("b");
    SnpEmulation.Result ra = SnpEmulation.run(opts(a).withSigner(SnpEmulation.Signer.VLEK), new RecordingMemory(64 * 4096));
    SnpEmulation.run(opts(b).withSigner(SnpEmulation.Signer.VLEK), new RecordingMemory(64 * 4096));
    for (String f : ra.files()) {
      if (!f.equals("emulation.log")) {
        assertThat(Files.readAllBytes(b.resolve(f))).as(f).isEqualTo(Files.readAllBytes(a.resolve(f)));
      }
    }
    assertThat(Files.readAllBytes(b.resolve("vlek.der"))).isEqualTo(Files.readAllBytes(a.resolve("vlek.der")));

    SnpFirmware other = new SnpFirmware(SnpFirmware.Config.defaults(TestKds.SEED + 1, SnpProduct.MILAN,
        TestKds.of(SnpProduct.MILAN)));
    assertThat(other.config().hwId()).isNotEqualTo(ra.report().hwId());
  }

  @Test
  void knobs_vlekDebugVmplTcbVersion() throws Exception {
    TcbVersion tcb = TcbVersion.of(TcbVersion.Layout.MILAN_GENOA, 0, 1, 0, 2, 3);
    SnpEmulation.Result r = SnpEmulation.run(opts(tmp).withSigner(SnpEmulation.Signer.VLEK).withDebugPolicy(true)
        .withVmpl(3).withTcb(tcb).withReportVersion(3).withIdBlock(false)
        .withReportData(Bytes.fromHex("0102")), new RecordingMemory(64 * 4096));
    AttestationReport rep = r.report();
    assertThat(rep.keyInfo().signingKey()).isEqualTo(KeyInfo.SigningKey.VLEK);
    assertThat(rep.policy().debug()).isTrue();
    assertThat(rep.vmpl()).isEqualTo(3);
    assertThat(rep.reportedTcb()).isEqualTo(tcb);
    assertThat(rep.version()).isEqualTo(3);
    assertThat(rep.idKeyDigest().isAllZero()).isTrue();
    assertThat(rep.reportData().toByteArray()[1]).isEqualTo((byte) 2);
    assertThat(rep.reportData().slice(2, 62).isAllZero()).isTrue();
    assertThat(r.files()).contains("vlek.der");
    VekExtensions vlek = VekExtensions.fromCertificate(Files.readAllBytes(tmp.resolve("vlek.der")));
    assertThat(vlek.kind()).isEqualTo(VekExtensions.Kind.VLEK);
    assertThat(vlek.cspId()).contains(SnpEmulation.EMULATED_CSP_ID);
    assertThat(vlek.tcbVersion()).isEqualTo(tcb);
    assertThat(CertTable.parse(Files.readAllBytes(tmp.resolve("certs.bin"))).certificate(CertTable.VLEK_GUID)).isPresent();
  }

  @Test
  void knobs_expiredVek_wrongHwId_revokedSerial() throws Exception {
    Instant nb = Instant.parse("2019-01-01T00:00:00Z");
    Instant na = Instant.parse("2020-01-01T00:00:00Z");
    Bytes wrongHw = Bytes.fromHex("ee".repeat(64));
    SnpEmulation.Result r = SnpEmulation.run(opts(tmp).withVekValidity(new EmulatedKds.Validity(nb, na))
        .withCertifiedHwId(wrongHw).withRevokedSerials(List.of(BigInteger.valueOf(0x10001), BigInteger.ZERO)),
        new RecordingMemory(64 * 4096));
    Path vcekFile;
    try (Stream<Path> s = Files.list(tmp.resolve("kds/vcek/v1/Milan"))) {
      vcekFile = s.filter(f -> f.getFileName().toString().startsWith("ee")).findFirst().orElseThrow();
    }
    X509Certificate vcek = (X509Certificate) CertificateFactory.getInstance("X.509")
        .generateCertificate(new ByteArrayInputStream(Files.readAllBytes(vcekFile)));
    assertThat(vcek.getNotAfter().toInstant()).isEqualTo(na);
    assertThat(VekExtensions.fromCertificate(vcek.getEncoded()).hwId()).contains(wrongHw).isNotEqualTo(r.report().hwId());
    X509CRL crl = (X509CRL) CertificateFactory.getInstance("X.509")
        .generateCRL(Files.newInputStream(tmp.resolve("kds/vcek/v1/Milan/crl")));
    assertThat(crl.getRevokedCertificate(BigInteger.valueOf(0x10001))).isNotNull();
    assertThat(crl.getRevokedCertificate(BigInteger.ZERO)).isNotNull();
    assertThat(crl.getRevokedCertificate(BigInteger.valueOf(0x10000))).isNull();
  }

  @Test
  void tooSmallMemory_isRefused() {
    assertThatThrownBy(() -> SnpEmulation.run(opts(tmp), new RecordingMemory(4 * 4096)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void memoryRefusingConversions_failsTheRunWithTheReason() {
    RecordingMemory mem = new RecordingMemory(64 * 4096);
    mem.refuseNextConversion(MemoryException.Reason.LEASE_CLOSED);
    assertThatThrownBy(() -> SnpEmulation.run(opts(tmp), mem)).isInstanceOf(SnpEmulation.EmulationException.class)
        .hasMessageContaining("MSR page state change failed");
  }

  /** End to end on a lease of the real memory engine (emulated backend). */
  @Test
  void run_onAMemoryEngineLease() throws Exception {
    try (MemoryEngine engine = MemoryEngine.open(EngineConfig.emulated(tmp.resolve("state")))) {
      Lease lease = engine.openLease(LeaseRequest.owned(4L << 20, "snp"));
      SnpEmulation.Result r = SnpEmulation.run(opts(tmp.resolve("out")).withProduct(SnpProduct.TURIN), lease);
      assertThat(r.report().product()).contains(SnpProduct.TURIN);
      assertThat(lease.stateAt(0x5000)).isEqualTo(PageState.PRIVATE);
      assertThat(lease.stateAt(0x200000)).isEqualTo(PageState.PRIVATE);
      assertThat(r.logText()).contains("PSC: [0x200000, +0x200000) -> SHARED: converted, RMP updated");
      lease.release();
    }
  }
}
