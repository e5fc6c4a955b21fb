package io.guestmem.rpc.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The one directory guestmem writes: database, keys, TLS material, sockets, {@code endpoints.json}.
 * Nothing is written outside it.
 */
public final class StateDirectory {
  private final Path root;

  private StateDirectory(Path root) {
    this.root = root;
  }

  /** {@code /var/lib/guestmem} for root, else {@code $XDG_STATE_HOME/guestmem} (default {@code ~/.local/state/guestmem}). */
  public static Path defaultPath() {
    String user = System.getProperty("user.name");
    if ("root".equals(user)) {
      return Path.of("/var/lib/guestmem");
    }
    String xdg = System.getenv("XDG_STATE_HOME");
    Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".local", "state");
    return base.resolve("guestmem");
  }

  /** Opens (creating it mode 0700 if absent) the state directory. */
  public static StateDirectory open(Path root) throws IOException {
    Path abs = root.toAbsolutePath().normalize();
    if (!Files.isDirectory(abs)) {
      Files.createDirectories(abs);
      try {
        Files.setPosixFilePermissions(abs, PosixFilePermissions.fromString("rwx------"));
      } catch (UnsupportedOperationException e) {
        // non-POSIX file system: permissions are the platform's
      }
    }
    if (!Files.isWritable(abs)) {
      throw new IOException("state directory " + abs + " is not writable");
    }
    return new StateDirectory(abs);
  }

  public Path root() {
    return root;
  }

  public Path controlSocket() {
    return root.resolve("guestmem.sock");
  }

  public Path fdChannelSocket() {
    return root.resolve("guestmem-fd.sock");
  }

  public Path database() {
    return root.resolve("guestmem.db");
  }

  public Path tlsDirectory() {
    return root.resolve("tls");
  }

  public Path endpointsFile() {
    return root.resolve("endpoints.json");
  }
}
