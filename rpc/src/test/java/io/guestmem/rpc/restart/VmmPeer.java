package io.guestmem.rpc.restart;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.guestmem.memory.sys.ErrnoException;
import io.guestmem.memory.sys.SocketOptions;
import io.guestmem.memory.sys.UnixSockets;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** The VMM's end of the fd side channel for restart tests: get both fds, re-attach them. Bounded receives. */
final class VmmPeer implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final int sock;

  private VmmPeer(int sock) {
    this.sock = sock;
  }

  static VmmPeer connect(Path fdChannel) throws ErrnoException {
    int s = UnixSockets.connectSeqpacket(fdChannel);
    SocketOptions.setTimeouts(s, 10_000);
    return new VmmPeer(s);
  }

  /** A reply: JSON and the fds that came with it (owned by the caller). */
  record Reply(JsonNode json, int[] fds) {
    String errorReason() {
      return json.path("error").path("reason").asText("");
    }
  }

  /** {@code get} with explicit roles, e.g. "shared","private". */
  Reply get(String lease, String token, String... roles) throws ErrnoException, IOException {
    ObjectNode req = JSON.createObjectNode().put("op", "get").put("lease", lease).put("token", token);
    ArrayNode r = req.putArray("roles");
    for (String role : roles) {
      r.add(role);
    }
    return exchange(req, new int[0]);
  }

  /** {@code reattach} with fds listed as {@code roles[i]} for {@code fds[i]}. */
  Reply reattach(String lease, String credential, String[] roles, int[] fds, long size) throws ErrnoException, IOException {
    ObjectNode req = JSON.createObjectNode().put("op", "reattach").put("lease", lease).put("credential", credential);
    ArrayNode list = req.putArray("fds");
    for (String role : roles) {
      list.addObject().put("role", role).put("size", size);
    }
    return exchange(req, fds);
  }

  Reply reattach(String lease, String credential, int privateFd, int sharedFd, long size) throws ErrnoException, IOException {
    return reattach(lease, credential, new String[] {"private", "shared"}, new int[] {privateFd, sharedFd}, size);
  }

  private Reply exchange(ObjectNode req, int[] fds) throws ErrnoException, IOException {
    UnixSockets.sendFds(sock, req.toString().getBytes(StandardCharsets.UTF_8), fds);
    UnixSockets.Received r = UnixSockets.recvFds(sock, 4096, 4);
    if (r.endOfStream()) {
      throw new IOException("fd channel closed without a reply");
    }
    return new Reply(JSON.readTree(new String(r.payload(), StandardCharsets.UTF_8)), r.fds());
  }

  @Override
  public void close() throws ErrnoException {
    UnixSockets.close(sock);
  }
}
