// Readers of request contents: defaults, malformed fields, and well-formed contents untouched.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  ContentError,
  allowsStdin,
  readCommClose,
  readCommInfoRequest,
  readCommMsg,
  readCommOpen,
  readCompleteRequest,
  readExecuteRequest,
  readHistoryRequest,
  readInputReply,
  readInputRequest,
  readInspectRequest,
  readIsCompleteRequest,
} from "../../kernel/messages.js";

type Reader = (content: unknown, problems?: ContentError[]) => unknown;

/** The strict reading throws naming the field; the loose one records the same problem and goes on. */
function assertMalformed(read: Reader, content: unknown, message: string, loose?: unknown): void {
  assert.throws(
    () => read(content),
    (e: unknown) => e instanceof ContentError && e.message === message,
    message,
  );
  const problems: ContentError[] = [];
  const value = read(content, problems);
  assert.deepEqual(
    problems.map((p) => p.message),
    [message],
  );
  if (loose !== undefined) assert.deepEqual(value, loose);
}

test("execute_request defaults: not silent, stored, no expressions, no stdin, stop on error", () => {
  assert.deepEqual(readExecuteRequest({ code: "1" }), {
    code: "1",
    silent: false,
    store_history: true,
    user_expressions: {},
    allow_stdin: false,
    stop_on_error: true,
  });
  assert.equal(readExecuteRequest({ code: "1", silent: true }).store_history, false, "silent forces store_history off");
  assert.equal(readExecuteRequest({ code: "1", silent: true, store_history: true }).store_history, false);
  assert.equal(readExecuteRequest({ code: "1", silent: null, store_history: null }).store_history, true, "null reads as missing");
});

test("execute_request: malformed fields are named, and coerced as the kernel always has", () => {
  const base = { code: "1", silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true };
  assertMalformed(readExecuteRequest, { code: 42 }, "execute_request: content.code must be a string (got number)", { ...base, code: "" });
  assertMalformed(readExecuteRequest, {}, "execute_request: content.code must be a string (got undefined)", { ...base, code: "" });
  assertMalformed(readExecuteRequest, { code: "1", silent: "yes" }, "execute_request: content.silent must be a boolean (got string)", {
    ...base,
    silent: true,
    store_history: false,
  });
  assertMalformed(
    readExecuteRequest,
    { code: "1", store_history: 0 },
    "execute_request: content.store_history must be a boolean (got number)",
    base,
  );
  assertMalformed(
    readExecuteRequest,
    { code: "1", allow_stdin: 1 },
    "execute_request: content.allow_stdin must be a boolean (got number)",
    { ...base, allow_stdin: true },
  );
  assertMalformed(
    readExecuteRequest,
    { code: "1", stop_on_error: "false" },
    "execute_request: content.stop_on_error must be a boolean (got string)",
    base,
  );
  assertMalformed(
    readExecuteRequest,
    { code: "1", user_expressions: "x" },
    "execute_request: content.user_expressions must be an object (got string)",
    base,
  );
  assertMalformed(
    readExecuteRequest,
    { code: "1", user_expressions: { a: 7 } },
    "execute_request: content.user_expressions.a must be a string (got number)",
    {
      ...base,
      user_expressions: { a: "7" },
    },
  );
});

test("execute_request: a bad code's rule is the text the error reply has always carried", () => {
  const problems: ContentError[] = [];
  readExecuteRequest({ code: 42 }, problems);
  assert.equal(problems[0]!.rule, "execute_request: content.code must be a string");
  assert.equal(problems[0]!.msgType, "execute_request");
  assert.equal(problems[0]!.field, "code");
  assert.equal(problems[0]!.got, 42);
});

test("a content that is not an object is reported and read as empty", () => {
  assertMalformed(readIsCompleteRequest, [1, 2], "is_complete_request: content must be an object (got array)", { code: "" });
  assertMalformed(readCompleteRequest, null, "complete_request: content must be an object (got null)", { code: "", cursor_pos: 0 });
  const problems: ContentError[] = [];
  assert.equal(readExecuteRequest("print", problems).code, "");
  assert.deepEqual(
    problems.map((p) => p.field),
    ["", "code"],
  );
});

