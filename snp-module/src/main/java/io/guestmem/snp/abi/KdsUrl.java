package io.guestmem.snp.abi;

import java.util.Locale;

/**
 * URL paths of the AMD Key Distribution Service (AMD spec 57230, "KDS Interface";
 * evidence-formats.md §1.5), and the file layout that mirrors them on disk.
 *
 * <pre>
 * /vcek/v1/{product}/cert_chain                PEM: ASK, then ARK
 * /vcek/v1/{product}/crl                       DER CRL signed by the ARK
 * /vcek/v1/{product}/{hwid}?blSPL=B&amp;teeSPL=T&amp;snpSPL=S&amp;ucodeSPL=U            (Milan, Genoa; hwid = 64 bytes hex)
 * /vcek/v1/{product}/{hwid}?fmcSPL=F&amp;blSPL=B&amp;teeSPL=T&amp;snpSPL=S&amp;ucodeSPL=U (Turin; hwid = 8 bytes hex)
 * /vlek/v1/{product}/cert_chain                PEM: ASVK, then ARK
 * /vlek/v1/{product}/crl
 * </pre>
 *
 * hwID is lower-case hex, SPLs are decimal. <b>On disk</b> ({@link #toRelativeFile(String)}) the
 * leading '/' is dropped and, in the last path segment, '%', '?', '=' and '&amp;' are written as
 * {@code %25}, {@code %3F}, {@code %3D} and {@code %26} (percent-encoding, so the mapping is
 * reversible and every name is valid on Linux, macOS and Windows). Example:
 * {@code vcek/v1/Milan/3ac3...6b5d%3FblSPL%3D2%26teeSPL%3D0%26snpSPL%3D5%26ucodeSPL%3D68}.
 */
public final class KdsUrl {
  /** The production KDS. */
  public static final String BASE = "https://kdsintf.amd.com";

  /** Which certificate family a path belongs to. */
  public enum Family {
    VCEK("vcek"),
    VLEK("vlek");

    private final String segment;

    Family(String segment) {
      this.segment = segment;
    }

    public String segment() {
      return segment;
    }
  }

  private KdsUrl() {}

  public static String certChainPath(Family family, SnpProduct product) {
    return "/" + family.segment() + "/v1/" + product.kdsName() + "/cert_chain";
  }

  public static String crlPath(Family family, SnpProduct product) {
    return "/" + family.segment() + "/v1/" + product.kdsName() + "/crl";
  }

  /**
   * The VCEK path for {@code hwId} (the product's hwID length: 64 bytes, Turin 8) at {@code tcb}
   * (read with the product's layout).
   */
  public static String vcekPath(SnpProduct product, Bytes hwId, TcbVersion tcb) {
    if (hwId.length() != product.hwIdLength()) {
      throw new IllegalArgumentException(product.kdsName() + " hwID in KDS URLs is " + product.hwIdLength()
          + " bytes, got " + hwId.length());
    }
    TcbVersion t = tcb.withLayout(product.tcbLayout());
    StringBuilder sb = new StringBuilder("/vcek/v1/").append(product.kdsName()).append('/')
        .append(hwId.hex().toLowerCase(Locale.ROOT)).append('?');
    if (product.tcbLayout() == TcbVersion.Layout.TURIN) {
      sb.append("fmcSPL=").append(t.fmc()).append('&');
    }
    sb.append("blSPL=").append(t.bootLoader()).append("&teeSPL=").append(t.tee())
        .append("&snpSPL=").append(t.snp()).append("&ucodeSPL=").append(t.microcode());
    return sb.toString();
  }

  /** The KDS URL path a relative file path mirrors: the inverse of {@link #toRelativeFile(String)}. */
  public static String fromRelativeFile(String relativeFile) {
    int slash = relativeFile.lastIndexOf('/');
    String dir = relativeFile.substring(0, slash + 1);
    String last = relativeFile.substring(slash + 1);
    StringBuilder sb = new StringBuilder("/").append(dir);
    for (int i = 0; i < last.length(); i++) {
      String esc = last.startsWith("%", i) && i + 3 <= last.length() ? last.substring(i, i + 3) : "";
      switch (esc) {
        case "%3F" -> sb.append('?');
        case "%3D" -> sb.append('=');
        case "%26" -> sb.append('&');
        case "%25" -> sb.append('%');
        default -> {
          sb.append(last.charAt(i));
          continue;
        }
      }
      i += 2;
    }
    return sb.toString();
  }

  /** The relative file path that mirrors a KDS URL path (see the class comment). */
  public static String toRelativeFile(String urlPath) {
    String p = urlPath.startsWith("/") ? urlPath.substring(1) : urlPath;
    int slash = p.lastIndexOf('/');
    String dir = p.substring(0, slash + 1);
    String last = p.substring(slash + 1);
    StringBuilder sb = new StringBuilder(dir);
    for (char c : last.toCharArray()) {
      switch (c) {
        case '%' -> sb.append("%25");
        case '?' -> sb.append("%3F");
        case '=' -> sb.append("%3D");
        case '&' -> sb.append("%26");
        default -> sb.append(c);
      }
    }
    return sb.toString();
  }
}
