// The command line as a user meets it, through the real `stillroom` entry point: --help on stdout
// for every command, mistakes refused (exit 2, naming the flag) before anything is done, `run`
// never writing over its source unless told to, and --sys-prefix finding jupyter's own python.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const MAIN = fileURLToPath(new URL("../../kernel/main.js", import.meta.url));

function stillroom(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [MAIN, ...args], { encoding: "utf8", env: { ...process.env, ...env } });
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "stillroom-cli-"));
}

const NOTEBOOK = JSON.stringify({
  nbformat: 4,
  nbformat_minor: 5,
  metadata: {},
  cells: [{ cell_type: "code", id: "c0", metadata: {}, source: "6 * 7", outputs: [], execution_count: null }],
});

test("every command's --help (and -h) is on stdout with exit 0, listing each of its flags", () => {
  const flags: Record<string, string[]> = {
    kernel: ["--typecheck MODE"],
    install: ["--user", "--sys-prefix", "--prefix DIR", "--name NAME", "--display-name TEXT"],
    run: ["--out DIR", "--inplace", "--timeout SECONDS"],
  };
  for (const [command, names] of Object.entries(flags)) {
    for (const help of ["--help", "-h"]) {
      const r = stillroom([command, help]);
      assert.equal(r.status, 0, `${command} ${help}: ${r.stderr}`);
      assert.equal(r.stderr, "");
      assert.match(r.stdout, new RegExp(`^usage: stillroom ${command} `));
      for (const name of [...names, "-h, --help"])
        assert.ok(r.stdout.includes(`  ${name} `), `${command} --help lacks ${name}:\n${r.stdout}`);
    }
    assert.equal(stillroom(["help", command]).stdout, stillroom([command, "--help"]).stdout);
  }
  const top = stillroom(["--help"]);
  assert.equal(top.status, 0);
  for (const command of Object.keys(flags)) assert.match(top.stdout, new RegExp(`^  ${command} `, "m"));
  // No command at all is a mistake: the overview goes to stderr.
  const bare = stillroom([]);
  assert.equal(bare.status, 2);
  assert.match(bare.stderr, /^usage: stillroom <command>/);
});

test("install --help and a mistyped flag install nothing", () => {
  const data = tempDir();
  try {
    assert.equal(stillroom(["install", "--help"], { JUPYTER_DATA_DIR: data }).status, 0);
    const typo = stillroom(["install", "--usr"], { JUPYTER_DATA_DIR: data });
    assert.equal(typo.status, 2);
    assert.match(typo.stderr, /stillroom install: unknown flag --usr \(did you mean --user\?\)/);
    assert.deepEqual(readdirSync(data), []);
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
});

test("unknown flags and bad values are refused with exit 2, naming the flag and the value", () => {
  const cases: [string[], RegExp][] = [
    [["run", "nb.ipynb", "--outdir", "x"], /stillroom run: unknown flag --outdir \(did you mean --out\?\)/],
    [["run", "nb.ipynb", "-o", "x"], /stillroom run: unknown flag -o\b/],
    [["run", "nb.ipynb", "--timeout", "soon"], /--timeout "soon": expected a number of seconds > 0/],
    [["run", "nb.ipynb", "--timeout"], /--timeout needs a value \(SECONDS\)/],
    [["run", "nb.ipynb", "--out", "--inplace"], /--out needs a value \(DIR\)/],
    [["run", "nb.ipynb", "--inplace=yes"], /--inplace takes no value/],
    [["run", "nb.ipynb", "--out", "a", "--out", "b"], /--out is given twice/],
    [["run", "nb.ipynb", "--out", "a", "--inplace"], /--out and --inplace cannot be used together/],
    [["run"], /stillroom run: expected <notebook.ipynb \| folder>/],
    [["run", "a.ipynb", "b.ipynb"], /stillroom run: unexpected argument "b.ipynb"/],
    [["kernel", "c.json", "--typecheck", "loose"], /--typecheck "loose": expected one of off, warn, strict/],
    [["kernel", "c.json", "--type-check=off"], /unknown flag --type-check \(did you mean --typecheck\?\)/],
    [["install", "--name", "a b"], /--name "a b": use letters, digits/],
    [["install", "extra"], /stillroom install: unexpected argument "extra"/],
    [["launch"], /unknown command "launch"/],
  ];
  for (const [args, message] of cases) {
    const r = stillroom(args);
    assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, message, args.join(" "));
    assert.equal(r.stdout, "");
  }
  const env = stillroom(["kernel", "c.json"], { STILLROOM_TYPECHECK: "sometimes" });
  assert.equal(env.status, 2);
  assert.match(env.stderr, /STILLROOM_TYPECHECK="sometimes": expected one of off, warn, strict/);
});

