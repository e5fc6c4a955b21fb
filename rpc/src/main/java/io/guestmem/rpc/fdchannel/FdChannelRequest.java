package io.guestmem.rpc.fdchannel;

import java.util.List;

/**
 * The JSON header of one fd-channel datagram, read and checked for shape before anything is looked
 * up (contract: {@code docs/FD-CHANNEL.md}). {@link #parse} sees only the payload bytes and how
 * many fds came with them; it either returns a {@link Get}, {@link Attach} or {@link Reattach}
 * whose fields the server can act on, or refuses with {@link MalformedRequestException} (reason
 * {@value FdChannelServer#MALFORMED}, after which the server closes the connection). Tokens,
 * credentials, leases and the fds themselves are the server's to check.
 */
public sealed interface FdChannelRequest permits FdChannelRequest.Get, FdChannelRequest.Attach, FdChannelRequest.Reattach {

  /** The lease the request names. */
  String lease();

  /** {@code get}: no fds; {@code roles} is one or both of "shared" and "private", distinct, in the order asked. */
  record Get(String lease, String token, List<String> roles) implements FdChannelRequest {
    public Get {
      roles = List.copyOf(roles);
    }
  }

  /** {@code attach}: exactly one fd, the private one, of the declared size. */
  record Attach(String lease, String token, long declaredSize) implements FdChannelRequest {}

  /**
   * {@code reattach}: a credential and exactly two fds; {@code privateFdIndex} and
   * {@code sharedFdIndex} say which received fd is which (0 and 1, either way round);
   * {@code declaredSizes} are the sizes in the order the header lists them.
   */
  record Reattach(String lease, String credential, int privateFdIndex, int sharedFdIndex, List<Long> declaredSizes)
      implements FdChannelRequest {
    public Reattach {
      declaredSizes = List.copyOf(declaredSizes);
    }
  }

  /** The header is not a well-formed request; {@link #reason()} is always {@value FdChannelServer#MALFORMED}. */
  final class MalformedRequestException extends Exception {
    private static final long serialVersionUID = 1L;

    MalformedRequestException(String message) {
      super(message);
    }

    /** The stable reason sent in the error reply. */
    public String reason() {
      return FdChannelServer.MALFORMED;
    }
  }

  /**
   * Reads one header: {@code payload} is the datagram's bytes as UTF-8 (malformed sequences are
   * replaced, as any decoder would), {@code fdCount} the number of fds that arrived with it.
   */
  static FdChannelRequest parse(byte[] payload, int fdCount) throws MalformedRequestException {
    return FdChannelHeader.parse(payload, fdCount);
  }
}
