// Shell and stdin requests, without sockets: everything here is driven by messages in and an
// Outbox out, so unit tests can call it directly. Requests run one at a time in arrival order;
// stdin replies are handled at once (a cell may be waiting on one).
import { debug, log } from "./log.js";
import { CommRegistry } from "./comm.js";
import { type ErrorReport, Executor, InterruptError } from "./executor.js";
import { displayOutputs, mimeBundle, plainText } from "./format.js";
import { History } from "./history.js";
import {
  type CommOpen,
  type CompleteRequest,
  type ContentError,
  type ExecuteRequest,
  type InputRequest,
  type InspectRequest,
  type IopubContents,
  type IsCompleteReply,
  type ShellReplies,
  type UserExpressionResult,
  allowsStdin,
  readCommClose,
  readCommInfoRequest,
  readCommMsg,
  readCommOpen,
  readCompleteRequest,
  readExecuteRequest,
  readHistoryRequest,
  readInputReply,
  readInspectRequest,
  readIsCompleteRequest,
  toWire,
} from "./messages.js";
import { runtimeComplete, tokenAt } from "./runtime-complete.js";
import { CellSyntaxError, parseCell, stripTypes } from "./rewrite.js";
import { type BatchOutbox, CellScope, type OutChannel, type Outbox, runInScope } from "./scope.js";
import { TensorReclaimer } from "./tensors.js";
import { codePointToUtf16, utf16ToCodePoint } from "./unicode.js";
import type { Message } from "./wire.js";

/** What the TypeScript language service adds; optional, so the kernel starts without it. */
export interface LanguageTools {
  /** False while the service is still loading: its checks then wait for it. */
  readonly isReady?: boolean;
  /** Resolves once loaded; "strict" waits for it, since it must check every cell. */
  whenReady?(): Promise<unknown>;
  addCell(code: string): void;
  complete(code: string, cursor: number): Promise<{ matches: string[]; start: number; end: number }>;
  inspect(code: string, cursor: number, detailLevel: number): Promise<Record<string, string> | null>;
  /** Type errors of a cell as readable lines naming cell line numbers. */
  diagnostics(code: string): Promise<string[]>;
}

export type TypecheckMode = "off" | "warn" | "strict";

/** How long a strict-mode cell waits for the language service to load. */
const STRICT_WAIT_MS = 30_000;

export interface HandlerOptions {
  session: string;
  outbox: Outbox;
  /** Sends several messages in one go (the kernel: one hop to the IO thread); else one by one. */
  outboxBatch?: BatchOutbox;
  executor?: Executor;
  language?: LanguageTools;
  typecheck?: TypecheckMode;
  /** How long a request waits for the type warnings of earlier cells still being checked. */
  typecheckBudgetMs?: number;
  /** Runs before each cell (the kernel loads the lazy globals the cell names). */
  prepare?: (code: string) => Promise<void>;
  /** Free the tensors a request made and nothing reaches (default: unless STILLROOM_FREE_TENSORS=0). */
  freeTensors?: boolean;
}

export class Handler {
  readonly comms = new CommRegistry();
  readonly history = new History();
  readonly executor: Executor;
  readonly tensors: TensorReclaimer;
  language: LanguageTools | undefined;
  typecheck: TypecheckMode;
  private executionCount = 0;
  private queue: { msg: Message; busySent: boolean; inputSent: boolean }[] = [];
  private draining = false;
  private abortQueued = false;
  private pendingInput: ((value: string) => void) | null = null;
  private readonly session: string;
  private readonly outbox: Outbox;
  private readonly outboxBatch: BatchOutbox;
  /**
   * A request's last messages (its result, reply and idle, and what its last moments print) are
   * held here from the end of its code until its idle, and then go in one batch. A message on
   * stdin is never held: it lets what is held go first, then goes itself.
   */
  private held: { channel: OutChannel; msg: Message }[] | null = null;
  private readonly send: Outbox = (channel, msg) => {
    if (this.held && channel !== "stdin") {
      this.held.push({ channel, msg });
      return;
    }
    this.releaseHeld();
    this.outbox(channel, msg);
  };
  private readonly budgetMs: number;
  private readonly prepare: (code: string) => Promise<void>;
  /**
   * The language service's work, one step after another in cell order: a cell is checked against
   * the cells before it, then added. Until the service has loaded, the steps wait here (the first
   * cells are held, and checked when it is ready); a reply never waits for a check in "warn".
   */
  private languageSteps: Promise<unknown>;
  private attach!: (tools: LanguageTools) => void;
  /** Type warnings on their way to a cell that has replied, and whether they are being checked. */
  private readonly lateWarnings = new Set<{ done: Promise<void>; checking: boolean }>();

