// The connection file Jupyter writes before it starts a kernel (jupyter_client's kernels.rst).
import { readFileSync } from "node:fs";

export interface ConnectionInfo {
  transport: "tcp" | "ipc";
  ip: string;
  key: string;
  signature_scheme: string;
  shell_port: number;
  control_port: number;
  iopub_port: number;
  stdin_port: number;
  hb_port: number;
  kernel_name?: string;
}

export type Channel = "shell" | "control" | "iopub" | "stdin" | "hb";

export function readConnectionFile(path: string): ConnectionInfo {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new Error(`connection file ${path}: ${(e as Error).message}`);
  }
  return validateConnection(raw, path);
}

export function validateConnection(raw: unknown, source = "connection"): ConnectionInfo {
  if (raw === null || typeof raw !== "object") throw new Error(`${source}: expected a JSON object`);
  const info = raw as Record<string, unknown>;
  const transport = info.transport ?? "tcp";
  if (transport !== "tcp" && transport !== "ipc") throw new Error(`${source}: transport ${JSON.stringify(transport)} is not tcp or ipc`);
  if (typeof info.ip !== "string" || !info.ip) throw new Error(`${source}: ip must be a non-empty string`);
  for (const field of ["shell_port", "control_port", "iopub_port", "stdin_port", "hb_port"]) {
    const port = info[field];
    if (!Number.isInteger(port) || (port as number) < 0 || (port as number) > 65535) {
      throw new Error(`${source}: ${field} must be an integer port in 0..65535, got ${JSON.stringify(port)}`);
    }
  }
  return {
    transport,
    ip: info.ip,
    key: typeof info.key === "string" ? info.key : "",
    signature_scheme: typeof info.signature_scheme === "string" ? info.signature_scheme : "hmac-sha256",
    shell_port: info.shell_port as number,
    control_port: info.control_port as number,
    iopub_port: info.iopub_port as number,
    stdin_port: info.stdin_port as number,
    hb_port: info.hb_port as number,
    kernel_name: typeof info.kernel_name === "string" ? info.kernel_name : undefined,
  };
}

export function endpoint(info: ConnectionInfo, channel: Channel): string {
  const port = info[`${channel}_port` as const];
  return info.transport === "ipc" ? `ipc://${info.ip}-${port}` : `tcp://${info.ip}:${port}`;
}
