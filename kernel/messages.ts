// Typed contents of the messages the kernel reads and writes. The types come from
// @jupyterlab/services (type-only: nothing of it loads at run time); where what the kernel must
// accept or sends differs from them, the kernel's own type says how and why.
//
// Each reader turns a wire content (any JSON) into a typed content, with the kernel's defaults
// applied here and nowhere else. Without a `problems` list a reader throws a ContentError at the
// first malformed field; with one, it records each problem there and coerces the field as the
// kernel always has, since frontends in the wild send sloppy contents and the kernel has never
// refused them (the handler reads that way).
import type { KernelMessage } from "@jupyterlab/services";
import type { CommData } from "./comm.js";
import type { ErrorReport } from "./executor.js";
import type { MimeBundle } from "./format.js";
import type { HistoryEntry } from "./history.js";

/** A field of a request content that is missing or of the wrong type. */
export class ContentError extends Error {
  /** The rule the field broke, without the value that broke it. */
  readonly rule: string;

  constructor(
    readonly msgType: string,
    readonly field: string,
    readonly expected: string,
    readonly got: unknown,
    message?: string,
  ) {
    const rule = `${msgType}: ${field ? `content.${field}` : "content"} must be ${expected}`;
    super(message ?? `${rule} (got ${kindOf(got)})`);
    this.name = "ContentError";
    this.rule = rule;
  }
}