  constructor(options: HandlerOptions) {
    this.session = options.session;
    this.outbox = options.outbox;
    this.outboxBatch =
      options.outboxBatch ??
      ((messages) => {
        for (const { channel, msg } of messages) this.outbox(channel, msg);
      });
    this.executor = options.executor ?? new Executor();
    this.language = options.language;
    this.typecheck = options.typecheck ?? "warn";
    this.budgetMs = options.typecheckBudgetMs ?? 1500;
    this.prepare = options.prepare ?? (async () => {});
    this.tensors = new TensorReclaimer(options.freeTensors ?? process.env.STILLROOM_FREE_TENSORS !== "0");
    const attached = new Promise<LanguageTools>((resolve) => {
      this.attach = resolve;
    });
    this.languageSteps = options.language ? Promise.resolve() : attached.then((tools) => tools.whenReady?.());
  }

  /** Attaches the language service as soon as it is loading; cells that ran before are checked and added in order. */
  attachLanguage(tools: LanguageTools): void {
    this.language = tools;
    this.attach(tools);
  }

  /** A step of the language service's work, after every step before it. */
  private languageStep<T>(step: (tools: LanguageTools) => Promise<T> | T, fallback: T): Promise<T> {
    const next = this.languageSteps
      .then(() => (this.language ? step(this.language) : fallback))
      .catch((e) => {
        log(`language service: ${(e as Error).message}`);
        return fallback;
      });
    this.languageSteps = next;
    return next;
  }

  /** The service learns a cell that ran (its declarations are seen by later cells). */
  private learn(code: string): void {
    if (this.typecheck !== "off") void this.languageStep((tools) => tools.addCell(code), undefined);
  }

  /** Type errors of a cell against the cells before it, in turn with the service's other work. */
  private check(code: string): Promise<string[]> {
    return this.languageStep((tools) => tools.diagnostics(code), []);
  }

