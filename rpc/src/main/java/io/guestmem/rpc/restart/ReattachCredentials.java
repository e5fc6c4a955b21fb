package io.guestmem.rpc.restart;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Re-attach credentials: one per lease, issued when it is opened, shown to the VMM once, and kept
 * here only as a SHA-256 in {@code <state-dir>/reattach/<lease>.sha256} (directory 0700, file
 * 0600). The file is written and synced (file, then directory) before the credential is handed
 * out, so a credential the VMM holds always survives a crash of guestmem. A credential stays valid
 * for the lease's life and is forgotten when the lease is released.
 */
public final class ReattachCredentials {
  /** Outcome of checking a presented credential. */
  public enum Verdict { MATCH, UNKNOWN, MISMATCH }

  private static final Pattern LEASE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
  private static final String SUFFIX = ".sha256";

  private final Path dir;
  private final SecureRandom random = new SecureRandom();

  private ReattachCredentials(Path dir) {
    this.dir = dir;
  }

  /** Opens (creating if needed) {@code <stateDir>/reattach}. */
  public static ReattachCredentials open(Path stateDir) throws IOException {
    Path d = stateDir.resolve("reattach");
    if (!Files.isDirectory(d)) {
      Files.createDirectories(d, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }
    Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwx------"));
    return new ReattachCredentials(d);
  }

  public Path directory() {
    return dir;
  }

  private Path fileOf(String leaseId) {
    if (leaseId == null || !LEASE_ID.matcher(leaseId).matches()) {
      throw new IllegalArgumentException("not a lease id: " + leaseId);
    }
    return dir.resolve(leaseId + SUFFIX);
  }

  /**
   * A fresh credential for {@code leaseId} (256 random bits, base64url without padding). Returns
   * only after its hash is durably recorded; on failure nothing is recorded and the caller must not
   * hand out anything.
   */
  public String issue(String leaseId) throws IOException {
    Path target = fileOf(leaseId);
    byte[] b = new byte[32];
    random.nextBytes(b);
    String credential = Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    byte[] hex = (HexFormat.of().formatHex(sha256(credential)) + "\n").getBytes(StandardCharsets.US_ASCII);
    Path tmp = dir.resolve("." + leaseId + SUFFIX + ".tmp");
    try {
      try (FileChannel ch = FileChannel.open(tmp, Set.of(StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
          StandardOpenOption.WRITE), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
        ByteBuffer buf = ByteBuffer.wrap(hex);
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        ch.force(true);
      }
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      syncDirectory();
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
    return credential;
  }

  /** Whether {@code credential} is the one issued for {@code leaseId} (hashes compared in constant time). */
  public Verdict check(String leaseId, String credential) throws IOException {
    if (leaseId == null || !LEASE_ID.matcher(leaseId).matches()) {
      return Verdict.UNKNOWN;
    }
    byte[] recorded;
    try {
      String hex = Files.readString(fileOf(leaseId), StandardCharsets.US_ASCII).trim();
      recorded = HexFormat.of().parseHex(hex);
    } catch (NoSuchFileException e) {
      return Verdict.UNKNOWN;
    } catch (IllegalArgumentException e) {
      throw new IOException("re-attach record of " + leaseId + " is corrupt", e);
    }
    if (credential == null) {
      return Verdict.MISMATCH;
    }
    return MessageDigest.isEqual(recorded, sha256(credential)) ? Verdict.MATCH : Verdict.MISMATCH;
  }

  /** Forgets the credential of a released lease. */
  public void forget(String leaseId) throws IOException {
    if (leaseId != null && LEASE_ID.matcher(leaseId).matches()) {
      Files.deleteIfExists(fileOf(leaseId));
    }
  }

  private void syncDirectory() throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }

  private static byte[] sha256(String credential) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(credential.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }
}
