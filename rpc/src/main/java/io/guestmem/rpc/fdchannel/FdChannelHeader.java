package io.guestmem.rpc.fdchannel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.guestmem.rpc.fdchannel.FdChannelRequest.Attach;
import io.guestmem.rpc.fdchannel.FdChannelRequest.Get;
import io.guestmem.rpc.fdchannel.FdChannelRequest.MalformedRequestException;
import io.guestmem.rpc.fdchannel.FdChannelRequest.Reattach;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** How {@link FdChannelRequest#parse} reads a header: the shape checks of docs/FD-CHANNEL.md, in its order. */
final class FdChannelHeader {
  private static final ObjectMapper JSON = new ObjectMapper();

  private FdChannelHeader() {}

  private static Reattach reattach(JsonNode req, String leaseId, int fdCount) throws MalformedRequestException {
    String credential = text(req, "credential");
    JsonNode fds = req.get("fds");
    if (credential == null || req.has("token") || fds == null || !fds.isArray() || fds.size() != 2 || fdCount != 2) {
      throw new MalformedRequestException("reattach carries a credential and exactly two fds, listed as "
          + "{\"role\":\"private\",\"size\":N} and {\"role\":\"shared\",\"size\":N}");
    }
    int privateIndex = -1;
    int sharedIndex = -1;
    List<Long> sizes = new ArrayList<>(2);
    for (int i = 0; i < 2; i++) {
      String role = text(fds.get(i), "role");
      if (!wholeNumber(fds.get(i).path("size"))) {
        throw new MalformedRequestException("fds[" + i + "].size must be a whole number");
      }
      sizes.add(fds.get(i).get("size").asLong());
      if (FdChannelServer.ROLE_PRIVATE.equals(role) && privateIndex < 0) {
        privateIndex = i;
      } else if (FdChannelServer.ROLE_SHARED.equals(role) && sharedIndex < 0) {
        sharedIndex = i;
      } else {
        throw new MalformedRequestException("reattach lists one \"private\" and one \"shared\" fd");
      }
    }
    return new Reattach(leaseId, credential, privateIndex, sharedIndex, sizes);
  }

  /** The roles a {@code get} asks for: default just the shared memfd; null when malformed. */
  private static List<String> roles(JsonNode n) {
    List<String> out = new ArrayList<>();
    if (n == null) {
      out.add(FdChannelServer.ROLE_SHARED);
      return out;
    }
    if (!n.isArray() || n.isEmpty() || n.size() > 2) {
      return null;
    }
    for (JsonNode r : n) {
      String role = r.isTextual() ? r.asText() : null;
      if (!(FdChannelServer.ROLE_SHARED.equals(role) || FdChannelServer.ROLE_PRIVATE.equals(role)) || out.contains(role)) {
        return null;
      }
      out.add(role);
    }
    return out;
  }

  /**
   * A declared size: a JSON integer that fits a long. Not a fraction ({@code 4194304.5}), not a
   * number written with a fraction or exponent ({@code 4194304.0}, {@code 4.194304E6}), not a string.
   */
  private static boolean wholeNumber(JsonNode n) {
    return n.isIntegralNumber() && n.canConvertToLong();
  }

  private static String text(JsonNode n, String field) {
    JsonNode v = n == null ? null : n.get(field);
    return v != null && v.isTextual() ? v.asText() : null;
  }

  /** See {@link FdChannelRequest#parse}. */
  static FdChannelRequest parse(byte[] payload, int fdCount) throws MalformedRequestException {
    JsonNode req;
    try {
      req = JSON.readTree(new String(payload, StandardCharsets.UTF_8));
    } catch (IOException e) {
      req = null;
    }
    if (req == null || !req.isObject()) {
      throw new MalformedRequestException("message is not a JSON object");
    }
    String op = text(req, "op");
    String leaseId = text(req, "lease");
    if (op == null || leaseId == null) {
      throw new MalformedRequestException("op and lease are required strings");
    }
    if (op.equals("reattach")) {
      return reattach(req, leaseId, fdCount);
    }
    String token = text(req, "token");
    if (token == null) {
      throw new MalformedRequestException("op, lease and token are required strings");
    }
    switch (op) {
      case "get":
        if (fdCount != 0 || req.has("fds")) {
          throw new MalformedRequestException("get carries no fds");
        }
        List<String> roles = roles(req.get("roles"));
        if (roles == null) {
          throw new MalformedRequestException("roles, if given, is a non-empty list of distinct \"shared\" and \"private\"");
        }
        return new Get(leaseId, token, roles);
      case "attach":
        JsonNode fds = req.get("fds");
        if (fds == null || !fds.isArray() || fds.size() != 1 || fdCount != 1
            || !FdChannelServer.ROLE_PRIVATE.equals(text(fds.get(0), "role")) || !wholeNumber(fds.get(0).path("size"))) {
          throw new MalformedRequestException("attach carries exactly one fd, listed as {\"role\":\"private\",\"size\":N}");
        }
        return new Attach(leaseId, token, fds.get(0).get("size").asLong());
      default:
        throw new MalformedRequestException("unknown op '" + op + "'");
    }
  }
}
