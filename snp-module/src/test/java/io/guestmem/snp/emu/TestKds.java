package io.guestmem.snp.emu;

import io.guestmem.snp.abi.SnpProduct;
import java.util.EnumMap;
import java.util.Map;

/** One EmulatedKds per product for the whole test JVM (RSA-4096 generation is slow). */
final class TestKds {
  /**
   * The seed of {@link SnpEmulation.Options#defaults}: tests that use the defaults (here and in
   * the verifier's tests, which run in the same JVM) then share the cached ARK/ASK/ASVK keys.
   */
  static final long SEED = 1L;
  private static final Map<SnpProduct, EmulatedKds> KDS = new EnumMap<>(SnpProduct.class);

  private TestKds() {}

  static synchronized EmulatedKds of(SnpProduct p) {
    return KDS.computeIfAbsent(p, x -> EmulatedKds.create(EmulatedKds.Config.defaults(SEED, x)));
  }

  static SnpFirmware firmware(SnpProduct p) {
    SnpFirmware fw = new SnpFirmware(SnpFirmware.Config.defaults(SEED, p, of(p)));
    fw.snpInit();
    return fw;
  }
}
