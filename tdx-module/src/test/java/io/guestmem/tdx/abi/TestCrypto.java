package io.guestmem.tdx.abi;

import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.security.AlgorithmParameters;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.DERSequence;

/** Plain JCA helpers for tests: raw r‖s and x‖y as Intel encodes them. */
public final class TestCrypto {
  private TestCrypto() {}

  public static PublicKey p256(byte[] xy) throws Exception {
    AlgorithmParameters params = AlgorithmParameters.getInstance("EC");
    params.init(new ECGenParameterSpec("secp256r1"));
    ECParameterSpec spec = params.getParameterSpec(ECParameterSpec.class);
    ECPoint w = new ECPoint(new BigInteger(1, java.util.Arrays.copyOfRange(xy, 0, 32)), new BigInteger(1, java.util.Arrays.copyOfRange(xy, 32, 64)));
    return KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(w, spec));
  }

  public static byte[] derSignature(byte[] rs) throws Exception {
    ASN1EncodableVector v = new ASN1EncodableVector();
    v.add(new ASN1Integer(new BigInteger(1, java.util.Arrays.copyOfRange(rs, 0, 32))));
    v.add(new ASN1Integer(new BigInteger(1, java.util.Arrays.copyOfRange(rs, 32, 64))));
    return new DERSequence(v).getEncoded();
  }

  public static boolean verifyRaw(PublicKey key, byte[] rawRs, byte[] message) throws Exception {
    Signature s = Signature.getInstance("SHA256withECDSA");
    s.initVerify(key);
    s.update(message);
    return s.verify(derSignature(rawRs));
  }

  public static List<X509Certificate> pemChain(byte[] pem) throws Exception {
    List<X509Certificate> out = new ArrayList<>();
    for (var c : CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(pem))) {
      out.add((X509Certificate) c);
    }
    return out;
  }
}
