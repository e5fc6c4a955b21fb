package io.guestmem.rpc.server;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The build's version, from a resource Maven fills in at build time. */
public final class BuildInfo {
  private static final String VERSION = load();

  private BuildInfo() {}

  private static String load() {
    Properties p = new Properties();
    try (InputStream in = BuildInfo.class.getResourceAsStream("version.properties")) {
      if (in != null) {
        p.load(in);
      }
    } catch (IOException e) {
      return "unknown";
    }
    return p.getProperty("version", "unknown");
  }

  public static String version() {
    return VERSION;
  }
}
