package io.guestmem.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.guestmem.rpc.auth.TestPki;
import io.guestmem.rpc.auth.TlsClientAuth;
import io.guestmem.rpc.auth.TlsOperator;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** serve's client-certificate settings, from flags and from the config file. */
class ServeClientAuthConfigTest {
  private static final String HEX = "0f".repeat(32);
  @TempDir Path dir;

  private ServeCommand parse(String json, String... args) throws Exception {
    ServeCommand serve = new ServeCommand();
    CommandLine cl = new CommandLine(serve);
    if (json == null) {
      cl.parseArgs(args);
      return serve;
    }
    Path cfg = dir.resolve("guestmem.json");
    Files.writeString(cfg, json);
    String[] all = new String[args.length + 2];
    all[0] = "--config";
    all[1] = cfg.toString();
    System.arraycopy(args, 0, all, 2, args.length);
    cl.parseArgs(all);
    serve.applyConfig();
    return serve;
  }

  private Path bundle() throws Exception {
    Path pem = dir.resolve("clients-ca.pem");
    TestPki.Issued ca = TestPki.rootCa("clients");
    ca.write(dir, "clients-ca");
    Files.move(dir.resolve("clients-ca.crt"), pem, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    return pem;
  }

  @Test
  void aCaBundleAloneMeansOptionalClientCertificatesAndNoOperators() throws Exception {
    Path ca = bundle();
    TlsClientAuth a = parse(null, "--tls-client-ca", ca.toString()).clientAuth();
    assertThat(a.mode()).isEqualTo(TlsClientAuth.Mode.OPTIONAL);
    assertThat(a.operators().mappings()).isEmpty();
    assertThat(parse(null).clientAuth().enabled()).isFalse();
  }

  @Test
  void operatorMappingsComeFromRepeatedFlagsOrAConfigArray() throws Exception {
    bundle();
    TlsClientAuth flags = parse(null, "--tls-client-ca", dir.resolve("clients-ca.pem").toString(), "--tls-client-auth", "require",
        "--tls-operator", "sha256=" + HEX + ",uid=1000,name=ops", "--tls-operator", "san=uri:spiffe://example.org/ops,allLeases").clientAuth();
    assertThat(flags.mode()).isEqualTo(TlsClientAuth.Mode.REQUIRE);
    assertThat(flags.operators().mappings()).extracting(TlsOperator::name).containsExactly("ops", "uri:spiffe://example.org/ops");

    ServeCommand fromFile = parse("{\"tlsClientCa\": \"clients-ca.pem\", \"tlsClientAuth\": \"optional\", \"tlsOperator\": ["
        + "{\"sha256\": \"" + HEX + "\", \"uid\": 1000, \"name\": \"ops\"},"
        + "\"san=dns:console.example.org,allLeases\"]}");
    TlsClientAuth file = fromFile.clientAuth();
    assertThat(file.operators().mappings()).containsExactly(
        new TlsOperator("ops", HEX, null, 1000, false), new TlsOperator(null, null, "dns:console.example.org", -1, true));
    // a relative path is relative to the config file
    assertThat(fromFile.tlsClientCa).isEqualTo(dir.resolve("clients-ca.pem"));
  }

  @Test
  void crlFilesComeFromRepeatedFlagsOrAConfigArray_andNeedAClientCa() throws Exception {
    Path ca = bundle();
    TestPki.Issued issuer = TestPki.rootCa("crl issuer");
    Files.writeString(dir.resolve("a.crl"), TestPki.crlPem(TestPki.crl(issuer)));
    Files.writeString(dir.resolve("b.crl"), TestPki.crlPem(TestPki.crl(issuer)));
    TlsClientAuth flags = parse(null, "--tls-client-ca", ca.toString(), "--tls-client-crl", dir.resolve("a.crl").toString(),
        "--tls-client-crl", dir.resolve("b.crl").toString()).clientAuth();
    assertThat(flags.verifier().crls().files()).containsExactly(dir.resolve("a.crl"), dir.resolve("b.crl"));
    TlsClientAuth file = parse("{\"tlsClientCa\": \"clients-ca.pem\", \"tlsClientCrl\": [\"a.crl\"]}").clientAuth();
    assertThat(file.verifier().crls().files()).containsExactly(dir.resolve("a.crl"));
    assertThatThrownBy(() -> parse(null, "--tls-client-crl", dir.resolve("a.crl").toString()).clientAuth()).hasMessageContaining("--tls-client-ca");
    assertThatThrownBy(() -> parse("{\"tlsClientCrl\": \"a.crl\"}")).hasMessageContaining("must be an array of file names");
    Files.writeString(dir.resolve("bad.crl"), "junk");
    assertThatThrownBy(() -> parse(null, "--tls-client-ca", ca.toString(), "--tls-client-crl", dir.resolve("bad.crl").toString()).clientAuth())
        .hasMessageContaining("bad.crl");
  }

  @Test
  void aReloadReadsTheConfigFileAgain_butKeepsWhatTheCommandLineGave() throws Exception {
    bundle();
    Path cfg = dir.resolve("guestmem.json");
    ServeCommand serve = parse("{\"tlsClientCa\": \"clients-ca.pem\", \"tlsOperator\": [\"sha256=" + HEX + ",uid=1000,name=a\"]}",
        "--tls-operator", "san=dns:cli.example.org,uid=7,name=cli");
    // the command line's mappings win over the file's (as at start)
    assertThat(serve.clientAuth().operators().mappings()).extracting(TlsOperator::name).containsExactly("cli");
    Files.writeString(cfg, "{\"tlsClientCa\": \"clients-ca.pem\", \"tlsClientAuth\": \"require\"}");
    TlsClientAuth reloaded = serve.reloadedClientAuth();
    assertThat(reloaded.mode()).isEqualTo(TlsClientAuth.Mode.REQUIRE);
    assertThat(reloaded.operators().mappings()).extracting(TlsOperator::name).containsExactly("cli");
    Files.writeString(cfg, "{\"tlsClientCa\": \"clients-ca.pem\", \"tlsClientAuth\": \"optional\", \"listen\": \"0.0.0.0:1\"}");
    assertThat(serve.reloadedClientAuth().mode()).isEqualTo(TlsClientAuth.Mode.OPTIONAL);
    Files.writeString(cfg, "{\"tlsClientCa\": \"clients-ca.pem\", \"colour\": \"blue\"}");
    assertThatThrownBy(serve::reloadedClientAuth).hasMessageContaining("unknown key \"colour\"");
  }

  @Test
  void inconsistentSettingsAreUsageErrors() throws Exception {
    assertThatThrownBy(() -> parse(null, "--tls-operator", "sha256=" + HEX + ",uid=1").clientAuth()).hasMessageContaining("--tls-client-ca");
    assertThatThrownBy(() -> parse(null, "--tls-client-auth", "require").clientAuth()).hasMessageContaining("needs --tls-client-ca");
    assertThatThrownBy(() -> parse(null, "--tls-client-auth", "maybe").clientAuth()).hasMessageContaining("none, optional or require");
    assertThatThrownBy(() -> parse(null, "--tls-client-ca", dir.resolve("absent.pem").toString()).clientAuth()).hasMessageContaining("absent.pem");
    assertThatThrownBy(() -> parse("{\"tlsOperator\": \"sha256=" + HEX + "\"}")).hasMessageContaining("must be an array");
    assertThatThrownBy(() -> parse("{\"tlsOperator\": [{\"sha256\": \"" + HEX + "\", \"role\": \"admin\"}]}"))
        .hasMessageContaining("\"tlsOperator\"[0]").hasMessageContaining("unknown key \"role\"");
    assertThatThrownBy(() -> parse("{\"tlsOperator\": [{\"sha256\": \"" + HEX + "\", \"uid\": \"1000\"}]}")).hasMessageContaining("uid must be a number");
    assertThatThrownBy(() -> parse("{\"tlsOperator\": [{\"sha256\": \"" + HEX + "\"}]}")).hasMessageContaining("grants nothing");
  }
}
