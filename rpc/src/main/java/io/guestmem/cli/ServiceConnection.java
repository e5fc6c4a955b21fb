package io.guestmem.cli;

import io.guestmem.rpc.client.ServiceClient;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * How a client command reaches the running service: by default its unix socket from
 * {@code endpoints.json}; with {@code --tls-cert}/{@code --tls-key}, its TCP+TLS port with that
 * client certificate (an operator mapping on the server decides what it may do), the server pinned
 * by {@code tlsCertSha256} — both from {@code endpoints.json}, or from {@code --tcp} and
 * {@code --tls-server-sha256} for a service on another host.
 */
final class ServiceConnection {
  @Option(names = "--tls-cert", paramLabel = "PEM", scope = ScopeType.INHERIT,
      description = "Connect over TCP+TLS with this client certificate (PEM, leaf first) instead of the unix socket.")
  Path tlsCert;

  @Option(names = "--tls-key", paramLabel = "PEM", scope = ScopeType.INHERIT,
      description = "Private key (PEM, unencrypted PKCS#8 or EC/RSA) of --tls-cert.")
  Path tlsKey;

  @Option(names = "--tcp", paramLabel = "HOST:PORT", scope = ScopeType.INHERIT,
      description = "TCP address of the service (default: \"tcp\" of endpoints.json); needs --tls-server-sha256 without endpoints.json.")
  String tcp;

  @Option(names = "--tls-server-sha256", paramLabel = "HEX", scope = ScopeType.INHERIT,
      description = "SHA-256 of the server's certificate to pin (default: \"tlsCertSha256\" of endpoints.json).")
  String serverSha256;

  /** Connects as the options say; IOException with a usable message when they do not fit. */
  ServiceClient open(Path stateDir) throws IOException {
    if ((tlsCert == null) != (tlsKey == null)) {
      throw new IOException("--tls-cert and --tls-key go together");
    }
    if (tlsCert == null) {
      if (tcp != null || serverSha256 != null) {
        throw new IOException("--tcp and --tls-server-sha256 need a client certificate (--tls-cert, --tls-key); without one, use the unix socket");
      }
      return ServiceClient.connect(stateDir);
    }
    if (tcp == null && serverSha256 == null) {
      return ServiceClient.connectTcp(stateDir, tlsCert, tlsKey);
    }
    if (tcp == null || serverSha256 == null) {
      throw new IOException("--tcp and --tls-server-sha256 go together (or take both from endpoints.json by giving neither)");
    }
    return ServiceClient.connectTcp(tcp, serverSha256, tlsCert, tlsKey);
  }
}
