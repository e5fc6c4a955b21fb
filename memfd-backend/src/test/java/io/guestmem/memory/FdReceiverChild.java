package io.guestmem.memory;

import com.sun.jna.Pointer;
import io.guestmem.memory.sys.ErrnoException;
import io.guestmem.memory.sys.Syscalls;
import io.guestmem.memory.sys.UnixSockets;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;

/**
 * The second process of the cross-process test, playing a VMM: connects to the parent's
 * SOCK_SEQPACKET socket, receives [private gmem fd, shared memfd] over SCM_RIGHTS and reports, one
 * fact per line, what the kernel lets it do with them. Never touches a gmem mapping: the private
 * fd's mmap is expected to fail with ENODEV.
 */
public final class FdReceiverChild {
  public static void main(String[] args) throws Exception {
    int sock = UnixSockets.connectSeqpacket(Path.of(args[0]));
    int len = Integer.parseInt(args[1]);
    UnixSockets.Received msg = UnixSockets.recvFds(sock, 256, 4);
    System.out.println("PAYLOAD " + new String(msg.payload(), StandardCharsets.UTF_8));
    int[] fds = msg.fds();
    System.out.println("FDS " + fds.length);
    int priv = fds[0];
    int shared = fds[1];
    System.out.println("PRIVATE_LINK " + Files.readSymbolicLink(Path.of("/proc/self/fd/" + priv)));
    System.out.println("PRIVATE_CLOEXEC " + (Syscalls.fcntl(priv, "F_GETFD", Syscalls.F_GETFD, 0) & Syscalls.FD_CLOEXEC));
    System.out.println("PRIVATE_INO " + Syscalls.fstat(priv).ino);
    try {
      Pointer p = Syscalls.mmap(4096, Syscalls.PROT_READ, Syscalls.MAP_SHARED, priv, 0);
      Syscalls.munmap(p, 4096); // not reached on a gmem without MMAP
      System.out.println("PRIVATE_MMAP OK");
    } catch (ErrnoException e) {
      System.out.println("PRIVATE_MMAP " + e.errnoName());
    }
    Pointer s = Syscalls.mmap(len, Syscalls.PROT_READ, Syscalls.MAP_SHARED, shared, 0);
    System.out.println("SHARED " + HexFormat.of().formatHex(s.getByteArray(0, len)));
    System.out.flush();
    // Keep both fds and the shared mapping while the parent audits this process.
    UnixSockets.sendFds(sock, "done".getBytes(StandardCharsets.UTF_8), new int[0]);
    UnixSockets.recvFds(sock, 16, 0);
    Syscalls.munmap(s, len);
  }
}
