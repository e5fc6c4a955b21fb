package io.guestmem.snp.emu;

import io.guestmem.snp.abi.SnpProduct;
import java.util.EnumMap;
import java.util.Map;

/** One EmulatedKds per product for the whole test JVM (RSA-4096 generation is slow). */
final class TestKds {
  static final long SEED = 20261126L;
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
