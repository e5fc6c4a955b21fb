package io.guestmem.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ServeConfigTest {
  @TempDir Path dir;

  private ServeCommand parse(String json, String... args) throws Exception {
    Path cfg = dir.resolve("guestmem.json");
    Files.writeString(cfg, json);
    ServeCommand serve = new ServeCommand();
    CommandLine cl = new CommandLine(serve);
    String[] all = new String[args.length + 2];
    all[0] = "--config";
    all[1] = cfg.toString();
    System.arraycopy(args, 0, all, 2, args.length);
    cl.parseArgs(all);
    serve.applyConfig();
    return serve;
  }

  @Test
  void configValuesApplyAndCommandLineOptionsWin() throws Exception {
    ServeCommand s = parse("{\"stateDir\": \"st\", \"listen\": \"127.0.0.1:9000\", \"noTcp\": true, \"backend\": \"emulated\", "
        + "\"drainSeconds\": 3, \"metrics\": \"off\"}", "--listen", "127.0.0.1:9100");
    assertThat(s.stateDir).isEqualTo(dir.resolve("st"));
    assertThat(s.listen).isEqualTo("127.0.0.1:9100");
    assertThat(s.noTcp).isTrue();
    assertThat(s.backend).isEqualTo("emulated");
    assertThat(s.drainSeconds).isEqualTo(3);
    assertThat(s.metrics).isEqualTo("off");
  }

  @Test
  void durabilityComesFromTheCommandLineOrTheConfigFile() throws Exception {
    assertThat(parse("{}").durability()).isEqualTo(io.guestmem.memory.Durability.PROCESS_CRASH);
    assertThat(parse("{\"durability\": \"power-loss\"}").durability()).isEqualTo(io.guestmem.memory.Durability.POWER_LOSS);
    assertThat(parse("{\"durability\": \"power-loss\"}", "--durability", "process-crash").durability())
        .isEqualTo(io.guestmem.memory.Durability.PROCESS_CRASH);
    assertThat(parse("{\"durability\": \"fsync\"}").durability()).isNull();
  }

  @Test
  void anUnknownDurabilityIsAUsageErrorBeforeAnythingStarts() {
    java.io.StringWriter err = new java.io.StringWriter();
    CommandLine cl = new CommandLine(new ServeCommand());
    cl.setErr(new java.io.PrintWriter(err));
    int code = cl.execute("--state-dir", dir.resolve("st").toString(), "--no-tcp", "--backend", "emulated", "--durability", "sometimes");
    assertThat(code).isEqualTo(Main.EXIT_USAGE);
    assertThat(err.toString()).contains("--durability must be process-crash or power-loss");
    assertThat(Files.exists(dir.resolve("st").resolve("guestmem.db"))).isFalse();
  }

  @Test
  void unknownKeysAndWrongTypesAreErrors() {
    assertThatThrownBy(() -> parse("{\"bogus\": 1}")).hasMessageContaining("unknown key \"bogus\"");
    assertThatThrownBy(() -> parse("{\"config\": \"x\"}")).hasMessageContaining("unknown key");
    assertThatThrownBy(() -> parse("{\"noTcp\": \"yes\"}")).hasMessageContaining("true or false");
    assertThatThrownBy(() -> parse("{\"drainSeconds\": \"ten\"}")).hasMessageContaining("whole number");
    assertThatThrownBy(() -> parse("{\"listen\": [1]}")).hasMessageContaining("string, number or boolean");
    assertThatThrownBy(() -> parse("[1, 2]")).hasMessageContaining("one JSON object");
  }
}
