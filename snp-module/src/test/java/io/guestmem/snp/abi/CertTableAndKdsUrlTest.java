package io.guestmem.snp.abi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

class CertTableAndKdsUrlTest {

  @Test
  void table_layout_guidOffsetLength_thenZeroTerminator_thenData() throws Exception {
    Map<UUID, Bytes> certs = new LinkedHashMap<>();
    certs.put(CertTable.VCEK_GUID, Bytes.fromHex("0102"));
    certs.put(CertTable.ASK_GUID, Bytes.fromHex("030405"));
    certs.put(CertTable.ARK_GUID, Bytes.fromHex("06"));
    byte[] raw = CertTable.of(certs).toBytes();
    assertThat(raw).hasSize(4 * 24 + 6);
    assertThat(Arrays.copyOf(raw, 16)).isEqualTo(Bytes.fromHex("63da758de6644564adc5f4b93be8accd").toByteArray());
    assertThat(Le.u32(raw, 16)).isEqualTo(96);
    assertThat(Le.u32(raw, 20)).isEqualTo(2);
    assertThat(Le.u32(raw, 24 + 16)).isEqualTo(98);
    assertThat(Arrays.copyOfRange(raw, 72, 96)).containsOnly(0);

    CertTable t = CertTable.parse(raw);
    assertThat(t.entries()).extracting(CertTable.Entry::guid)
        .containsExactly(CertTable.VCEK_GUID, CertTable.ASK_GUID, CertTable.ARK_GUID);
    assertThat(t.certificate(CertTable.ASK_GUID)).contains(Bytes.fromHex("030405"));
    assertThat(t.certificate(CertTable.VLEK_GUID)).isEmpty();
    assertThat(t.toBytes()).isEqualTo(raw);
  }

  @Test
  void table_withoutTerminator_fails() {
    byte[] raw = CertTable.of(Map.of(CertTable.VCEK_GUID, Bytes.fromHex("01"))).toBytes();
    assertThatThrownBy(() -> CertTable.parse(Arrays.copyOf(raw, 30)))
        .isInstanceOf(MalformedLayoutException.class).hasMessageContaining("no all-zero terminator");
  }

  @Test
  void table_entryPointingOutsideTheBuffer_failsNamingTheEntry() {
    byte[] raw = CertTable.of(Map.of(CertTable.VCEK_GUID, Bytes.fromHex("01"))).toBytes();
    Le.put32(raw, 20, 2);
    assertThatThrownBy(() -> CertTable.parse(raw)).isInstanceOf(MalformedLayoutException.class)
        .hasMessageContaining("entry 0 (63da758d-e664-4564-adc5-f4b93be8accd)");
    byte[] intoTable = CertTable.of(Map.of(CertTable.VCEK_GUID, Bytes.fromHex("01"))).toBytes();
    Le.put32(intoTable, 16, 0);
    assertThatThrownBy(() -> CertTable.parse(intoTable)).isInstanceOf(MalformedLayoutException.class);
  }

  @Property(tries = 300)
  void table_randomGarbage_neverEscapesUnchecked(@ForAll byte[] garbage) {
    try {
      CertTable t = CertTable.parse(garbage);
      for (CertTable.Entry e : t.entries()) {
        assertThat(e.offset() + e.length()).isLessThanOrEqualTo(garbage.length);
      }
    } catch (MalformedLayoutException expected) {
      assertThat(expected.field()).startsWith("CERT_TABLE");
    }
  }

  @Test
  void kdsPaths_perProductAndFamily() {
    assertThat(KdsUrl.certChainPath(KdsUrl.Family.VCEK, SnpProduct.MILAN)).isEqualTo("/vcek/v1/Milan/cert_chain");
    assertThat(KdsUrl.certChainPath(KdsUrl.Family.VLEK, SnpProduct.TURIN)).isEqualTo("/vlek/v1/Turin/cert_chain");
    assertThat(KdsUrl.crlPath(KdsUrl.Family.VCEK, SnpProduct.GENOA)).isEqualTo("/vcek/v1/Genoa/crl");
    assertThat(KdsUrl.vcekPath(SnpProduct.GENOA, Bytes.fromHex("0a".repeat(64)),
        TcbVersion.of(TcbVersion.Layout.MILAN_GENOA, 0, 9, 0, 23, 72)))
        .isEqualTo("/vcek/v1/Genoa/" + "0a".repeat(64) + "?blSPL=9&teeSPL=0&snpSPL=23&ucodeSPL=72");
    assertThat(KdsUrl.vcekPath(SnpProduct.TURIN, Bytes.fromHex("0b".repeat(8)),
        TcbVersion.of(TcbVersion.Layout.TURIN, 1, 2, 3, 4, 5)))
        .isEqualTo("/vcek/v1/Turin/" + "0b".repeat(8) + "?fmcSPL=1&blSPL=2&teeSPL=3&snpSPL=4&ucodeSPL=5");
    assertThatThrownBy(() -> KdsUrl.vcekPath(SnpProduct.TURIN, Bytes.zeros(64), new TcbVersion(TcbVersion.Layout.TURIN, 0)))
        .as("KDS answers 404 for a 64-byte Turin hwID").isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void kdsPaths_mapToFileSystemSafeNames() {
    assertThat(KdsUrl.toRelativeFile("/vcek/v1/Milan/abcd?blSPL=2&teeSPL=0&snpSPL=5&ucodeSPL=68"))
        .isEqualTo("vcek/v1/Milan/abcd%3FblSPL%3D2%26teeSPL%3D0%26snpSPL%3D5%26ucodeSPL%3D68");
    assertThat(KdsUrl.toRelativeFile("/vcek/v1/Milan/cert_chain")).isEqualTo("vcek/v1/Milan/cert_chain");
    for (String url : new String[] {"/vcek/v1/Turin/0102030405060708?fmcSPL=1&blSPL=2&teeSPL=3&snpSPL=4&ucodeSPL=5",
        "/vlek/v1/Genoa/crl", "/vcek/v1/Milan/odd%name?x=1"}) {
      assertThat(KdsUrl.fromRelativeFile(KdsUrl.toRelativeFile(url))).isEqualTo(url);
      assertThat(KdsUrl.toRelativeFile(url)).doesNotContain("?", "&", "=");
    }
  }
}
