// Keeps Node's async bookkeeping out of what util.inspect prints. While an AsyncLocalStorage is
// in use (the kernel keeps each cell's output context in one), Node 20 tags every promise with
// enumerable async-id symbols and copies the store onto every async resource (promises, timers)
// as an enumerable symbol property, so `Promise.resolve(5)` would print the cell's context,
// request header and socket identities with it. Hiding the properties where a resource is made
// costs 5-10x on every await; hiding them when it is inspected costs nothing until then.
import { inspect } from "node:util";

/** On promises: Node's async ids (shown by the REPL only since it uses async hooks) and the store. */
const PROMISE_BOOKKEEPING = new Set(["async_id_symbol", "trigger_async_id_symbol", "kResourceStore"]);
/** On timers, Node shows its asyncId and triggerId in any program; only the store is ours. */
const STORE = new Set(["kResourceStore"]);

function hide(target: object, names: Set<string>): void {
  for (const symbol of Object.getOwnPropertySymbols(target)) {
    if (!names.has(symbol.description ?? "")) continue;
    if (Object.getOwnPropertyDescriptor(target, symbol)?.enumerable) Object.defineProperty(target, symbol, { enumerable: false });
  }
}

/**
 * Makes util.inspect hide the named properties of proto's instances. A custom inspect that
 * returns the object itself tells util.inspect to format it as usual; a prototype's own custom
 * inspect (Timeout has one) still runs, after the hiding.
 */
function hideWhenInspected(proto: object, names: Set<string>): void {
  const own = Object.getOwnPropertyDescriptor(proto, inspect.custom)?.value as ((...args: unknown[]) => unknown) | undefined;
  Object.defineProperty(proto, inspect.custom, {
    configurable: true,
    writable: true,
    enumerable: false,
    value: function inspectWithoutBookkeeping(this: object, ...args: unknown[]): unknown {
      hide(this, names);
      return own ? own.apply(this, args) : this;
    },
  });
}

let installed = false;

export function hideAsyncBookkeeping(): void {
  if (installed) return;
  installed = true;
  hideWhenInspected(Promise.prototype, PROMISE_BOOKKEEPING);
  // Timeout and Immediate are not exported: their prototypes come from an instance.
  const timeout = setTimeout(() => {}, 0);
  clearTimeout(timeout);
  hideWhenInspected(Object.getPrototypeOf(timeout), STORE);
  const immediate = setImmediate(() => {});
  clearImmediate(immediate);
  hideWhenInspected(Object.getPrototypeOf(immediate), STORE);
}
