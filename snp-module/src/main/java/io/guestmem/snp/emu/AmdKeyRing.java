package io.guestmem.snp.emu;

import io.guestmem.snp.abi.SnpProduct;
import java.math.BigInteger;
import java.util.concurrent.ConcurrentHashMap;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.crypto.AsymmetricCipherKeyPair;
import org.bouncycastle.crypto.generators.ECKeyPairGenerator;
import org.bouncycastle.crypto.generators.RSAKeyPairGenerator;
import org.bouncycastle.crypto.params.ECKeyGenerationParameters;
import org.bouncycastle.crypto.params.ECNamedDomainParameters;
import org.bouncycastle.crypto.params.RSAKeyGenerationParameters;

/**
 * Every emulated AMD key, derived from (seed, label). RSA-4096 generation takes about a second, so
 * ARK, ASK and ASVK keys are generated once per (seed, product, role) per JVM and kept in memory;
 * P-384 keys (VCEK, VLEK, ID and author keys) are cheap and derived on each call. The same seed
 * always gives the same keys.
 */
final class AmdKeyRing {
  private AmdKeyRing() {}

  /** The RSA-4096 roles of AMD's per-product hierarchy. */
  enum RsaRole {
    ARK, ASK, ASVK
  }

  private static final ConcurrentHashMap<String, AsymmetricCipherKeyPair> RSA_CACHE = new ConcurrentHashMap<>();

  static AsymmetricCipherKeyPair rsa4096(long seed, SnpProduct product, RsaRole role) {
    String label = "rsa4096/" + product.kdsName() + "/" + role;
    return RSA_CACHE.computeIfAbsent(seed + "/" + label, k -> {
      RSAKeyPairGenerator g = new RSAKeyPairGenerator();
      g.init(new RSAKeyGenerationParameters(BigInteger.valueOf(65537), new DeterministicRandom(seed, label), 4096, 112));
      return g.generateKeyPair();
    });
  }

  static final ECNamedDomainParameters P384 = ECNamedDomainParameters.lookup(SECObjectIdentifiers.secp384r1);

  static AsymmetricCipherKeyPair p384(long seed, String label) {
    ECKeyPairGenerator g = new ECKeyPairGenerator();
    g.init(new ECKeyGenerationParameters(P384, new DeterministicRandom(seed, "p384/" + label)));
    return g.generateKeyPair();
  }
}
