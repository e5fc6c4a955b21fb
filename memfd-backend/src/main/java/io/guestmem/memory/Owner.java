package io.guestmem.memory;

/** The process a lease belongs to (normally the VMM, as seen through SO_PEERCRED). */
public record Owner(int uid, int pid) {
  public Owner {
    if (uid < 0 || pid <= 0) {
      throw new IllegalArgumentException("owner needs uid >= 0 and pid > 0: uid=" + uid + " pid=" + pid);
    }
  }

  /** This JVM's own uid and pid (tests and in-process emulators). */
  public static Owner self() {
    return new Owner(currentUid(), (int) ProcessHandle.current().pid());
  }

  private static int currentUid() {
    try {
      Object uid = java.nio.file.Files.getAttribute(java.nio.file.Path.of("/proc/self"), "unix:uid");
      return (Integer) uid;
    } catch (java.io.IOException | UnsupportedOperationException | IllegalArgumentException e) {
      return 0;
    }
  }
}
