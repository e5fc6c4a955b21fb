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

  /**
   * Opens (creating it if absent) the state directory, mode 0711: other users can reach the
   * sockets inside by name (what they may do is decided by their peer credentials) but cannot
   * list it; every file with secrets in it is 0600.
   */
  public static StateDirectory open(Path root) throws IOException {
    Path abs = root.toAbsolutePath().normalize();
    if (!Files.isDirectory(abs)) {
      Files.createDirectories(abs);
      try {
        Files.setPosixFilePermissions(abs, PosixFilePermissions.fromString("rwx--x--x"));
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

  /** Restricts the SQLite database and its WAL/SHM files to the owner (SQLite creates them with the umask). */
  public void restrictDatabaseFiles() throws IOException {
    for (String suffix : new String[] {"", "-wal", "-shm", "-journal", "-records"}) {
      Path p = root.resolve(database().getFileName() + suffix);
      if (Files.exists(p)) {
        try {
          Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException e) {
          return;
        }
      }
    }
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
