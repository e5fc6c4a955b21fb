package io.guestmem.rpc.it;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import io.guestmem.memory.sys.SocketOptions;
import io.guestmem.memory.sys.UnixSockets;
import io.guestmem.rpc.client.ServiceClient;
import io.guestmem.rpc.errors.ErrorMapper;
import io.guestmem.rpc.v1.GetLeaseRequest;
import io.guestmem.rpc.v1.GuestMemoryGrpc;
import io.netty.channel.epoll.Epoll;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A client that runs as another uid, for authorisation tests: started as root in a child JVM,
 * it loads what it needs, drops to the uid given (setresgid/setresuid through libc), then calls
 * GetLease on the control socket and {@code get} on the fd channel, printing the reasons it got.
 * Usage: {@code ForeignUidClient UID CONTROL_SOCKET FD_SOCKET LEASE TOKEN}.
 */
public final class ForeignUidClient {
  static {
    Native.register(ForeignUidClient.class, NativeLibrary.getInstance("c"));
  }

  private static native int setresgid(int r, int e, int s);

  private static native int setresuid(int r, int e, int s);

  private static native int setgroups(long size, int[] list);

  public static void main(String[] args) throws Exception {
    int uid = Integer.parseInt(args[0]);
    Path control = Path.of(args[1]);
    Path fd = Path.of(args[2]);
    String lease = args[3];
    String token = args[4];
    // load native code and classes while still root (jars under /root are not readable afterwards)
    Epoll.ensureAvailability();
    ErrorMapper.reasonOf(new RuntimeException());
    SocketOptions.class.getName();
    UnixSockets.isOpen(0);
    ServiceClient warm = ServiceClient.connectUnix(Path.of("/nonexistent"));
    warm.close();
    if (setgroups(1, new int[] {uid}) != 0 || setresgid(uid, uid, uid) != 0 || setresuid(uid, uid, uid) != 0) {
      System.out.println("setuid=failed errno " + Native.getLastError());
      return;
    }
    try (ServiceClient c = ServiceClient.connectUnix(control)) {
      GuestMemoryGrpc.newBlockingStub(c.channel()).withDeadlineAfter(10, TimeUnit.SECONDS)
          .getLease(GetLeaseRequest.newBuilder().setLeaseId(lease).build());
      System.out.println("grpc=OK");
    } catch (RuntimeException e) {
      System.out.println("grpc=" + ErrorMapper.reasonOf(e).orElse(e.toString()));
    }
    int s = UnixSockets.connectSeqpacket(fd);
    String req = "{\"op\":\"get\",\"lease\":\"" + lease + "\",\"token\":\"" + token + "\"}";
    UnixSockets.sendFds(s, req.getBytes(StandardCharsets.UTF_8), new int[0]);
    UnixSockets.Received r = UnixSockets.recvFds(s, 4096, 4);
    System.out.println("fd=" + new String(r.payload(), StandardCharsets.UTF_8) + " fds=" + r.fds().length);
    System.out.flush();
  }
}