test("complete_request and inspect_request: cursor_pos defaults to the end in code points", () => {
  assert.deepEqual(readCompleteRequest({ code: "'😀'; x" }), { code: "'😀'; x", cursor_pos: 6 });
  assert.deepEqual(readCompleteRequest({}), { code: "", cursor_pos: 0 });
  assert.deepEqual(readInspectRequest({ code: "Math.max" }), { code: "Math.max", cursor_pos: 8, detail_level: 0 });
  assert.deepEqual(readInspectRequest({ code: "a", cursor_pos: null, detail_level: null }), { code: "a", cursor_pos: 1, detail_level: 0 });
});

test("complete_request and inspect_request: malformed fields are named", () => {
  assertMalformed(readCompleteRequest, { code: 5 }, "complete_request: content.code must be a string (got number)", {
    code: "5",
    cursor_pos: 1,
  });
  assertMalformed(
    readCompleteRequest,
    { code: "a.", cursor_pos: "x" },
    "complete_request: content.cursor_pos must be an integer (got string)",
    { code: "a.", cursor_pos: 2 },
  );
  assertMalformed(
    readCompleteRequest,
    { code: "abc", cursor_pos: 1.5 },
    "complete_request: content.cursor_pos must be an integer (got number)",
    { code: "abc", cursor_pos: 3 },
  );
  assertMalformed(readInspectRequest, { code: 1 }, "inspect_request: content.code must be a string (got number)", {
    code: "1",
    cursor_pos: 1,
    detail_level: 0,
  });
  assertMalformed(readInspectRequest, { code: "x", cursor_pos: [] }, "inspect_request: content.cursor_pos must be an integer (got array)");
  assertMalformed(
    readInspectRequest,
    { code: "x", detail_level: "1" },
    "inspect_request: content.detail_level must be a number (got string)",
    {
      code: "x",
      cursor_pos: 1,
      detail_level: 1,
    },
  );
});

test("is_complete_request: code defaults to empty; a non-string is named", () => {
  assert.deepEqual(readIsCompleteRequest({}), { code: "" });
  assertMalformed(readIsCompleteRequest, { code: true }, "is_complete_request: content.code must be a string (got boolean)", {
    code: "true",
  });
});

test("history_request defaults for tail, range and search", () => {
  assert.deepEqual(readHistoryRequest({ hist_access_type: "tail" }), { output: false, raw: true, hist_access_type: "tail", n: 10 });
  assert.deepEqual(readHistoryRequest({ hist_access_type: "tail", n: -1 }), { output: false, raw: true, hist_access_type: "tail", n: 10 });
  assert.deepEqual(readHistoryRequest({ hist_access_type: "range" }), {
    output: false,
    raw: true,
    hist_access_type: "range",
    session: 0,
    start: 0,
    stop: Infinity,
  });
  assert.deepEqual(readHistoryRequest({ hist_access_type: "search", n: null }), {
    output: false,
    raw: true,
    hist_access_type: "search",
    pattern: "*",
    unique: false,
    n: Infinity,
  });
  assert.equal(readHistoryRequest({ hist_access_type: "search", n: 0 }).hist_access_type, "search");
});

test("history_request: malformed fields are named; an unknown access type always throws", () => {
  assertMalformed(readHistoryRequest, { hist_access_type: "tail", n: "3" }, "history_request: content.n must be a number (got string)", {
    output: false,
    raw: true,
    hist_access_type: "tail",
    n: 10,
  });
  assertMalformed(
    readHistoryRequest,
    { hist_access_type: "range", stop: "9" },
    "history_request: content.stop must be a number (got string)",
  );
  assertMalformed(
    readHistoryRequest,
    { hist_access_type: "search", pattern: 3 },
    "history_request: content.pattern must be a string (got number)",
    {
      output: false,
      raw: true,
      hist_access_type: "search",
      pattern: "*",
      unique: false,
      n: Infinity,
    },
  );
  assertMalformed(
    readHistoryRequest,
    { hist_access_type: "tail", output: "yes" },
    "history_request: content.output must be a boolean (got string)",
    {
      output: true,
      raw: true,
      hist_access_type: "tail",
      n: 10,
    },
  );
  const legacy = 'history_request: hist_access_type "bogus" is not tail, range or search';
  assert.throws(
    () => readHistoryRequest({ hist_access_type: "bogus" }),
    (e: unknown) => e instanceof ContentError && e.field === "hist_access_type" && e.message === legacy,
  );
  assert.throws(() => readHistoryRequest({}, []), /hist_access_type undefined is not tail, range or search/);
});

