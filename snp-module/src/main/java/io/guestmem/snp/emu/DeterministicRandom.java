package io.guestmem.snp.emu;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.security.SecureRandomSpi;

/**
 * A {@link SecureRandom} whose output is a pure function of (seed, label): SHA-512 in counter mode
 * over {@code "guestmem-snp-emu" ‖ seed ‖ label ‖ counter}. It makes the emulated key
 * infrastructure reproducible byte for byte. It is <b>not</b> a source of secrecy: anyone who
 * knows the seed knows every emulated key, which is the point of an emulator.
 */
final class DeterministicRandom extends SecureRandom {
  private static final long serialVersionUID = 1L;

  DeterministicRandom(long seed, String label) {
    super(new Spi(seed, label), null);
  }

  private static final class Spi extends SecureRandomSpi {
    private static final long serialVersionUID = 1L;
    private final byte[] prefix;
    private long counter;
    private final byte[] block = new byte[64];
    private int available;

    Spi(long seed, String label) {
      byte[] l = label.getBytes(StandardCharsets.UTF_8);
      byte[] tag = "guestmem-snp-emu".getBytes(StandardCharsets.US_ASCII);
      prefix = ByteBuffer.allocate(tag.length + 8 + 4 + l.length)
          .put(tag).putLong(seed).putInt(l.length).put(l).array();
    }

    @Override
    protected void engineSetSeed(byte[] seed) {
      // Deterministic by design: extra seeding is ignored so output depends only on (seed, label).
    }

    @Override
    protected synchronized void engineNextBytes(byte[] bytes) {
      int i = 0;
      while (i < bytes.length) {
        if (available == 0) {
          refill();
        }
        int n = Math.min(available, bytes.length - i);
        System.arraycopy(block, 64 - available, bytes, i, n);
        available -= n;
        i += n;
      }
    }

    private void refill() {
      try {
        MessageDigest md = MessageDigest.getInstance("SHA-512");
        md.update(prefix);
        md.update(ByteBuffer.allocate(8).putLong(counter++).array());
        System.arraycopy(md.digest(), 0, block, 0, 64);
        available = 64;
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("SHA-512 is a mandatory JCA algorithm", e);
      }
    }

    @Override
    protected byte[] engineGenerateSeed(int numBytes) {
      byte[] b = new byte[numBytes];
      engineNextBytes(b);
      return b;
    }
  }
}
