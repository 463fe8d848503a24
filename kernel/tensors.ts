// TensorFlow.js seen from the kernel, which never imports it: once loaded (by `sr`, `tf` or a
// cell's own import), tfjs-core keeps its one engine at globalThis._tfengine. Two jobs:
//
// - After an interrupt stopped code in the middle of tf.tidy or a gradient (vm's breakOnSigint and
//   the inspector's terminateExecution run no finally blocks), the engine is left with open scopes,
//   a gradient tape and kernel depths that make every later gradient fail. restoreEngine() closes
//   what the interrupted code opened, freeing the tensors those scopes held, as tidy would have.
//
// - Tensors a cell made and dropped (the result of a tf.tidy that nothing keeps, an intermediate
//   outside any tidy) stay allocated forever: nothing can dispose them any more. TensorReclaimer
//   frees them. The rule is the garbage collector's own: a Tensor object is freed only once the
//   collector has reclaimed it, which it does only when nothing reaches it: no notebook variable,
//   no cell result, no closure, no object field (private ones included), no tf.Variable, no timer
//   or promise still pending. Anything reachable is kept, however it is held. The data is then
//   released as tensor.dispose() would release it: the reference count of its data goes down,
//   so data another tensor shares (a reshape, a Variable made from it) stays.
//   Only tensors that no tidy scope owns are watched (tidy frees its own), and never Variables or
//   kept tensors (tf.keep). After a request that left more watched tensors alive than before, the
//   kernel runs a full collection (about 15 ms with the SDK loaded) so they are freed at once;
//   the count freed goes to the kernel's debug log. STILLROOM_FREE_TENSORS=0 turns this off.
import v8 from "node:v8";
import vm from "node:vm";

interface TensorLike {
  dataId: object;
  dtype: string;
  size: number;
  kept?: boolean;
  isDisposedInternal?: boolean;
}

interface TapeNode {
  saved?: { dispose(): void }[];
}

interface EngineState {
  scopeStack: unknown[];
  activeScope: unknown;
  gradientDepth: number;
  kernelDepth: number;
  activeTape: TapeNode[] | null;
  numDataMovesStack: number[];
  numTensors: number;
}

interface Engine {
  state: EngineState;
  endScope(result?: unknown): void;
  track<T extends TensorLike>(tensor: T): T;
  keep<T extends TensorLike>(tensor: T): T;
  disposeTensor(tensor: TensorLike): void;
}

export function tfEngine(): Engine | undefined {
  const engine = (globalThis as { _tfengine?: Engine })._tfengine;
  return engine?.state && Array.isArray(engine.state.scopeStack) ? engine : undefined;
}

/** The engine's nesting when a cell starts (all zero between cells, unless a cell opened a scope by hand). */
export interface EngineMark {
  scopes: number;
  gradientDepth: number;
  kernelDepth: number;
}

export function markEngine(): EngineMark | undefined {
  const s = tfEngine()?.state;
  return s && { scopes: s.scopeStack.length, gradientDepth: s.gradientDepth, kernelDepth: s.kernelDepth };
}

/**
 * Closes the scopes, gradient tapes and kernel calls opened since `mark` (zero when tfjs loaded
 * during the cell). Call it only between tasks, where no tidy can be running. Returns the number
 * of scopes closed.
 */
export function restoreEngine(mark: EngineMark | undefined): number {
  const engine = tfEngine();
  if (!engine) return 0;
  const s = engine.state;
  const base = mark ?? { scopes: 0, gradientDepth: 0, kernelDepth: 0 };
  let closed = 0;
  while (s.scopeStack.length > base.scopes) {
    engine.endScope(null);
    closed++;
  }
  if (s.gradientDepth > base.gradientDepth) s.gradientDepth = base.gradientDepth;
  // Outside any gradient the tape is null; code stopped in a backward pass leaves it behind.
  if (s.gradientDepth === 0 && s.activeTape) {
    for (const node of s.activeTape) for (const t of node.saved ?? []) t.dispose();
    s.activeTape = null;
  }
  if (s.kernelDepth > base.kernelDepth) {
    s.kernelDepth = base.kernelDepth;
    if (s.kernelDepth === 0) s.numDataMovesStack = [];
  }
  return closed;
}

let collectGarbage: (() => void) | undefined;

/** A full, synchronous collection: only a full one runs FinalizationRegistry callbacks. */
function fullGc(): void {
  if (!collectGarbage) {
    v8.setFlagsFromString("--expose-gc");
    collectGarbage = vm.runInNewContext("gc") as () => void;
  }
  collectGarbage();
}

export class TensorReclaimer {
  private engine: Engine | undefined;
  private readonly registry: FinalizationRegistry<TensorLike>;
  /** Watched tensors still allocated. */
  private alive = 0;
  private freed = 0;

  constructor(readonly enabled = process.env.STILLROOM_FREE_TENSORS !== "0") {
    this.registry = new FinalizationRegistry((held) => this.release(held));
  }

  /** Starts watching once tfjs has loaded; cheap to call before every request. */
  attach(): void {
    if (!this.enabled || this.engine) return;
    const engine = tfEngine();
    if (!engine) return;
    this.engine = engine;
    const { track, keep, disposeTensor } = engine;
    const self = this;
    // track() receives every new tensor (Variables aside) and every result a tidy hands to its
    // parent; with no scope active, nothing will ever free it but its owner.
    engine.track = function <T extends TensorLike>(this: Engine, tensor: T): T {
      if (this.state.activeScope == null && !tensor.kept) self.watch(tensor);
      return track.call(this, tensor) as T;
    };
    engine.keep = function <T extends TensorLike>(this: Engine, tensor: T): T {
      self.unwatch(tensor);
      return keep.call(this, tensor) as T;
    };
    engine.disposeTensor = function (this: Engine, tensor: TensorLike): void {
      self.unwatch(tensor);
      disposeTensor.call(this, tensor);
    };
  }

  /** How many watched tensors are still allocated (tests and the debug log read it). */
  get watched(): number {
    return this.alive;
  }

  private watch(tensor: TensorLike): void {
    // The held value must not reach the tensor: only what disposeTensor reads.
    this.registry.register(tensor, { dataId: tensor.dataId, dtype: tensor.dtype, size: tensor.size }, tensor);
    this.alive++;
  }

  private unwatch(tensor: TensorLike): void {
    if (this.registry.unregister(tensor)) this.alive--;
  }

  private release(held: TensorLike): void {
    this.alive--;
    this.freed++;
    this.engine?.disposeTensor.call(this.engine, held);
  }

  /**
   * After a request: when it left more watched tensors alive than `before`, collect now and let
   * the registry run, so the unreachable ones are freed before the next request. Returns the
   * number freed.
   */
  async collect(before: number): Promise<number> {
    if (!this.engine || this.alive <= before) return 0;
    const freedBefore = this.freed;
    fullGc();
    // The registry's callbacks run as a task after the collection.
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 0));
    return this.freed - freedBefore;
  }
}
