package io.guestmem.rpc.vmm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.guestmem.memory.sys.ErrnoException;
import io.guestmem.memory.sys.SocketOptions;
import io.guestmem.memory.sys.UnixSockets;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The VMM's end of guestmem's fd side channel ({@code docs/FD-CHANNEL.md}): one SOCK_SEQPACKET
 * connection, one JSON datagram per request and per reply, fds as SCM_RIGHTS in the order the
 * JSON lists them. Every receive is bounded by {@code SO_RCVTIMEO}.
 */
final class FdChannelClient implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_REPLY = 4096;

  private final int sock;

  private FdChannelClient(int sock) {
    this.sock = sock;
  }

  static FdChannelClient connect(Path fdChannel, long timeoutMillis) throws ErrnoException {
    int s = UnixSockets.connectSeqpacket(fdChannel);
    try {
      SocketOptions.setTimeouts(s, timeoutMillis);
    } catch (ErrnoException e) {
      UnixSockets.close(s);
      throw e;
    }
    return new FdChannelClient(s);
  }

  /** A reply: its JSON and the fds that came with it (owned by the caller). */
  record Reply(JsonNode json, int[] fds) {
    String errorReason() {
      return json.path("error").path("reason").asText("");
    }
  }

  /** {@code {"op":"get","lease":L,"token":T}}: the reply carries the lease's shared memfd. */
  Reply get(String lease, String token) throws ErrnoException, IOException {
    ObjectNode req = JSON.createObjectNode().put("op", "get").put("lease", lease).put("token", token);
    return exchange(req, new int[0]);
  }

  /** {@code {"op":"attach",...,"fds":[{"role":"private","size":N}]}} with the VMM's guest_memfd. */
  Reply attach(String lease, String token, int gmemFd, long size) throws ErrnoException, IOException {
    ObjectNode req = JSON.createObjectNode().put("op", "attach").put("lease", lease).put("token", token);
    req.putArray("fds").addObject().put("role", "private").put("size", size);
    return exchange(req, new int[] {gmemFd});
  }

  private Reply exchange(ObjectNode req, int[] fds) throws ErrnoException, IOException {
    UnixSockets.sendFds(sock, req.toString().getBytes(StandardCharsets.UTF_8), fds);
    UnixSockets.Received r = UnixSockets.recvFds(sock, MAX_REPLY, 4);
    if (r.endOfStream()) {
      throw new IOException("fd channel closed by guestmem without a reply");
    }
    return new Reply(JSON.readTree(new String(r.payload(), StandardCharsets.UTF_8)), r.fds());
  }

  @Override
  public void close() throws ErrnoException {
    UnixSockets.close(sock);
  }
}
