package io.guestmem.cli;

import picocli.CommandLine.IVersionProvider;

/** The build's version, from a resource Maven fills in, plus the JVM and OS it runs on. */
final class VersionProvider implements IVersionProvider {
  static String version() {
    return io.guestmem.rpc.server.BuildInfo.version();
  }

  @Override
  public String[] getVersion() {
    return new String[] {
      "guestmem " + version(),
      "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + "), "
          + System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch")
    };
  }
}