function kindOf(value: unknown): string {
  if (value === null) return "null";
  return Array.isArray(value) ? "array" : typeof value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Reads the fields of one content; null counts as missing, as Python's None does. */
class Fields {
  private readonly raw: Record<string, unknown>;

  constructor(
    private readonly msgType: string,
    raw: unknown,
    private readonly problems?: ContentError[],
  ) {
    this.raw = isRecord(raw) ? raw : {};
    if (!isRecord(raw)) this.report("", "an object", raw);
  }

  report(field: string, expected: string, got: unknown): void {
    const error = new ContentError(this.msgType, field, expected, got);
    if (!this.problems) throw error;
    this.problems.push(error);
  }

  value(name: string): unknown {
    return this.raw[name];
  }

  /** The field when it is a string; a present non-string is reported. */
  string(name: string): string | undefined {
    const value = this.raw[name];
    if (typeof value === "string") return value;
    if (value != null) this.report(name, "a string", value);
    return undefined;
  }

  /** A string the request means nothing without: a missing one is reported too. */
  required(name: string): string | undefined {
    if (this.raw[name] == null) this.report(name, "a string", this.raw[name]);
    return this.string(name);
  }

  /** Text the kernel has always read with String(): missing gives `fallback`. */
  text(name: string, fallback: string): string {
    const value = this.raw[name];
    return this.string(name) ?? (value == null ? fallback : String(value));
  }

  /**
   * A field that defaults to true is turned off only by false itself; one that defaults to
   * false is turned on by any truthy value. That is how the kernel has always read each kind.
   */
  flag(name: string, fallback: boolean): boolean {
    const value = this.raw[name];
    if (typeof value === "boolean") return value;
    if (value == null) return fallback;
    this.report(name, "a boolean", value);
    return fallback || Boolean(value);
  }

  number(name: string, fallback: number): number {
    const value = this.raw[name];
    if (typeof value === "number") return value;
    if (value != null) this.report(name, "a number", value);
    return fallback;
  }

  integer(name: string, fallback: number): number {
    const value = this.raw[name];
    if (Number.isInteger(value)) return value as number;
    if (value != null) this.report(name, "an integer", value);
    return fallback;
  }

  /**
   * An object; missing gives {}. Anything else is reported and handed on as sent: comm targets
   * have always been given a frontend's data untouched, so the type here is a promise the wire
   * does not keep.
   */
  record(name: string): Record<string, unknown> {
    const value = this.raw[name];
    if (isRecord(value)) return value;
    if (value == null) return {};
    this.report(name, "an object", value);
    return value as Record<string, unknown>;
  }
}

// Requests (shell and stdin) -------------------------------------------------------------------

/**
 * execute_request with every optional field filled in. user_expressions: @jupyterlab/services
 * allows any JSON values; the protocol says each is source text, and the kernel holds it as such.
 */
export type ExecuteRequest = Required<Omit<KernelMessage.IExecuteRequestMsg["content"], "user_expressions">> & {
  user_expressions: Record<string, string>;
};
export type CompleteRequest = KernelMessage.ICompleteRequestMsg["content"];
/** detail_level is 0 | 1 in @jupyterlab/services; the wire may carry any number, and above 0 asks for detail. */
export type InspectRequest = Omit<KernelMessage.IInspectRequestMsg["content"], "detail_level"> & { detail_level: number };
export type IsCompleteRequest = KernelMessage.IIsCompleteRequestMsg["content"];
/** The three forms of @jupyterlab/services; range's stop and search's n may be Infinity, meaning no bound. */
export type HistoryRequest = KernelMessage.IHistoryRequestMsg["content"];
export type CommInfoRequest = KernelMessage.ICommInfoRequestMsg["content"];
/** A frontend's comm data goes to comm targets, which take CommData rather than JSONObject. */
export type CommOpen = Omit<KernelMessage.ICommOpenMsg<"shell">["content"], "data"> & { data: CommData };
export type CommMsg = Omit<KernelMessage.ICommMsgMsg<"shell">["content"], "data"> & { data: CommData };
export type CommClose = Omit<KernelMessage.ICommCloseMsg<"shell">["content"], "data"> & { data: CommData };
/** The protocol's input_reply is {value}; @jupyterlab/services adds a status that no client must send. */
export interface InputReply {
  value: string;
}
export type InputRequest = KernelMessage.IInputRequestMsg["content"];

/**
 * Whether a request lets the kernel ask for input. Only execute_request defines allow_stdin, but
 * a request's scope is made before its type is looked at, so it is read from any content. A
 * missing allow_stdin reads as false, although the protocol's default is true: a frontend that
 * does not say it listens on stdin would leave the cell waiting forever for an answer.
 */
export function allowsStdin(raw: unknown): boolean {
  return new Fields("request", raw, []).flag("allow_stdin", false);
}

function userExpressions(fields: Fields): Record<string, string> {
  const value = fields.value("user_expressions");
  if (value == null) return {};
  if (!isRecord(value)) fields.report("user_expressions", "an object", value);
  // An array's expressions have always been evaluated under their indices.
  if (typeof value !== "object") return {};
  const out: Record<string, string> = {};
  for (const [name, expr] of Object.entries(value)) {
    if (typeof expr !== "string") fields.report(`user_expressions.${name}`, "a string", expr);
    out[name] = String(expr);
  }
  return out;
}

/** A code that is not a string reads as "": the handler answers such a request with an error reply. */
export function readExecuteRequest(raw: unknown, problems?: ContentError[]): ExecuteRequest {
  const fields = new Fields("execute_request", raw, problems);
  const code = fields.required("code") ?? "";
  const silent = fields.flag("silent", false);
  // Read even when silent, so that a malformed store_history is reported either way.
  const storeHistory = fields.flag("store_history", true);
  return {
    code,
    silent,
    store_history: !silent && storeHistory,
    user_expressions: userExpressions(fields),
    allow_stdin: fields.flag("allow_stdin", false),
    stop_on_error: fields.flag("stop_on_error", true),
  };
}

/** cursor_pos counts code points and defaults to the end of the code. */
function cursorRequest(fields: Fields): CompleteRequest {
  const code = fields.text("code", "");
  return { code, cursor_pos: fields.integer("cursor_pos", [...code].length) };
}

export function readCompleteRequest(raw: unknown, problems?: ContentError[]): CompleteRequest {
  return cursorRequest(new Fields("complete_request", raw, problems));
}

export function readInspectRequest(raw: unknown, problems?: ContentError[]): InspectRequest {
  const fields = new Fields("inspect_request", raw, problems);
  const level = fields.value("detail_level");
  if (level != null && typeof level !== "number") fields.report("detail_level", "a number", level);
  return { ...cursorRequest(fields), detail_level: Number(level ?? 0) };
}

export function readIsCompleteRequest(raw: unknown, problems?: ContentError[]): IsCompleteRequest {
  return { code: new Fields("is_complete_request", raw, problems).text("code", "") };
}

/**
 * Defaults: tail gives the last 10 entries, range the whole current session, search every entry
 * matching "*"; out-of-range numbers fall back the same way. Throws, problems list or not, when
 * hist_access_type names none of the three: there is no request to answer then.
 */
export function readHistoryRequest(raw: unknown, problems?: ContentError[]): HistoryRequest {
  const fields = new Fields("history_request", raw, problems);
  const common = { output: fields.flag("output", false), raw: fields.flag("raw", true) };
  const type = fields.value("hist_access_type");
  if (type === "tail") {
    const n = fields.number("n", 10);
    return { ...common, hist_access_type: "tail", n: n >= 0 ? n : 10 };
  }
  if (type === "range") {
    const session = fields.number("session", 0);
    return { ...common, hist_access_type: "range", session, start: fields.number("start", 0), stop: fields.number("stop", Infinity) };
  }
  if (type === "search") {
    const n = fields.number("n", Infinity);
    return {
      ...common,
      hist_access_type: "search",
      pattern: fields.string("pattern") ?? "*",
      unique: fields.flag("unique", false),
      n: n > 0 ? n : Infinity,
    };
  }
  // The text history replies have always carried for this error.
  const message = `history_request: hist_access_type ${JSON.stringify(type)} is not tail, range or search`;
  throw new ContentError("history_request", "hist_access_type", '"tail", "range" or "search"', type, message);
}

export function readCommInfoRequest(raw: unknown, problems?: ContentError[]): CommInfoRequest {
  const target = new Fields("comm_info_request", raw, problems).string("target_name");
  return target === undefined ? {} : { target_name: target };
}

/** Comm ids and target names have always been read with String(), even when missing. */
function commString(fields: Fields, name: string): string {
  return fields.required(name) ?? String(fields.value(name));
}

export function readCommOpen(raw: unknown, problems?: ContentError[]): CommOpen {
  const fields = new Fields("comm_open", raw, problems);
  return { comm_id: commString(fields, "comm_id"), target_name: commString(fields, "target_name"), data: fields.record("data") };
}

export function readCommMsg(raw: unknown, problems?: ContentError[]): CommMsg {
  const fields = new Fields("comm_msg", raw, problems);
  return { comm_id: commString(fields, "comm_id"), data: fields.record("data") };
}

export function readCommClose(raw: unknown, problems?: ContentError[]): CommClose {
  const fields = new Fields("comm_close", raw, problems);
  return { comm_id: commString(fields, "comm_id"), data: fields.record("data") };
}

export function readInputReply(raw: unknown, problems?: ContentError[]): InputReply {
  return { value: new Fields("input_reply", raw, problems).text("value", "") };
}

/** The client's side of stdin: what the kernel asks. */
export function readInputRequest(raw: unknown, problems?: ContentError[]): InputRequest {
  const fields = new Fields("input_request", raw, problems);
  return { prompt: fields.text("prompt", ""), password: fields.flag("password", false) };
}

// Replies and iopub messages -------------------------------------------------------------------

/** A `name?` lookup's documentation, for the pager. */
export interface PagePayload {
  source: "page";
  data: Record<string, string>;
  start: number;
}

/**
 * @jupyterlab/services types user_expressions results as JSONObject; a MIME bundle's values
 * are not known to be JSON until they are encoded, so the kernel names the shape itself.
 */
export type UserExpressionResult =
  | { status: "ok"; data: MimeBundle; metadata: Record<string, unknown> }
  | ({ status: "error" } & ErrorReport);

interface ExecuteExtras {
  user_expressions: Record<string, UserExpressionResult>;
  payload: PagePayload[];
}

/**
 * The kernel sends user_expressions and payload with an error too, as ipykernel does; the
 * error form in @jupyterlab/services leaves them out.
 */
export type ExecuteReply =
  | (Omit<KernelMessage.IExecuteReply, "user_expressions" | "payload"> & ExecuteExtras)
  | (KernelMessage.IReplyErrorContent & KernelMessage.IExecuteCount & ExecuteExtras)
  | (KernelMessage.IReplyAbortContent & KernelMessage.IExecuteCount);
export type CompleteReply = Extract<KernelMessage.ICompleteReplyMsg["content"], { status: "ok" }>;
export type InspectReply = KernelMessage.IInspectReply;
export type IsCompleteReply = KernelMessage.IIsCompleteReplyIncomplete | KernelMessage.IIsCompleteReplyOther;
/**
 * @jupyterlab/services types an entry's output as a string; the kernel keeps no outputs and
 * sends null there. An error reply carries an empty history.
 */
export type HistoryReply = { status: "ok"; history: HistoryEntry[] } | (KernelMessage.IReplyErrorContent & { history: [] });
export type CommInfoReply = KernelMessage.ICommInfoReply;

/** The content each shell reply the handler sends takes. */
export interface ShellReplies {
  execute_reply: ExecuteReply;
  complete_reply: CompleteReply;
  inspect_reply: InspectReply;
  is_complete_reply: IsCompleteReply;
  history_reply: HistoryReply;
  comm_info_reply: CommInfoReply;
}

/** execute_result data is the kernel's MimeBundle; see UserExpressionResult for why not IMimeBundle. */
export type ExecuteResult = Omit<KernelMessage.IExecuteResultMsg["content"], "data" | "metadata"> & {
  data: MimeBundle;
  metadata: Record<string, unknown>;
};

/** The content each iopub message the handler sends takes. */
export interface IopubContents {
  status: KernelMessage.IStatusMsg["content"];
  execute_input: KernelMessage.IExecuteInputMsg["content"];
  execute_result: ExecuteResult;
  display_data: Omit<ExecuteResult, "execution_count">;
  error: KernelMessage.IErrorMsg["content"];
  comm_close: KernelMessage.ICommCloseMsg<"iopub">["content"];
}

/**
 * A typed content as the wire layer takes it. TypeScript will not widen an interface to an
 * index-signature type; the values are plain objects either way, so this only changes the view.
 */
export function toWire<T extends object>(content: T): Record<string, unknown> {
  return content as Record<string, unknown>;
}
