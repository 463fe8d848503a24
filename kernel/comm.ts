// Comms: long-lived channels between kernel objects and frontend widgets. Targets register here;
// a comm_open for an unknown target is answered with comm_close, as the protocol asks.
import { randomUUID } from "node:crypto";
import { type CellScope, currentScope } from "./scope.js";

export type CommData = Record<string, unknown>;

export class Comm {
  private messageHandlers: ((data: CommData, buffers: Buffer[]) => void)[] = [];
  private closeHandlers: ((data: CommData) => void)[] = [];
  closed = false;

  constructor(
    readonly id: string,
    readonly target: string,
    private readonly registry: CommRegistry,
  ) {}

  send(data: CommData = {}): void {
    if (this.closed) throw new Error(`comm ${this.id} (${this.target}) is closed`);
    this.registry.publish("comm_msg", { comm_id: this.id, data });
  }

  close(data: CommData = {}): void {
    if (this.closed) return;
    this.registry.publish("comm_close", { comm_id: this.id, data });
    this.registry.forget(this.id);
    this.closed = true;
  }

  onMessage(handler: (data: CommData, buffers: Buffer[]) => void): void {
    this.messageHandlers.push(handler);
  }

  onClose(handler: (data: CommData) => void): void {
    this.closeHandlers.push(handler);
  }

  /** @internal a comm_msg from the frontend */
  receive(data: CommData, buffers: Buffer[]): void {
    for (const h of this.messageHandlers) h(data, buffers);
  }

  /** @internal a comm_close from the frontend */
  receiveClose(data: CommData): void {
    this.closed = true;
    for (const h of this.closeHandlers) h(data);
  }
}

export type CommTarget = (comm: Comm, openData: CommData) => void;

export class CommRegistry {
  private readonly targets = new Map<string, CommTarget>();
  private readonly comms = new Map<string, Comm>();

  registerTarget(name: string, target: CommTarget): void {
    this.targets.set(name, target);
  }

  unregisterTarget(name: string): void {
    this.targets.delete(name);
  }

  /** Opens a comm from the kernel side. */
  open(target: string, data: CommData = {}): Comm {
    const comm = new Comm(randomUUID(), target, this);
    this.comms.set(comm.id, comm);
    this.publish("comm_open", { comm_id: comm.id, target_name: target, data });
    return comm;
  }

  info(targetName?: string): Record<string, { target_name: string }> {
    const out: Record<string, { target_name: string }> = {};
    for (const [id, comm] of this.comms) if (!targetName || comm.target === targetName) out[id] = { target_name: comm.target };
    return out;
  }

  /** comm_open from the frontend; false when the target is unknown (the caller closes it). */
  opened(id: string, targetName: string, data: CommData): boolean {
    const target = this.targets.get(targetName);
    if (!target) return false;
    const comm = new Comm(id, targetName, this);
    this.comms.set(id, comm);
    target(comm, data);
    return true;
  }

  message(id: string, data: CommData, buffers: Buffer[]): boolean {
    const comm = this.comms.get(id);
    comm?.receive(data, buffers);
    return Boolean(comm);
  }

  closedByFrontend(id: string, data: CommData): void {
    const comm = this.comms.get(id);
    this.comms.delete(id);
    comm?.receiveClose(data);
  }

  forget(id: string): void {
    this.comms.delete(id);
  }

  /** Comm traffic goes out on iopub with the current request as parent. */
  publish(msgType: string, content: Record<string, unknown>): void {
    const scope: CellScope | undefined = currentScope();
    if (!scope) throw new Error(`${msgType}: no request is active to send it under`);
    scope.publish(msgType, content);
  }
}