  /**
   * Entry point for every message the IO thread forwards. `busySent`: the IO thread has published
   * the request's busy status already (it does when nothing else is in hand); `inputSent`: and its
   * execute_input, with the count this handler gives it.
   */
  receive(channel: "shell" | "stdin", msg: Message, { busySent = false, inputSent = false } = {}): Promise<void> {
    if (channel === "stdin") {
      if (msg.header.msg_type === "input_reply" && this.pendingInput) this.pendingInput(loosely(readInputReply, msg.content).value);
      return Promise.resolve();
    }
    this.queue.push({ msg, busySent, inputSent });
    return this.drain();
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.queue.length) {
        const { msg, busySent, inputSent } = this.queue.shift()!;
        const scope = new CellScope(msg, this.send, this.session, allowsStdin(msg.content));
        if (!busySent) publish(scope, "status", { execution_state: "busy" });
        this.tensors.attach();
        const watched = this.tensors.watched;
        try {
          if (msg.header.msg_type !== "execute_request") await this.earlierWarnings();
          await runInScope(scope, () => this.dispatch(scope, msg, inputSent));
        } catch (e) {
          // A handler bug must never take the kernel down; say so in the kernel's log.
          log(`${msg.header.msg_type} failed: ${(e as Error).stack}`);
        }
        await scope.settle();
        publish(scope, "status", { execution_state: "idle" });
        this.releaseHeld();
        // stop_on_error aborts what was queued behind the error, not what comes after.
        if (!this.queue.length) this.abortQueued = false;
        this.tensors.attach();
        const freed = await this.tensors.collect(watched);
        if (freed) debug(`freed ${freed} tensors that ${msg.header.msg_type} left and nothing reaches`);
      }
      this.abortQueued = false;
    } finally {
      this.draining = false;
    }
  }

  private async dispatch(scope: CellScope, msg: Message, inputSent: boolean): Promise<void> {
    const content: unknown = msg.content;
    switch (msg.header.msg_type) {
      case "execute_request":
        return this.execute(scope, content, inputSent);
      case "complete_request":
        return this.complete(scope, loosely(readCompleteRequest, content));
      case "inspect_request":
        return this.inspect(scope, loosely(readInspectRequest, content));
      case "is_complete_request":
        return reply(scope, "is_complete_reply", isComplete(loosely(readIsCompleteRequest, content).code));
      case "history_request":
        return this.historyReply(scope, content);
      case "comm_info_request":
        return reply(scope, "comm_info_reply", { status: "ok", comms: this.comms.info(loosely(readCommInfoRequest, content).target_name) });
      case "comm_open":
        return this.commOpen(scope, loosely(readCommOpen, content));
      case "comm_msg": {
        const { comm_id, data } = loosely(readCommMsg, content);
        this.comms.message(comm_id, data, msg.buffers);
        return;
      }
      case "comm_close": {
        const { comm_id, data } = loosely(readCommClose, content);
        this.comms.closedByFrontend(comm_id, data);
        return;
      }
      default:
        log(`ignored unknown message type ${JSON.stringify(msg.header.msg_type)}`);
    }
  }

  /** input(prompt): asks the frontend over stdin; only when the request allowed it. */
  input(scope: CellScope, prompt = "", password = false): Promise<string> {
    if (!scope.allowStdin) return Promise.reject(new Error("input(): this frontend does not accept input (allow_stdin is false)"));
    if (this.pendingInput) return Promise.reject(new Error("input(): another input is already waiting"));
    return new Promise<string>((resolve) => {
      this.pendingInput = (value) => {
        this.pendingInput = null;
        resolve(value);
      };
      scope.reply("stdin", "input_request", toWire<InputRequest>({ prompt: String(prompt), password }));
    });
  }

  private async execute(scope: CellScope, content: unknown, inputSent: boolean): Promise<void> {
    const problems: ContentError[] = [];
    const request = readExecuteRequest(content, problems);
    const { code, silent, store_history: storeHistory } = request;
    if (this.abortQueued) {
      // never with inputSent: the IO thread sends it only while nothing else is in hand
      if (inputSent) log("an aborted request had its execute_input sent already");
      reply(scope, "execute_reply", { status: "aborted", execution_count: this.executionCount });
      return;
    }
    if (storeHistory) this.executionCount++;
    const count = this.executionCount;
    if (!silent && !inputSent) publish(scope, "execute_input", { code, execution_count: count });
    // The one field the kernel will not guess: a cell with no code to run is an error.
    const badCode = problems.find((p) => p.field === "code");
    for (const p of problems) if (p !== badCode) log(`coerced: ${p.message}`);
    if (badCode) return this.fail(scope, request, count, { ename: "TypeError", evalue: badCode.rule, traceback: [] });
    if (storeHistory) this.history.add(count, code);
    const help = HELP_FORMS.map((re) => re.exec(code)).find(Boolean);
    if (help) return this.page(scope, count, help[1]!);

    if (this.typecheck === "strict") await this.languageLoaded();
    const checking = this.language !== undefined && this.language.isReady !== false;
    const check = this.typecheck === "off" ? null : this.check(code);
    let checked: string[] | null = null;
    check?.then((warnings) => {
      checked = warnings;
    });
    if (this.typecheck === "strict") {
      const warnings = await Promise.race([check!, new Promise<string[]>((r) => setTimeout(() => r([]), STRICT_WAIT_MS).unref())]);
      if (warnings.length) return this.fail(scope, request, count, { ename: "TypeError", evalue: warnings[0]!, traceback: warnings });
    }
    try {
      await this.prepare(code);
      const result = await this.executor.run(code, storeHistory ? count : null);
      this.learn(code);
      scope.end("ok");
      await scope.settle();
      this.hold();
      if (this.typecheck === "warn" && check) {
        // Warnings that are ready go before the reply; the others follow it, to this cell.
        if (checked) this.warn(scope, checked);
        else this.warnLater(scope, check, checking);
      }
      const outputs = result.hasValue && result.value !== undefined && !silent ? await displayOutputs(result.value) : [];
      // A value shown in parts: all but the last as display data, the last as the cell's result.
      for (const [i, output] of outputs.entries()) {
        if (i < outputs.length - 1) publish(scope, "display_data", output);
        else publish(scope, "execute_result", { execution_count: count, ...output });
      }
      reply(scope, "execute_reply", {
        status: "ok",
        execution_count: count,
        user_expressions: await this.userExpressions(request.user_expressions),
        payload: [],
      });
    } catch (error) {
      if (!(error instanceof CellSyntaxError)) this.learn(code);
      // The SDK's loops stop with their own InterruptedError, naming the step.
      scope.end(error instanceof InterruptError || (error as Error)?.name === "InterruptedError" ? "interrupted" : "error");
      await scope.settle();
      this.hold();
      this.fail(scope, request, count, this.executor.report(error));
    }
  }

  /** From here until the request's idle, messages wait to go together (see `held`). */
  private hold(): void {
    this.held ??= [];
  }

  private releaseHeld(): void {
    const held = this.held;
    this.held = null;
    if (held?.length) this.outboxBatch(held);
  }

  /** `name?` or `?name` (IPython's forms): the documentation of name, as a pager payload. */
  private async page(scope: CellScope, count: number, name: string): Promise<void> {
    let data: Record<string, string> | null = null;
    try {
      data = (await this.language?.inspect(name, name.length, 1)) ?? null;
    } catch (e) {
      log(`inspection failed: ${(e as Error).message}`);
    }
    data ??= runtimeInspect(name, name.length);
    if (!data) scope.write("stderr", `no documentation found for ${name}\n`);
    const payload = data ? [{ source: "page" as const, data, start: 0 }] : [];
    reply(scope, "execute_reply", { status: "ok", execution_count: count, user_expressions: {}, payload });
  }

  private fail(scope: CellScope, request: ExecuteRequest, count: number, report: ErrorReport): void {
    if (!request.silent) publish(scope, "error", { ...report });
    reply(scope, "execute_reply", { status: "error", execution_count: count, ...report, user_expressions: {}, payload: [] });
    if (request.stop_on_error) this.abortQueued = true;
  }

  /** Strict mode checks every cell: before the service answers, cells wait for it (bounded). */
  private async languageLoaded(): Promise<void> {
    for (let waited = 0; !this.language && waited < STRICT_WAIT_MS; waited += 50) await new Promise((r) => setTimeout(r, 50));
    const ready = this.language?.whenReady?.();
    if (ready) await Promise.race([ready, new Promise((r) => setTimeout(r, STRICT_WAIT_MS).unref())]);
  }

  private warn(scope: CellScope, warnings: string[]): void {
    if (warnings.length) scope.write("stderr", warnings.map((w) => `warning: ${w}\n`).join(""));
  }

  /**
   * Sends a cell's warnings when its check ends, as a stream message whose parent is the cell's
   * request. JupyterLab keeps a cell's output handlers until the cell runs again, the classic
   * Notebook only those of the cell run last, so the warnings land in that cell (in the classic
   * Notebook, unless a later cell has started). `checking` is false for a cell held until the
   * service has loaded.
   */
  private warnLater(scope: CellScope, check: Promise<string[]>, checking: boolean): void {
    const entry = { done: Promise.resolve(), checking };
    entry.done = check
      .then((warnings) => {
        this.warn(scope, warnings);
        scope.flush();
      })
      .finally(() => this.lateWarnings.delete(entry));
    this.lateWarnings.add(entry);
  }

  /**
   * Warnings of cells being checked go out before the next request that is not an execute_request
   * is answered (bounded): a client that sees its idle has seen them (stillroom run asks
   * comm_info). Completion and inspection wait behind the same worker anyway; the next cell does
   * not wait for the last one's check. Cells held until the service has loaded hold nothing up.
   */
  private async earlierWarnings(): Promise<void> {
    const pending = [...this.lateWarnings].filter((w) => w.checking).map((w) => w.done);
    if (!pending.length) return;
    await Promise.race([Promise.all(pending), new Promise((r) => setTimeout(r, this.budgetMs).unref())]);
  }

  private async userExpressions(expressions: Record<string, string>): Promise<Record<string, UserExpressionResult>> {
    const out: Record<string, UserExpressionResult> = {};
    for (const [name, expr] of Object.entries(expressions)) {
      try {
        const value = await this.executor.evaluate(stripTypes(expr));
        out[name] = { status: "ok", data: (await mimeBundle(value)) ?? {}, metadata: {} };
      } catch (e) {
        out[name] = { status: "error", ...this.executor.report(e) };
      }
    }
    return out;
  }

  private async complete(scope: CellScope, { code, cursor_pos }: CompleteRequest): Promise<void> {
    const cursor = codePointToUtf16(code, cursor_pos);
    const runtime = runtimeComplete(code, cursor);
    let matches = runtime.matches;
    let start = runtime.start;
    let end = runtime.end;
    if (this.language) {
      try {
        const typed = await this.language.complete(code, cursor);
        if (typed.matches.length) {
          matches = [...new Set([...typed.matches, ...(typed.start === start ? runtime.matches : [])])];
          start = typed.start;
          end = typed.end;
        }
      } catch (e) {
        log(`completion failed: ${(e as Error).message}`);
      }
    }
    reply(scope, "complete_reply", {
      status: "ok",
      matches,
      cursor_start: utf16ToCodePoint(code, start),
      cursor_end: utf16ToCodePoint(code, end),
      metadata: {},
    });
  }

  private async inspect(scope: CellScope, { code, cursor_pos, detail_level }: InspectRequest): Promise<void> {
    const cursor = codePointToUtf16(code, cursor_pos);
    let data: Record<string, string> | null = null;
    try {
      data = (await this.language?.inspect(code, cursor, detail_level)) ?? null;
    } catch (e) {
      log(`inspection failed: ${(e as Error).message}`);
    }
    data ??= runtimeInspect(code, cursor);
    reply(scope, "inspect_reply", { status: "ok", found: data !== null, data: data ?? {}, metadata: {} });
  }

  private historyReply(scope: CellScope, content: unknown): void {
    try {
      reply(scope, "history_reply", { status: "ok", history: this.history.query({ ...loosely(readHistoryRequest, content) }) });
    } catch (e) {
      reply(scope, "history_reply", { status: "error", ename: "ValueError", evalue: (e as Error).message, traceback: [], history: [] });
    }
  }

  private commOpen(scope: CellScope, { comm_id, target_name, data }: CommOpen): void {
    if (!this.comms.opened(comm_id, target_name, data)) publish(scope, "comm_close", { comm_id, data: {} });
  }
}

