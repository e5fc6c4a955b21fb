package io.guestmem.rpc.client;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * Presents the one client certificate it was given whenever the server asks for one and its key
 * type fits — also when the certificate's issuer is not among the server's acceptable issuers, so
 * a server that would refuse it says so (and logs why) instead of the client silently connecting
 * without a certificate.
 */
final class FixedClientKey extends X509ExtendedKeyManager {
  private static final String ALIAS = "client";
  private final PrivateKey key;
  private final X509Certificate[] chain;

  FixedClientKey(PrivateKey key, X509Certificate[] chain) {
    this.key = key;
    this.chain = chain.clone();
  }

  private String alias(String[] keyTypes) {
    if (keyTypes == null) {
      return null;
    }
    String alg = key.getAlgorithm();
    for (String t : keyTypes) {
      if (t.equalsIgnoreCase(alg) || ("EC".equals(alg) && t.equalsIgnoreCase("ECDSA"))) {
        return ALIAS;
      }
    }
    return null;
  }

  @Override
  public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
    return alias(keyType);
  }

  @Override
  public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
    return alias(keyType);
  }

  @Override
  public String[] getClientAliases(String keyType, Principal[] issuers) {
    return alias(new String[] {keyType}) != null ? new String[] {ALIAS} : null;
  }

  @Override
  public X509Certificate[] getCertificateChain(String alias) {
    return ALIAS.equals(alias) ? chain.clone() : null;
  }

  @Override
  public PrivateKey getPrivateKey(String alias) {
    return ALIAS.equals(alias) ? key : null;
  }

  @Override
  public String[] getServerAliases(String keyType, Principal[] issuers) {
    return null;
  }

  @Override
  public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
    return null;
  }

  @Override
  public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
    return null;
  }
}