test("run without --out writes <name>.run.ipynb beside the notebook and leaves the source as it was", () => {
  const dir = tempDir();
  try {
    const source = join(dir, "nb.ipynb");
    writeFileSync(source, NOTEBOOK);
    const r = stillroom(["run", source]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(readFileSync(source, "utf8"), NOTEBOOK);
    assert.match(r.stdout, /-> .*nb\.run\.ipynb/);
    const executed = JSON.parse(readFileSync(join(dir, "nb.run.ipynb"), "utf8"));
    assert.equal(executed.cells[0].outputs[0].data["text/plain"], "42");
    // Running the folder again runs nb.ipynb only, not the result beside it.
    const again = stillroom(["run", dir]);
    assert.equal(again.status, 0, again.stderr);
    assert.deepEqual(readdirSync(dir).sort(), ["nb.ipynb", "nb.run.ipynb"]);
    assert.equal(again.stdout.match(/^ran /gm)?.length, 1, again.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("run overwrites its source only with --inplace; --out naming the source's folder is refused", () => {
  const dir = tempDir();
  try {
    const source = join(dir, "nb.ipynb");
    writeFileSync(source, NOTEBOOK);
    const refused = stillroom(["run", source, "--out", dir]);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /nb\.ipynb: --out .* would overwrite the source notebook; pass --inplace/);
    assert.equal(readFileSync(source, "utf8"), NOTEBOOK);
    const inplace = stillroom(["run", source, "--inplace"]);
    assert.equal(inplace.status, 0, inplace.stderr);
    assert.deepEqual(readdirSync(dir), ["nb.ipynb"]);
    assert.equal(JSON.parse(readFileSync(source, "utf8")).cells[0].outputs[0].data["text/plain"], "42");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("install --sys-prefix uses the python behind `jupyter`, not the python3 first on PATH", () => {
  const dir = tempDir();
  try {
    // A virtual environment as python itself recognises one (pyvenv.cfg beside bin/), around
    // Debian's python, with a jupyter launcher naming the environment's python as pip writes it.
    const venv = join(dir, "env");
    mkdirSync(join(venv, "bin"), { recursive: true });
    symlinkSync("/usr/bin/python3", join(venv, "bin", "python"));
    writeFileSync(join(venv, "pyvenv.cfg"), "home = /usr/bin\ninclude-system-site-packages = false\n");
    writeFileSync(join(venv, "bin", "jupyter"), `#!${join(venv, "bin", "python")}\nimport sys\nsys.exit(0)\n`);
    chmodSync(join(venv, "bin", "jupyter"), 0o755);
    // A python3 first on PATH that belongs elsewhere and must not be asked.
    const decoy = join(dir, "decoy");
    mkdirSync(decoy);
    writeFileSync(join(decoy, "python3"), "#!/bin/sh\necho 'the decoy python3 was asked' >&2\nexit 1\n");
    chmodSync(join(decoy, "python3"), 0o755);
    const PATH = [decoy, join(venv, "bin"), process.env.PATH].join(delimiter);
    const r = stillroom(["install", "--sys-prefix", "--name", "sysprefix-test"], { PATH });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(existsSync(join(venv, "share", "jupyter", "kernels", "sysprefix-test", "kernel.json")), r.stdout);
    // `#!/usr/bin/env python3` means the python3 that env finds on PATH: here, the decoy.
    writeFileSync(join(venv, "bin", "jupyter"), "#!/usr/bin/env python3\n");
    const viaEnv = stillroom(["install", "--sys-prefix", "--name", "sysprefix-env"], { PATH });
    assert.equal(viaEnv.status, 1);
    assert.match(viaEnv.stderr, /--sys-prefix: .*\/decoy\/python3 \(the python behind jupyter\) did not say its sys\.prefix/);
    // No jupyter at all: said, with the way out.
    const none = stillroom(["install", "--sys-prefix"], { PATH: decoy });
    assert.equal(none.status, 1);
    assert.match(none.stderr, /--sys-prefix: no `jupyter` on PATH .* use --prefix DIR/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