test("comm_info_request: target_name is optional; a non-string is named and ignored", () => {
  assert.deepEqual(readCommInfoRequest({}), {});
  assert.deepEqual(readCommInfoRequest({ target_name: null }), {});
  assertMalformed(readCommInfoRequest, { target_name: 3 }, "comm_info_request: content.target_name must be a string (got number)", {});
});

test("comm_open, comm_msg, comm_close: data defaults to {}; ids are required", () => {
  assert.deepEqual(readCommOpen({ comm_id: "c", target_name: "t" }), { comm_id: "c", target_name: "t", data: {} });
  assert.deepEqual(readCommMsg({ comm_id: "c", data: null }), { comm_id: "c", data: {} });
  assert.deepEqual(readCommClose({ comm_id: "c" }), { comm_id: "c", data: {} });
  assertMalformed(readCommOpen, { comm_id: 7, target_name: "t" }, "comm_open: content.comm_id must be a string (got number)", {
    comm_id: "7",
    target_name: "t",
    data: {},
  });
  assertMalformed(readCommOpen, { comm_id: "c", target_name: null }, "comm_open: content.target_name must be a string (got null)", {
    comm_id: "c",
    target_name: "null",
    data: {},
  });
  assertMalformed(readCommMsg, { data: {} }, "comm_msg: content.comm_id must be a string (got undefined)", {
    comm_id: "undefined",
    data: {},
  });
  assertMalformed(readCommMsg, { comm_id: "c", data: [1] }, "comm_msg: content.data must be an object (got array)", {
    comm_id: "c",
    data: [1],
  });
  assertMalformed(readCommClose, { comm_id: "c", data: 5 }, "comm_close: content.data must be an object (got number)", {
    comm_id: "c",
    data: 5,
  });
});

test("stdin: input_reply and input_request defaults and malformed fields", () => {
  assert.deepEqual(readInputReply({}), { value: "" });
  assertMalformed(readInputReply, { value: 12 }, "input_reply: content.value must be a string (got number)", { value: "12" });
  assert.deepEqual(readInputRequest({}), { prompt: "", password: false });
  assertMalformed(readInputRequest, { prompt: "?", password: "no" }, "input_request: content.password must be a boolean (got string)", {
    prompt: "?",
    password: true,
  });
});

test("allow_stdin is read from any content, false unless given", () => {
  assert.equal(allowsStdin({}), false);
  assert.equal(allowsStdin(undefined), false);
  assert.equal(allowsStdin({ allow_stdin: true }), true);
  assert.equal(allowsStdin({ allow_stdin: "yes" }), true);
});

test("well-formed contents pass unchanged", () => {
  const contents: [Reader, Record<string, unknown>][] = [
    [
      readExecuteRequest,
      { code: "x", silent: false, store_history: false, user_expressions: { a: "1 + 1" }, allow_stdin: true, stop_on_error: false },
    ],
    [readCompleteRequest, { code: "ab", cursor_pos: 1 }],
    [readInspectRequest, { code: "ab", cursor_pos: 0, detail_level: 1 }],
    [readIsCompleteRequest, { code: "let x" }],
    [readHistoryRequest, { output: true, raw: false, hist_access_type: "tail", n: 3 }],
    [readHistoryRequest, { output: false, raw: true, hist_access_type: "range", session: 1, start: 2, stop: 5 }],
    [readHistoryRequest, { output: false, raw: true, hist_access_type: "search", pattern: "let *", unique: true, n: 2 }],
    [readCommInfoRequest, { target_name: "echo" }],
    [readCommOpen, { comm_id: "c1", target_name: "echo", data: { x: [1, { y: null }] } }],
    [readCommMsg, { comm_id: "c1", data: { x: 1 } }],
    [readCommClose, { comm_id: "c1", data: {} }],
    [readInputReply, { value: "ünï 😀" }],
    [readInputRequest, { prompt: "name?", password: true }],
  ];
  for (const [read, content] of contents) {
    const problems: ContentError[] = [];
    assert.deepEqual(read(content, problems), content);
    assert.deepEqual(problems, []);
    assert.deepEqual(read(content), content, "the strict reading agrees");
  }
});