/** Contents are read as the kernel always has: sloppy fields coerced, never refused, but logged
 *  so that a frontend's malformed message can be traced from the kernel's log. */
function loosely<T>(read: (content: unknown, problems: ContentError[]) => T, content: unknown): T {
  const problems: ContentError[] = [];
  const value = read(content, problems);
  for (const p of problems) log(`coerced: ${p.message}`);
  return value;
}

function reply<K extends keyof ShellReplies>(scope: CellScope, msgType: K, content: ShellReplies[K]): void {
  scope.reply("shell", msgType, toWire(content));
}

function publish<K extends keyof IopubContents>(scope: CellScope, msgType: K, content: IopubContents[K]): void {
  scope.publish(msgType, toWire(content));
}

/** The live value under the cursor, as text, when the language service knows nothing. */
function runtimeInspect(code: string, cursor: number): Record<string, string> | null {
  let end = cursor;
  while (end < code.length && /[\w$]/.test(code[end]!)) end++;
  const { path, prefix } = tokenAt(code, end);
  const name = [...path, prefix].filter(Boolean);
  if (!name.length) return null;
  const m = [name.join(".")];
  let value: unknown = globalThis;
  for (const part of name) {
    value = (value as Record<string, unknown> | undefined)?.[part];
    if (value === undefined) return null;
  }
  const text = typeof value === "function" ? `${m[0]}: ${String(value).split("\n")[0]}` : `${m[0]}: ${plainText(value)}`;
  return { "text/plain": text };
}

const NAME = "([\\p{ID_Start}$_][\\p{ID_Continue}$.]*)";
const HELP_FORMS = [new RegExp(`^\\s*${NAME}\\s*\\?\\s*$`, "u"), new RegExp(`^\\s*\\?\\s*${NAME}\\s*$`, "u")];

/** is_complete: incomplete when the parser runs out of input, invalid on any other error. */
export function isComplete(code: string): IsCompleteReply {
  if (!code.trim() || HELP_FORMS.some((re) => re.test(code))) return { status: "complete" };
  try {
    parseCell(code);
    return { status: "complete" };
  } catch (e) {
    const message = (e as Error).message;
    const err = e as CellSyntaxError;
    const lines = code.split("\n");
    const atEnd = err.line > lines.length || (err.line === lines.length && err.column >= lines[lines.length - 1]!.trimEnd().length);
    if (/Unterminated|Unexpected end of input|end of file/i.test(message) || atEnd) {
      const indent = /^\s*/.exec(lines[lines.length - 1]!)![0];
      return { status: "incomplete", indent: /[{[(]\s*$/.test(code) ? `${indent}  ` : indent };
    }
    return { status: "invalid" };
  }
}
