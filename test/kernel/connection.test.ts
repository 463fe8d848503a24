import assert from "node:assert/strict";
import { test } from "node:test";
import { endpoint, validateConnection } from "../../kernel/connection.js";

const good = {
  transport: "tcp",
  ip: "127.0.0.1",
  key: "k",
  signature_scheme: "hmac-sha256",
  shell_port: 1,
  control_port: 2,
  iopub_port: 3,
  stdin_port: 4,
  hb_port: 5,
};

test("a valid connection gives tcp and ipc endpoints on its own ip", () => {
  const info = validateConnection(good);
  assert.equal(endpoint(info, "shell"), "tcp://127.0.0.1:1");
  assert.equal(endpoint(validateConnection({ ...good, transport: "ipc", ip: "/tmp/k" }), "hb"), "ipc:///tmp/k-5");
});

test("bad fields are named in the error", () => {
  assert.throws(() => validateConnection({ ...good, shell_port: "80" }), /shell_port must be an integer port/);
  assert.throws(() => validateConnection({ ...good, hb_port: 70000 }), /hb_port/);
  assert.throws(() => validateConnection({ ...good, transport: "udp" }), /transport "udp"/);
  assert.throws(() => validateConnection({ ...good, ip: "" }), /ip must be a non-empty string/);
  assert.throws(() => validateConnection(null), /expected a JSON object/);
});
