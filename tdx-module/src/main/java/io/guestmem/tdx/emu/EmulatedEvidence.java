package io.guestmem.tdx.emu;

import io.guestmem.tdx.abi.Bytes;
import io.guestmem.tdx.abi.Quote;
import io.guestmem.tdx.abi.TdReport;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * A quote and everything needed to verify it, in Intel's formats. {@link #write} lays it out as:
 *
 * <pre>
 * quote.bin                                 the quote (v4 or v5), raw bytes
 * collateral/tcbinfo.json                   PCS TCB Info response {"tcbInfo":{…},"signature":"…"}
 * collateral/tcbinfo.issuer-chain.pem       TCB signing cert ‖ root (PCS header TCB-Info-Issuer-Chain)
 * collateral/qeidentity.json                PCS QE Identity response {"enclaveIdentity":{…},"signature":"…"}
 * collateral/qeidentity.issuer-chain.pem    TCB signing cert ‖ root (SGX-Enclave-Identity-Issuer-Chain)
 * collateral/pckcrl.der                     PCK Platform CA CRL, DER
 * collateral/pckcrl.issuer-chain.pem        Platform CA ‖ root (SGX-PCK-CRL-Issuer-Chain)
 * collateral/rootcrl.der                    root CA CRL, DER
 * roots/emulated-sgx-root-ca.pem            the emulated root CA certificate (trust it explicitly)
 * roots/emulated-sgx-root-ca.der            the same, DER
 * </pre>
 */
public record EmulatedEvidence(
    Quote quote,
    TdReport tdReport,
    Bytes tcbInfoResponse,
    Bytes qeIdentityResponse,
    List<X509Certificate> tcbInfoIssuerChain,
    Bytes pckCrl,
    List<X509Certificate> pckCrlIssuerChain,
    Bytes rootCrl,
    X509Certificate root) {

  public static final String QUOTE = "quote.bin";
  public static final String TCB_INFO = "collateral/tcbinfo.json";
  public static final String TCB_INFO_CHAIN = "collateral/tcbinfo.issuer-chain.pem";
  public static final String QE_IDENTITY = "collateral/qeidentity.json";
  public static final String QE_IDENTITY_CHAIN = "collateral/qeidentity.issuer-chain.pem";
  public static final String PCK_CRL = "collateral/pckcrl.der";
  public static final String PCK_CRL_CHAIN = "collateral/pckcrl.issuer-chain.pem";
  public static final String ROOT_CRL = "collateral/rootcrl.der";
  public static final String ROOT_PEM = "roots/emulated-sgx-root-ca.pem";
  public static final String ROOT_DER = "roots/emulated-sgx-root-ca.der";

  public EmulatedEvidence {
    tcbInfoIssuerChain = List.copyOf(tcbInfoIssuerChain);
    pckCrlIssuerChain = List.copyOf(pckCrlIssuerChain);
  }

  /** Writes the files listed above under {@code dir} (created if needed) and returns their paths. */
  public List<Path> write(Path dir) throws IOException {
    List<Path> out = new ArrayList<>();
    out.add(put(dir, QUOTE, quote.toBytes()));
    out.add(put(dir, TCB_INFO, tcbInfoResponse.toByteArray()));
    out.add(put(dir, TCB_INFO_CHAIN, pem(tcbInfoIssuerChain)));
    out.add(put(dir, QE_IDENTITY, qeIdentityResponse.toByteArray()));
    out.add(put(dir, QE_IDENTITY_CHAIN, pem(tcbInfoIssuerChain)));
    out.add(put(dir, PCK_CRL, pckCrl.toByteArray()));
    out.add(put(dir, PCK_CRL_CHAIN, pem(pckCrlIssuerChain)));
    out.add(put(dir, ROOT_CRL, rootCrl.toByteArray()));
    out.add(put(dir, ROOT_PEM, pem(List.of(root))));
    out.add(put(dir, ROOT_DER, der(root)));
    return List.copyOf(out);
  }

  private static Path put(Path dir, String name, byte[] data) throws IOException {
    Path p = dir.resolve(name);
    Files.createDirectories(p.getParent());
    Files.write(p, data);
    return p;
  }

  static byte[] pem(List<X509Certificate> certs) {
    StringBuilder sb = new StringBuilder();
    Base64.Encoder enc = Base64.getMimeEncoder(64, new byte[] {'\n'});
    for (X509Certificate c : certs) {
      sb.append("-----BEGIN CERTIFICATE-----\n").append(enc.encodeToString(der(c))).append("\n-----END CERTIFICATE-----\n");
    }
    return sb.toString().getBytes(StandardCharsets.US_ASCII);
  }

  private static byte[] der(X509Certificate c) {
    try {
      return c.getEncoded();
    } catch (CertificateEncodingException e) {
      throw new IllegalStateException("an emulated certificate cannot be encoded", e);
    }
  }
}
