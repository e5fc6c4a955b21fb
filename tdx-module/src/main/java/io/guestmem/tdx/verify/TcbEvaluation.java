package io.guestmem.tdx.verify;

import io.guestmem.tdx.abi.TcbInfo;
import io.guestmem.tdx.abi.TcbStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Intel TCB evaluation for TDX (Intel PCS API v4 TCB Info v3; the algorithm of Intel QVL's
 * {@code TcbLevelCheck} / {@code TdxVerifier}), as pure functions of parsed values:
 *
 * <ol>
 *   <li>Platform level: the first level, in served (descending) order, for which all 16 PCK SGX
 *       TCB components, the PCK PCESVN and TEE_TCB_SVN[i] are ≥ the level's values; the TDX
 *       components are compared from i = 2 when TEE_TCB_SVN[1] (the module major version) is
 *       non-zero, because the module's own SVN is then graded by its identity.
 *   <li>Module: when TEE_TCB_SVN[1] &gt; 0, the identity {@code TDX_%02X} of that major version and
 *       its first level with isvsvn ≤ TEE_TCB_SVN[0].
 *   <li>Convergence: platform ⊕ module, then ⊕ QE (an OutOfDate module or QE makes an UpToDate or
 *       SWHardeningNeeded platform OutOfDate, and a ConfigurationNeeded one
 *       OutOfDateConfigurationNeeded; a Revoked one makes it Revoked).
 *   <li>Relaunch (TD 1.5): when the converged status is OutOfDate(ConfigurationNeeded) only because
 *       of the TDX module, and TEE_TCB_SVN2 (the newest module loaded since boot) grades as current,
 *       the status becomes TDRelaunchAdvised(ConfigurationNeeded). This is applied after QE
 *       convergence and only when the QE is not itself out of date, so QE convergence can never
 *       overwrite it (automata#130).
 * </ol>
 */
final class TcbEvaluation {
  static final String RELAUNCH = "TDRelaunchAdvised";
  static final String RELAUNCH_CONFIG = "TDRelaunchAdvisedConfigurationNeeded";

  private TcbEvaluation() {}

  /** The matched platform level and its index in the served order. */
  record PlatformMatch(TcbInfo.TcbLevel level, int index) {}

  static Optional<PlatformMatch> platformLevel(TcbInfo info, List<Integer> sgx, int pceSvn, byte[] teeTcbSvn) {
    int from = (teeTcbSvn[1] & 0xFF) > 0 ? 2 : 0;
    List<TcbInfo.TcbLevel> levels = info.tcbLevels();
    for (int i = 0; i < levels.size(); i++) {
      TcbInfo.TcbLevel l = levels.get(i);
      if (matches(l, sgx, pceSvn, teeTcbSvn, from)) {
        return Optional.of(new PlatformMatch(l, i));
      }
    }
    return Optional.empty();
  }

  private static boolean matches(TcbInfo.TcbLevel l, List<Integer> sgx, int pceSvn, byte[] tee, int from) {
    for (int i = 0; i < 16; i++) {
      if (sgx.get(i) < l.sgxTcbComponents().get(i).svn()) {
        return false;
      }
    }
    if (pceSvn < l.pceSvn()) {
      return false;
    }
    if (!l.tdxTcbComponents().isEmpty()) {
      for (int i = from; i < 16; i++) {
        if ((tee[i] & 0xFF) < l.tdxTcbComponents().get(i).svn()) {
          return false;
        }
      }
    }
    return true;
  }

  /** The module identity for TEE_TCB_SVN[1], if the quote names a module version. */
  static Optional<TcbInfo.TdxModuleIdentity> moduleIdentity(TcbInfo info, byte[] teeTcbSvn) {
    String id = String.format("TDX_%02X", teeTcbSvn[1] & 0xFF);
    return info.tdxModuleIdentities().stream().filter(m -> m.id().equalsIgnoreCase(id)).findFirst();
  }

  static Optional<TcbInfo.ModuleTcbLevel> moduleLevel(TcbInfo.TdxModuleIdentity identity, int isvSvn) {
    return identity.tcbLevels().stream().filter(l -> l.isvSvn() <= isvSvn).findFirst();
  }

  /** Platform status converged with an out-of-date or revoked component (module or QE). */
  static String converge(String status, TcbStatus component) {
    if (component == TcbStatus.REVOKED) {
      return TcbStatus.REVOKED.pcsName();
    }
    if (component == TcbStatus.OUT_OF_DATE) {
      if (status.equals(TcbStatus.UP_TO_DATE.pcsName()) || status.equals(TcbStatus.SW_HARDENING_NEEDED.pcsName())) {
        return TcbStatus.OUT_OF_DATE.pcsName();
      }
      if (status.equals(TcbStatus.CONFIGURATION_NEEDED.pcsName())
          || status.equals(TcbStatus.CONFIGURATION_AND_SW_HARDENING_NEEDED.pcsName())) {
        return TcbStatus.OUT_OF_DATE_CONFIGURATION_NEEDED.pcsName();
      }
    }
    return status;
  }

  /**
   * Whether relaunching the TD would bring it to a current TCB: TEE_TCB_SVN2 names a module (and
   * TDX components) that grade UpToDate / ConfigurationNeeded where TEE_TCB_SVN did not.
   */
  static Optional<String> relaunch(TcbInfo info, List<Integer> sgx, int pceSvn, byte[] teeTcbSvn2, String platformStatus) {
    Optional<PlatformMatch> p = platformLevel(info, sgx, pceSvn, teeTcbSvn2);
    if (p.isEmpty()) {
      return Optional.empty();
    }
    String s = p.get().level().tcbStatus().pcsName();
    if ((teeTcbSvn2[1] & 0xFF) > 0) {
      Optional<TcbInfo.TdxModuleIdentity> id = moduleIdentity(info, teeTcbSvn2);
      if (id.isEmpty()) {
        return Optional.empty();
      }
      Optional<TcbInfo.ModuleTcbLevel> m = moduleLevel(id.get(), teeTcbSvn2[0] & 0xFF);
      if (m.isEmpty()) {
        return Optional.empty();
      }
      s = converge(s, m.get().tcbStatus());
    }
    if (s.equals(TcbStatus.UP_TO_DATE.pcsName()) || s.equals(TcbStatus.SW_HARDENING_NEEDED.pcsName())) {
      return Optional.of(platformStatus.equals(TcbStatus.OUT_OF_DATE_CONFIGURATION_NEEDED.pcsName()) ? RELAUNCH_CONFIG : RELAUNCH);
    }
    if (s.equals(TcbStatus.CONFIGURATION_NEEDED.pcsName()) || s.equals(TcbStatus.CONFIGURATION_AND_SW_HARDENING_NEEDED.pcsName())) {
      return Optional.of(RELAUNCH_CONFIG);
    }
    return Optional.empty();
  }

  /**
   * Components below the newest UpToDate level, named by their category/type where the TCB Info
   * gives them (what Intel QVS reports as {@code tcbComponentsOutOfDate}).
   */
  static List<String> outOfDateComponents(TcbInfo info, List<Integer> sgx, int pceSvn, byte[] tee) {
    Optional<TcbInfo.TcbLevel> best = info.tcbLevels().stream()
        .filter(l -> l.tcbStatus() == TcbStatus.UP_TO_DATE).findFirst();
    List<String> out = new ArrayList<>();
    if (best.isEmpty()) {
      return out;
    }
    TcbInfo.TcbLevel b = best.get();
    for (int i = 0; i < 16; i++) {
      if (sgx.get(i) < b.sgxTcbComponents().get(i).svn()) {
        out.add(name("sgxtcbcomponents", i, b.sgxTcbComponents().get(i)));
      }
    }
    if (pceSvn < b.pceSvn()) {
      out.add("pcesvn");
    }
    int from = (tee[1] & 0xFF) > 0 ? 2 : 0;
    for (int i = from; i < b.tdxTcbComponents().size(); i++) {
      if ((tee[i] & 0xFF) < b.tdxTcbComponents().get(i).svn()) {
        out.add(name("tdxtcbcomponents", i, b.tdxTcbComponents().get(i)));
      }
    }
    return out;
  }

  private static String name(String kind, int i, TcbInfo.TcbComponent c) {
    String label = c.category().map(x -> x + c.type().map(t -> "/" + t).orElse("")).orElse(c.type().orElse(""));
    return kind + "[" + i + "]" + (label.isEmpty() ? "" : " (" + label + ")");
  }
}
