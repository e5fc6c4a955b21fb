package io.guestmem.rpc.restart;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The fds a service manager passed at start ({@code sd_listen_fds} protocol): when
 * {@code $LISTEN_PID} is this process, fds {@code 3 .. 3+$LISTEN_FDS-1}, named by the
 * colon-separated {@code $LISTEN_FDNAMES} (systemd passes the fd store's content this way).
 */
public record ListenFds(List<Named> fds) {
  /** The first fd passed ({@code SD_LISTEN_FDS_START}). */
  public static final int FIRST_FD = 3;
  /** More than any store guestmem asks for; bounds what a bad environment can make us touch. */
  public static final int MAX_FDS = 4096;

  /** One passed fd and its name ("unknown" when none was given, as systemd does). */
  public record Named(int fd, String name) {}

  public ListenFds {
    fds = List.copyOf(fds);
  }

  public static ListenFds none() {
    return new ListenFds(List.of());
  }

  public static ListenFds fromEnvironment() {
    return from(System.getenv(), ProcessHandle.current().pid());
  }

  /**
   * From an environment. Nothing when {@code LISTEN_PID} is absent or another process's (the
   * variables were meant for a parent) or {@code LISTEN_FDS} is not a count in range.
   */
  public static ListenFds from(Map<String, String> env, long pid) {
    String p = env.get("LISTEN_PID");
    String n = env.get("LISTEN_FDS");
    if (p == null || n == null || !p.equals(Long.toString(pid))) {
      return none();
    }
    int count;
    try {
      count = Integer.parseInt(n);
    } catch (NumberFormatException e) {
      return none();
    }
    if (count <= 0 || count > MAX_FDS) {
      return none();
    }
    String names = env.get("LISTEN_FDNAMES");
    String[] split = names == null ? new String[0] : names.split(":", -1);
    List<Named> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      String name = i < split.length && !split[i].isEmpty() ? split[i] : "unknown";
      out.add(new Named(FIRST_FD + i, name));
    }
    return new ListenFds(out);
  }
}
