package io.guestmem.rpc.fdchannel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The fd-channel header parser, as docs/FD-CHANNEL.md describes the messages. */
class FdChannelRequestTest {

  private static FdChannelRequest parse(String json, int fds) throws FdChannelRequest.MalformedRequestException {
    return FdChannelRequest.parse(json.getBytes(StandardCharsets.UTF_8), fds);
  }

  private static void assertMalformed(String json, int fds, String message) {
    assertThatThrownBy(() -> parse(json, fds))
        .isInstanceOfSatisfying(FdChannelRequest.MalformedRequestException.class,
            e -> assertThat(e.reason()).isEqualTo("MALFORMED_MESSAGE"))
        .hasMessage(message);
  }

  @Test
  void getAsksForTheSharedMemfdByDefault_orForTheRolesListed() throws Exception {
    assertThat(parse("{\"op\":\"get\",\"lease\":\"L\",\"token\":\"T\"}", 0))
        .isEqualTo(new FdChannelRequest.Get("L", "T", List.of("shared")));
    assertThat(parse("{\"op\":\"get\",\"lease\":\"L\",\"token\":\"T\",\"roles\":[\"private\",\"shared\"]}", 0))
        .isEqualTo(new FdChannelRequest.Get("L", "T", List.of("private", "shared")));
  }

  @Test
  void getWithFdsOrBadRoles_isMalformed() {
    assertMalformed("{\"op\":\"get\",\"lease\":\"L\",\"token\":\"T\"}", 1, "get carries no fds");
    assertMalformed("{\"op\":\"get\",\"lease\":\"L\",\"token\":\"T\",\"roles\":[\"shared\",\"shared\"]}", 0,
        "roles, if given, is a non-empty list of distinct \"shared\" and \"private\"");
    assertMalformed("{\"op\":\"get\",\"lease\":\"L\",\"token\":\"T\",\"roles\":[]}", 0,
        "roles, if given, is a non-empty list of distinct \"shared\" and \"private\"");
  }

  @Test
  void attachCarriesExactlyOnePrivateFdOfADeclaredSize() throws Exception {
    assertThat(parse("{\"op\":\"attach\",\"lease\":\"L\",\"token\":\"T\",\"fds\":[{\"role\":\"private\",\"size\":4096}]}", 1))
        .isEqualTo(new FdChannelRequest.Attach("L", "T", 4096));
    assertMalformed("{\"op\":\"attach\",\"lease\":\"L\",\"token\":\"T\",\"fds\":[{\"role\":\"private\",\"size\":4096}]}", 2,
        "attach carries exactly one fd, listed as {\"role\":\"private\",\"size\":N}");
    assertMalformed("{\"op\":\"attach\",\"lease\":\"L\",\"token\":\"T\",\"fds\":[{\"role\":\"shared\",\"size\":4096}]}", 1,
        "attach carries exactly one fd, listed as {\"role\":\"private\",\"size\":N}");
  }

  @Test
  void reattachSaysWhichReceivedFdIsWhich_inEitherOrder() throws Exception {
    String sharedFirst = "{\"op\":\"reattach\",\"lease\":\"L\",\"credential\":\"C\","
        + "\"fds\":[{\"role\":\"shared\",\"size\":8192},{\"role\":\"private\",\"size\":4096}]}";
    assertThat(parse(sharedFirst, 2)).isEqualTo(new FdChannelRequest.Reattach("L", "C", 1, 0, List.of(8192L, 4096L)));
    assertMalformed(sharedFirst.replace("\"shared\"", "\"private\""), 2, "reattach lists one \"private\" and one \"shared\" fd");
    assertMalformed(sharedFirst.replace("\"credential\":\"C\"", "\"credential\":\"C\",\"token\":\"T\""), 2,
        "reattach carries a credential and exactly two fds, listed as {\"role\":\"private\",\"size\":N} and {\"role\":\"shared\",\"size\":N}");
    assertMalformed(sharedFirst.replace("8192", "\"big\""), 2, "fds[0].size must be a whole number");
  }

  @Test
  void aDeclaredSizeMustBeAJsonInteger_notAFractionExponentOrOutOfRange() {
    String attach = "{\"op\":\"attach\",\"lease\":\"L\",\"token\":\"T\",\"fds\":[{\"role\":\"private\",\"size\":SIZE}]}";
    String attachRefused = "attach carries exactly one fd, listed as {\"role\":\"private\",\"size\":N}";
    for (String size : List.of("4194304.5", "4194304.0", "4.194304E6", "\"4194304\"", "1e30", "99999999999999999999", "true", "null")) {
      assertMalformed(attach.replace("SIZE", size), 1, attachRefused);
    }
    String reattach = "{\"op\":\"reattach\",\"lease\":\"L\",\"credential\":\"C\","
        + "\"fds\":[{\"role\":\"private\",\"size\":4194304},{\"role\":\"shared\",\"size\":SIZE}]}";
    for (String size : List.of("4194304.5", "4194304.0", "4.194304E6", "\"4194304\"", "99999999999999999999")) {
      assertMalformed(reattach.replace("SIZE", size), 2, "fds[1].size must be a whole number");
    }
  }

  @Test
  void notAnObject_missingMembersAndUnknownOps_areMalformed() {
    assertMalformed("", 0, "message is not a JSON object");
    assertMalformed("[1,2]", 0, "message is not a JSON object");
    assertMalformed("{\"op\":\"get\"", 0, "message is not a JSON object");
    assertMalformed("{\"op\":\"get\",\"lease\":7}", 0, "op and lease are required strings");
    assertMalformed("{\"op\":\"get\",\"lease\":\"L\"}", 0, "op, lease and token are required strings");
    assertMalformed("{\"op\":\"detach\",\"lease\":\"L\",\"token\":\"T\"}", 0, "unknown op 'detach'");
  }
}
