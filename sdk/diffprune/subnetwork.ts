// A trained attribute-removal subnetwork: for each weight it covers, a diff that is zero except on
// its fixed mask. It lives in its core's switches and is applied only while selected.

import { DISPLAY, type MimeBundle } from "../viz/mime.js";
import type { LossLog } from "./loop.js";
import type { MaskedDiff } from "./diff.js";
import type { Regime } from "./options.js";

export interface SubnetworkInfo {
  name: string;
  /** the attributes its adversaries removed */
  attributes: string[];
  /** the share of its weights the fixed mask kept */
  sparsity: number;
  regime: Regime | "loaded";
  /** the core version and weights hash it was trained (or loaded) for */
  coreVersion: number;
  coreHash: string;
}

export class Subnetwork implements SubnetworkInfo {
  readonly name: string;
  readonly attributes: string[];
  readonly sparsity: number;
  readonly regime: Regime | "loaded";
  coreVersion: number;
  coreHash: string;
  /** training losses per step (null for a loaded subnetwork) */
  log: LossLog | null = null;
  /** the share of entries with z_eval * w != 0 when the gates gave way to the fixed mask (NaN when loaded) */
  nonZeroAtMask = Number.NaN;
  private nonZero: number | null = null;

  /** `diffs`: weight name -> its final diff (mask dropped) */
  constructor(
    info: SubnetworkInfo,
    readonly diffs: ReadonlyMap<string, MaskedDiff>,
  ) {
    this.name = info.name;
    this.attributes = [...info.attributes];
    this.sparsity = info.sparsity;
    this.regime = info.regime;
    this.coreVersion = info.coreVersion;
    this.coreHash = info.coreHash;
  }

  /** Entries it changes: non-zero diff entries. */
  get changed(): number {
    if (this.nonZero === null) {
      let n = 0;
      for (const p of this.diffs.values()) {
        const d = p.d.dataSync();
        for (let i = 0; i < d.length; i++) if (d[i] !== 0) n++;
      }
      this.nonZero = n;
    }
    return this.nonZero;
  }

  /** Entries of the weights it covers. */
  get covered(): number {
    let n = 0;
    for (const p of this.diffs.values()) n += p.d.size;
    return n;
  }

  /** changed / covered */
  get share(): number {
    return this.changed / this.covered;
  }

  row(): Record<string, unknown> {
    return {
      subnetwork: this.name,
      attributes: this.attributes.join(", "),
      regime: this.regime,
      changed: this.changed,
      covered: this.covered,
      share: this.share,
    };
  }

  toString(): string {
    return `<diffprune Subnetwork "${this.name}": removes ${this.attributes.join(", ")}; changes ${this.changed.toLocaleString("en-US")} of ${this.covered.toLocaleString("en-US")} weights (${(100 * this.share).toFixed(2)}%)>`;
  }

  [DISPLAY](): MimeBundle {
    return { "text/plain": this.toString() };
  }
}
