package io.guestmem.rpc.auth;

import java.net.SocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The authorisation audit log: the SLF4J logger {@value #LOGGER}, one line per decision about a
 * TCP caller (handshake refused, with the certificate's reason, certificate mapped or not on connect, lease or
 * emulator RPC allowed or denied). Lease operations themselves are also journal records in the
 * database, as for unix-socket callers.
 */
public final class AuthorizationLog {
  /** Logger name; route it to its own file or sink in the logging configuration. */
  public static final String LOGGER = "guestmem.audit";
  private static final Logger log = LoggerFactory.getLogger(LOGGER);

  private AuthorizationLog() {}

  static void connected(SocketAddress remote, TlsPeer peer) {
    log.info("tls client {} connected with {}", remote, peer);
  }

  static void handshakeFailed(SocketAddress remote, String reason, Throwable cause) {
    String detail = cause == null ? "" : cause.getMessage();
    for (Throwable t = cause; t != null; t = t.getCause()) {
      if (t instanceof ClientCertificateException c) {
        detail = c.getMessage();
      }
    }
    if (reason.equals(HandshakeAuditingNegotiator.TLS_HANDSHAKE_FAILED)) {
      log.info("tls handshake from {} failed: {}: {}", remote, reason, detail);
    } else {
      log.warn("tls handshake from {} refused: {}{}", remote, reason, detail.startsWith(reason) ? detail.substring(reason.length()) : ": " + detail);
    }
  }

  static void anonymous(SocketAddress remote) {
    log.debug("tls client {} connected without a client certificate (anonymous relying party)", remote);
  }

  static void allowed(String method, SocketAddress remote, Caller caller) {
    log.info("allow {} for tcp {} {}", method, remote, caller.tls().map(TlsPeer::toString).orElse("anonymous"));
  }

  static void denied(String method, SocketAddress remote, Caller caller, String reason) {
    log.warn("deny {} for tcp {} {}: {}", method, remote, caller.tls().map(TlsPeer::toString).orElse("without a client certificate"), reason);
  }
}
