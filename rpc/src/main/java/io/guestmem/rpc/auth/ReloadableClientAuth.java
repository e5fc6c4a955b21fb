package io.guestmem.rpc.auth;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Locale;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The TCP listener's client-certificate settings, replaceable while it runs ({@code serve} reloads
 * them on SIGHUP): the client CA bundle with its CRLs, and the operator mappings. A handshake
 * uses the settings current when it starts; a connection keeps the operator mapping it was given
 * when it became ready. The mode may change between optional and require: new connections are
 * negotiated under the new one, established connections keep theirs. Switching client
 * certificates off ({@code none}) changes which services the listener serves, and needs a restart.
 */
public final class ReloadableClientAuth {
  private volatile TlsClientAuth current;

  public ReloadableClientAuth(TlsClientAuth initial) {
    if (!initial.enabled()) {
      throw new IllegalArgumentException("no client certificates to reload: --tls-client-auth none");
    }
    this.current = initial;
  }

  public TlsClientAuth current() {
    return current;
  }

  /**
   * Makes {@code next} current for new handshakes and connections (mode, CA bundle, CRLs, mappings).
   *
   * @throws IllegalArgumentException if it switches client certificates off; nothing changes then
   */
  public void replace(TlsClientAuth next) {
    if (!next.enabled()) {
      throw new IllegalArgumentException("--tls-client-auth " + current.mode().name().toLowerCase(Locale.ROOT)
          + " cannot become none without a restart (the TCP listener serves other services with client certificates)");
    }
    current = next;
  }

  /** A trust manager that asks the current verifier at every handshake. */
  public X509ExtendedTrustManager trustManager() {
    return new X509ExtendedTrustManager() {
      private X509ExtendedTrustManager now() {
        return current.verifier().trustManager();
      }

      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        now().checkClientTrusted(chain, authType, engine);
      }

      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        now().checkClientTrusted(chain, authType, socket);
      }

      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        now().checkClientTrusted(chain, authType);
      }

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        now().checkServerTrusted(chain, authType, engine);
      }

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        now().checkServerTrusted(chain, authType, socket);
      }

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        now().checkServerTrusted(chain, authType);
      }

      @Override
      public X509Certificate[] getAcceptedIssuers() {
        return now().getAcceptedIssuers();
      }
    };
  }
}
