// Time per kernel of the running backend: every registered kernel is wrapped with a timer
// (outermost call only, so a kernel that runs others by name is counted once, as itself), wall
// time and the process's CPU time (all its threads: with one BLAS thread, the work itself, which
// other load on the machine changes less than the wall time). What is left of a step outside all
// kernels is tfjs's engine and the JavaScript around it.
import * as tf from "@tensorflow/tfjs-core";

export interface KernelTimes {
  /** kernel name -> [wall ms, cpu ms, calls] */
  times: Map<string, [number, number, number]>;
  stop(): void;
}

export function profileKernels(backendName: string): KernelTimes {
  const times = new Map<string, [number, number, number]>();
  const originals = tf.getKernelsForBackend(backendName);
  let depth = 0;
  for (const config of originals) {
    const inner = config.kernelFunc;
    const name = config.kernelName;
    const timed: tf.KernelFunc = (args) => {
      if (depth > 0) return inner(args);
      depth++;
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      try {
        return inner(args);
      } finally {
        depth--;
        const c = process.cpuUsage(c0);
        const t = times.get(name) ?? [0, 0, 0];
        t[0] += performance.now() - t0;
        t[1] += (c.user + c.system) / 1000;
        t[2]++;
        times.set(name, t);
      }
    };
    tf.unregisterKernel(name, backendName);
    tf.registerKernel({ ...config, kernelFunc: timed });
  }
  return {
    times,
    stop() {
      for (const config of originals) {
        tf.unregisterKernel(config.kernelName, backendName);
        tf.registerKernel(config);
      }
    },
  };
}
