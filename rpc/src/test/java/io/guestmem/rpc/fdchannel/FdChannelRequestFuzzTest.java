package io.guestmem.rpc.fdchannel;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.List;

/**
 * Coverage-guided fuzzing of the fd-channel header parser: a datagram's payload (at most
 * {@value FdChannelServer#MAX_MESSAGE} bytes, as the server receives it) and the number of fds that
 * came with it (0..{@value FdChannelServer#MAX_FDS}). Regression inputs:
 * {@code src/test/resources/io/guestmem/rpc/fdchannel/FdChannelRequestFuzzTestInputs/requestParser/}
 * (the payload, then one byte whose value is the fd count); long runs: {@code test-vectors/fuzz/run-campaign fd-channel}.
 */
class FdChannelRequestFuzzTest {

  /**
   * Any header either parses into a request whose shape matches the fds that came with it, or is
   * refused with {@link FdChannelRequest.MalformedRequestException} whose reason is
   * {@code MALFORMED_MESSAGE} and whose message says what is wrong; nothing else escapes.
   */
  @FuzzTest(maxDuration = "0s")
  void requestParser(FuzzedDataProvider data) {
    int fdCount = data.consumeInt(0, FdChannelServer.MAX_FDS);
    byte[] payload = data.consumeRemainingAsBytes();
    if (payload.length > FdChannelServer.MAX_MESSAGE) {
      payload = java.util.Arrays.copyOf(payload, FdChannelServer.MAX_MESSAGE);
    }
    FdChannelRequest req;
    try {
      req = FdChannelRequest.parse(payload, fdCount);
    } catch (FdChannelRequest.MalformedRequestException refused) {
      require(FdChannelServer.MALFORMED.equals(refused.reason()), "reason is MALFORMED_MESSAGE");
      require(refused.getMessage() != null && !refused.getMessage().isBlank(), "refusal says what is wrong");
      return;
    }
    require(req.lease() != null, "a request names its lease");
    if (req instanceof FdChannelRequest.Get g) {
      require(fdCount == 0 && g.token() != null, "get carries no fds and a token");
      require(!g.roles().isEmpty() && g.roles().size() <= 2 && g.roles().stream().distinct().count() == g.roles().size()
          && g.roles().stream().allMatch(r -> r.equals("shared") || r.equals("private")), "roles are distinct shared/private");
    } else if (req instanceof FdChannelRequest.Attach a) {
      require(fdCount == 1 && a.token() != null, "attach carries one fd and a token");
    } else if (req instanceof FdChannelRequest.Reattach r) {
      require(fdCount == 2 && r.credential() != null, "reattach carries two fds and a credential");
      require(List.of(r.privateFdIndex(), r.sharedFdIndex()).containsAll(List.of(0, 1)), "one private and one shared fd");
      require(r.declaredSizes().size() == 2, "two declared sizes");
    }
  }

  private static void require(boolean condition, String what) {
    if (!condition) {
      throw new AssertionError("contract broken: " + what);
    }
  }
}
