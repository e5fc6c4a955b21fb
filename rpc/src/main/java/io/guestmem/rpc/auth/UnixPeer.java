package io.guestmem.rpc.auth;

/** A local caller as the kernel identified it on connect ({@code SO_PEERCRED}). */
public record UnixPeer(int uid, int pid, int[] gids) {
  public UnixPeer {
    gids = gids.clone();
  }

  @Override
  public int[] gids() {
    return gids.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof UnixPeer p && p.uid == uid && p.pid == pid && java.util.Arrays.equals(p.gids, gids);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * uid + pid) + java.util.Arrays.hashCode(gids);
  }

  @Override
  public String toString() {
    return "uid=" + uid + " pid=" + pid;
  }
}
